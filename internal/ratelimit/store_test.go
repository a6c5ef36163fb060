package ratelimit_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/ratelimit"
	"github.com/campfire-go/campfire/internal/ratelimit/ratelimittest"
)

func TestLocalContract(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T) ratelimit.Factory { return ratelimit.LocalFactory(1000) })
}

// flaky is a primary Store that allows everything, or fails while down.
type flaky struct {
	mu    sync.Mutex
	down  bool
	calls int
}

func (f *flaky) AllowN(ctx context.Context, key string, n int) (bool, time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if err := ctx.Err(); err != nil {
		return false, 0, err
	}
	if f.down {
		return false, 0, errors.New("connection refused")
	}
	return true, 0, nil
}

func (f *flaky) set(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

func (f *flaky) callCount() int { f.mu.Lock(); defer f.mu.Unlock(); return f.calls }

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestFallback(t *testing.T) {
	ctx := context.Background()
	primary := &flaky{}
	c := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	var logs bytes.Buffer
	fb := ratelimit.NewFallback(
		func(string, int, time.Duration) ratelimit.Store { return primary },
		ratelimit.LocalFactory(100),
		ratelimit.FallbackOptions{Cooldown: 2 * time.Second, Now: c.now, Log: slog.New(slog.NewTextHandler(&logs, nil))},
	)
	login, post := fb.Store("login", 1, time.Hour), fb.Store("post", 1, time.Hour)
	allow := func(s ratelimit.Store) bool {
		t.Helper()
		ok, _, err := s.AllowN(ctx, "k", 1)
		if err != nil {
			t.Fatalf("Fallback returned %v; it must always decide", err)
		}
		return ok
	}

	for range 3 {
		if !allow(login) {
			t.Fatal("healthy primary: refused; want the primary's decision")
		}
	}
	if fb.Fallbacks() != 0 || fb.Degraded() {
		t.Fatalf("healthy: Fallbacks %d, Degraded %v", fb.Fallbacks(), fb.Degraded())
	}

	// The primary fails: decisions are the local limiter's (burst 1), so
	// the limit still holds per instance.
	primary.set(true)
	if !allow(login) {
		t.Fatal("first local decision refused")
	}
	if allow(login) {
		t.Fatal("primary down: local limit not applied")
	}
	if !fb.Degraded() || fb.Fallbacks() != 2 {
		t.Fatalf("down: Degraded %v, Fallbacks %d; want true, 2", fb.Degraded(), fb.Fallbacks())
	}
	// Within the cooldown the primary is not asked, by any limit.
	calls := primary.callCount()
	allow(login)
	allow(post)
	if got := primary.callCount(); got != calls {
		t.Fatalf("primary asked %d times during the cooldown", got-calls)
	}
	// After it, it is asked once more; still down, still local.
	c.t = c.t.Add(2 * time.Second)
	allow(post)
	allow(post)
	if got := primary.callCount(); got != calls+1 {
		t.Fatalf("primary asked %d times after the cooldown, want 1", got-calls)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings for one outage, want 1:\n%s", n, logs.String())
	}

	// It recovers: the next probe after the cooldown switches back.
	primary.set(false)
	c.t = c.t.Add(2 * time.Second)
	if !allow(login) || !allow(login) {
		t.Fatal("primary back: want its decisions again")
	}
	if fb.Degraded() {
		t.Error("still degraded after the primary answered")
	}
	if !strings.Contains(logs.String(), "is back") {
		t.Errorf("no recovery line:\n%s", logs.String())
	}

	// A caller that gives up does not mark the primary down.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := login.AllowN(cctx, "k", 1); err != nil {
		t.Fatal(err)
	}
	if fb.Degraded() {
		t.Error("a cancelled caller marked the primary down")
	}
	before := primary.callCount()
	allow(login)
	if primary.callCount() != before+1 {
		t.Error("primary skipped after a cancelled caller")
	}
}
