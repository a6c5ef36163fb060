package app_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/app"
	"github.com/campfire-go/campfire/internal/testenv"
)

// With METRICS_ADDR, /metrics is served on its own listener only: the
// public port answers 404 for it, and the listener closes with the server.
func TestMetricsAddr(t *testing.T) {
	cfg := testenv.Config(t)
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Monitor.MetricsAddr = probe.Addr().String()
	probe.Close() // a free port for the server to take
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs bytes.Buffer // written by Serve's handler (which locks), read once Serve returned
	go func() { done <- app.Serve(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)), ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	}()

	status := func(url string) (int, string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second) // a loaded machine under -race starts slowly
		for {
			res, err := http.Get(url)
			if err == nil {
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				return res.StatusCode, string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v", url, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	code, body := status("http://" + cfg.Monitor.MetricsAddr + "/metrics")
	if code != http.StatusOK || !strings.Contains(body, "campfire_active_connections ") || !strings.Contains(body, `campfire_alert_active{alert="high_cpu"}`) {
		t.Fatalf("metrics listener: %d %.300s", code, body)
	}
	if code, _ := status(public + "/up"); code != http.StatusOK {
		t.Fatalf("public /up: %d", code)
	}
	if code, body := status(public + "/metrics"); code != http.StatusNotFound {
		t.Fatalf("public /metrics: %d %.200s, want 404", code, body)
	}
	if code, _ := status("http://" + cfg.Monitor.MetricsAddr + "/up"); code != http.StatusNotFound {
		t.Fatalf("metrics listener /up: %d, want 404 (it serves metrics only)", code)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	done <- nil // for the deferred wait
	if c, err := net.DialTimeout("tcp", cfg.Monitor.MetricsAddr, time.Second); err == nil {
		c.Close()
		t.Fatal("the metrics listener outlived the server")
	}
}
