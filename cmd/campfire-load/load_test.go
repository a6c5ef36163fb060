package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/testbin"
)

// TestSeedSmoke is CI's smoke test of client, tool and server together:
// the seed scenario at reduced size against a freshly started real
// server. Everything must arrive; timings are printed, not asserted.
func TestSeedSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real server")
	}
	srv := testbin.Start(t, t.TempDir())
	out := filepath.Join(t.TempDir(), "out.json")
	report := filepath.Join(t.TempDir(), "report.html")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-target", srv.Base, "-scenario", "seed", "-connections", "200",
		"-messages", "1000", "-max-p99", "0", "-json", out, "-report", report}, &stdout, &stderr)
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	if code != 0 {
		t.Fatalf("exit code %d", code)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"expected", "delivered", "lost", "duplicated", "p50_ms", "p99_ms"} {
		if _, ok := res[k].(float64); !ok {
			t.Errorf("the JSON has no number %q", k)
		}
	}
	exp, del := res["expected"].(float64), res["delivered"].(float64)
	if exp <= 0 || exp != del || res["lost"] != 0.0 || res["duplicated"] != 0.0 {
		t.Errorf("expected %v delivered %v lost %v duplicated %v", exp, del, res["lost"], res["duplicated"])
	}
	// 1,000 posts into rooms of 50 sockets: every member gets the posts of
	// its room made after it subscribed.
	if res["posts"] != 1000.0 {
		t.Errorf("posts %v, want 1000", res["posts"])
	}
	if html, err := os.ReadFile(report); err != nil || !bytes.Contains(html, []byte("<svg")) || bytes.Contains(html, []byte("http://cdn")) {
		t.Errorf("report: %v", err)
	}
}

func TestParseScenarioDefaultsAndOverrides(t *testing.T) {
	var stderr bytes.Buffer
	c, done, err := parse([]string{"-target", "http://127.0.0.1:1", "-scenario", "fanout", "-connections", "300", "-rate", "50"}, &stderr)
	if err != nil || done {
		t.Fatal(err, done)
	}
	if c.roomSize != 300 || c.socketsPerPerson != 30 || c.rate != 50 || c.postVia != "bot" || c.maxP99 != 25*time.Millisecond {
		t.Errorf("%+v", c)
	}
	pp, err := planPosts(c)
	if err != nil {
		t.Fatal(err)
	}
	if pp.bots != 18 || pp.botMessages != 750 {
		t.Errorf("bots %d messages %d, want 18 (50/s at 2.8/s each) and 750", pp.bots, pp.botMessages)
	}
	c, _, err = parse([]string{"-target", "http://a:1,http://b:2", "-scenario", "large", "-speedup", "120"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.targets) != 2 || c.duration != 30*time.Second || c.rate < 1666 || c.rate > 1667 {
		t.Errorf("targets %v duration %v rate %v", c.targets, c.duration, c.rate)
	}
	if _, err := planPosts(c); err != nil {
		t.Error(err)
	}
	c, _, _ = parse([]string{"-target", "http://a:1", "-scenario", "medium", "-speedup", "1000"}, &stderr)
	if _, err := planPosts(c); err == nil {
		t.Error("2,778 posts/s from 500 people passes the per-person limit, yet it was planned")
	}
	if _, _, err := parse([]string{"-scenario", "nope", "-target", "http://x:1"}, &stderr); err == nil {
		t.Error("an unknown scenario was accepted")
	}
}

func TestParseIPs(t *testing.T) {
	ips, err := parseIPs("127.0.0.2-127.0.0.4, 10.0.0.1")
	if err != nil || len(ips) != 4 || ips[2].String() != "127.0.0.4" || ips[3].String() != "10.0.0.1" {
		t.Fatal(ips, err)
	}
	if _, err := parseIPs("127.0.0.9-127.0.0.2"); err == nil {
		t.Error("an empty range was accepted")
	}
}

func TestStamp(t *testing.T) {
	if n, ok := stamp("lt 1234 cable"); !ok || n != 1234 {
		t.Error(n, ok)
	}
	if _, ok := stamp("hello"); ok {
		t.Error("a body without a stamp has one")
	}
}
