package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/testenv"
)

// Every route left out of the response-time alert must be a route the
// server really labels that way; a renamed route would otherwise slip
// back into the p99 unnoticed.
func TestSlowByDesignRoutesExist(t *testing.T) {
	cfg := testenv.Config(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(base + "/up")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	path := strings.NewReplacer("{id}", "1", "{join_code}", "x", "{code}", "x", "{token}", "x")
	for _, p := range slowByDesign {
		method, route, _ := strings.Cut(p, " ")
		req, _ := http.NewRequest(method, base+path.Replace(route), strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		res.Body.Close()
	}
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, p := range slowByDesign {
		if p == cableRoute {
			continue // a plain GET is refused before routing metrics see an upgrade; its label is checked elsewhere
		}
		if !strings.Contains(string(b), `route="`+p+`"`) {
			t.Errorf("no requests labelled route=%q: the exclusion names no real route", p)
		}
	}
}
