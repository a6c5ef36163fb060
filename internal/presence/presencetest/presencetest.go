// Package presencetest is the contract suite every presence.Presence
// passes. The factory gets a clock it must use, so TTL expiry is tested
// without waiting.
package presencetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/presence"
)

// Clock is a fake clock for the implementation under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the fake time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the fake time forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Run runs the suite. newPresence returns an empty Presence with the given
// TTL that reads the time from now.
func Run(t *testing.T, newPresence func(t *testing.T, ttl time.Duration, now func() time.Time) presence.Presence) {
	const ttl = time.Minute
	setup := func(t *testing.T) (presence.Presence, *Clock) {
		c := &Clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
		return newPresence(t, ttl, c.Now), c
	}
	ctx := context.Background()

	t.Run("JoinLeaveCountsSockets", func(t *testing.T) {
		p, _ := setup(t)
		expectChanged(t, "first socket joins", must(p.Join(ctx, 1, 10, "a")), true)
		expectChanged(t, "second socket joins", must(p.Join(ctx, 1, 10, "b")), false)
		expectChanged(t, "refresh", must(p.Join(ctx, 1, 10, "a")), false)
		expectChanged(t, "other user joins", must(p.Join(ctx, 1, 11, "c")), true)
		expectOnline(t, p, 1, 10, 11)
		expectOnline(t, p, 2)
		expectChanged(t, "one of two sockets leaves", must(p.Leave(ctx, 1, 10, "a")), false)
		expectOnline(t, p, 1, 10, 11)
		expectChanged(t, "last socket leaves", must(p.Leave(ctx, 1, 10, "b")), true)
		expectChanged(t, "unknown socket leaves", must(p.Leave(ctx, 1, 10, "zz")), false)
		expectOnline(t, p, 1, 11)
	})

	t.Run("HeartbeatTTL", func(t *testing.T) {
		p, c := setup(t)
		must(p.Join(ctx, 1, 10, "a"))
		must(p.Join(ctx, 1, 11, "b"))
		must(p.Join(ctx, 2, 10, "a"))
		c.Advance(ttl / 2)
		must(p.Join(ctx, 1, 11, "b")) // heartbeat
		c.Advance(ttl/2 + time.Second)
		expectOnline(t, p, 1, 11) // 10 went quiet
		rooms, err := p.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rooms, []int64{1, 2}) {
			t.Fatalf("Sweep changed rooms %v, want [1 2]", rooms)
		}
		if rooms, _ := p.Sweep(ctx); len(rooms) != 0 {
			t.Fatalf("second Sweep changed %v", rooms)
		}
		expectChanged(t, "expired user comes back", must(p.Join(ctx, 1, 10, "a")), true)
		expectOnline(t, p, 1, 10, 11)
	})

	t.Run("ConcurrentUse", func(t *testing.T) {
		p, _ := setup(t)
		var wg sync.WaitGroup
		for u := range int64(8) {
			wg.Go(func() {
				for i := range 100 {
					conn := string(rune('a' + i%3))
					if _, err := p.Join(ctx, int64(i%5), u, conn); err != nil {
						t.Error(err)
					}
					if _, err := p.Online(ctx, int64(i%5)); err != nil {
						t.Error(err)
					}
				}
				for i := range 100 {
					if _, err := p.Leave(ctx, int64(i%5), u, string(rune('a'+i%3))); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		for r := range int64(5) {
			expectOnline(t, p, r)
		}
	})
}

func must(changed bool, err error) bool {
	if err != nil {
		panic(err)
	}
	return changed
}

func expectChanged(t *testing.T, what string, got, want bool) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: changed = %v, want %v", what, got, want)
	}
}

func expectOnline(t *testing.T, p presence.Presence, roomID int64, want ...int64) {
	t.Helper()
	got, err := p.Online(context.Background(), roomID)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || !slices.Equal(got, append([]int64{}, want...)) {
		t.Fatalf("Online(%d) = %#v, want %v", roomID, got, want)
	}
}
