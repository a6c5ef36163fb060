// Package ratelimittest is the contract suite every ratelimit.Store passes.
// Shared stores keep their own clock (Redis's), so the suite runs on real
// time: limits that must not refill during a test refill over an hour,
// and the one that must refill does so in half a second.
package ratelimittest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/ratelimit"
)

// Run runs the suite. newFactory returns a Factory whose Stores start
// empty (for a shared backend: a fresh key namespace per call).
func Run(t *testing.T, newFactory func(t *testing.T) ratelimit.Factory) {
	t.Run("BurstThenRefuse", func(t *testing.T) {
		s := newFactory(t)("burst", 5, time.Hour) // a token every 12 minutes
		for i := range 5 {
			expectAllowed(t, s, "k", 1, "event %d of a burst of 5", i+1)
		}
		ok, retry := allow(t, s, "k", 1)
		if ok {
			t.Fatal("6th event of a burst of 5 was allowed")
		}
		if retry <= 11*time.Minute || retry > 12*time.Minute {
			t.Fatalf("retryAfter = %v, want just under 12m (one token's interval)", retry)
		}
	})

	t.Run("Refill", func(t *testing.T) {
		const per = time.Second // a token every 500 ms
		s := newFactory(t)("refill", 2, per)
		expectAllowed(t, s, "k", 1, "first")
		expectAllowed(t, s, "k", 1, "second")
		ok, retry := allow(t, s, "k", 1)
		if ok || retry <= 0 || retry > per/2 {
			t.Fatalf("third event: %v, retry %v; want refused within %v", ok, retry, per/2)
		}
		time.Sleep(retry + 20*time.Millisecond) // waiting for the refill is the test
		expectAllowed(t, s, "k", 1, "after retryAfter")
		time.Sleep(per + 20*time.Millisecond)
		start := time.Now()
		expectAllowed(t, s, "k", 1, "after per, first of the burst")
		expectAllowed(t, s, "k", 1, "after per, second of the burst")
		// Unless the machine was so slow that a token came back meanwhile.
		if ok, _ := allow(t, s, "k", 1); ok && time.Since(start) < per/2 {
			t.Fatal("refilled past the burst")
		}
	})

	t.Run("RefusalSpendsNothing", func(t *testing.T) {
		s := newFactory(t)("refusal", 5, time.Hour)
		expectAllowed(t, s, "k", 3, "3 of 5")
		for range 10 {
			if ok, _ := allow(t, s, "k", 3); ok {
				t.Fatal("3 more with 2 left was allowed")
			}
		}
		expectAllowed(t, s, "k", 2, "the last 2, after refusals")
	})

	t.Run("CostN", func(t *testing.T) {
		s := newFactory(t)("cost", 5, time.Hour)
		expectAllowed(t, s, "k", 3, "3 of 5")
		ok, retry := allow(t, s, "k", 3)
		if ok {
			t.Fatal("3 more with 2 left was allowed")
		}
		// One token short: one interval (12 minutes), less the time spent.
		if retry <= 11*time.Minute || retry > 12*time.Minute {
			t.Errorf("retryAfter one token short = %v, want just under 12m", retry)
		}
		expectAllowed(t, s, "k", 2, "the last 2")
		if ok, _ := allow(t, s, "k", 1); ok {
			t.Fatal("allowed past an empty bucket")
		}
		// A cost above the burst is clamped, so it can pass.
		expectAllowed(t, s, "big", 1000, "cost above the burst on a full bucket")
		if ok, _ := allow(t, s, "big", 1); ok {
			t.Fatal("a clamped cost left tokens behind")
		}
	})

	t.Run("IndependentKeysAndLimits", func(t *testing.T) {
		f := newFactory(t)
		a, b := f("one", 2, time.Hour), f("two", 2, time.Hour)
		expectAllowed(t, a, "x", 2, "a:x")
		if ok, _ := allow(t, a, "x", 1); ok {
			t.Fatal("a:x allowed past its burst")
		}
		expectAllowed(t, a, "y", 2, "a:y, beside an empty a:x")
		expectAllowed(t, b, "x", 2, "b:x, another limit with the same key")
	})

	t.Run("Concurrent", func(t *testing.T) {
		const burst = 20
		s := newFactory(t)("concurrent", burst, time.Hour)
		if n := hammer(t, []ratelimit.Store{s}, 8, 10); n != burst {
			t.Errorf("allowed %d events on one key, want exactly %d", n, burst)
		}
	})
}

// RunShared checks that two Factories on one backend (two instances)
// share each limit's budget: together they allow the burst, not twice it.
// newPair returns both, starting empty.
func RunShared(t *testing.T, newPair func(t *testing.T) (ratelimit.Factory, ratelimit.Factory)) {
	t.Run("Alternating", func(t *testing.T) {
		fa, fb := newPair(t)
		a, b := fa("shared", 10, time.Hour), fb("shared", 10, time.Hour)
		allowed := 0
		for i := range 20 {
			s := a
			if i%2 == 1 {
				s = b
			}
			if ok, _ := allow(t, s, "k", 1); ok {
				allowed++
			}
		}
		if allowed != 10 {
			t.Errorf("two instances allowed %d of a burst of 10", allowed)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		fa, fb := newPair(t)
		const burst = 20
		stores := []ratelimit.Store{fa("shared", burst, time.Hour), fb("shared", burst, time.Hour)}
		if n := hammer(t, stores, 8, 10); n != burst {
			t.Errorf("two instances allowed %d events on one key, want exactly %d", n, burst)
		}
	})
}

// hammer spends from key "k" with workers goroutines spread over stores,
// each trying tries times, and returns how many events were allowed.
func hammer(t *testing.T, stores []ratelimit.Store, workers, tries int) int64 {
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		s := stores[w%len(stores)]
		wg.Go(func() {
			for range tries {
				ok, _, err := s.AllowN(context.Background(), "k", 1)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return allowed.Load()
}

func allow(t *testing.T, s ratelimit.Store, key string, n int) (bool, time.Duration) {
	t.Helper()
	ok, retry, err := s.AllowN(context.Background(), key, n)
	if err != nil {
		t.Fatalf("AllowN(%q, %d): %v", key, n, err)
	}
	if ok && retry != 0 {
		t.Fatalf("AllowN(%q, %d) allowed with retryAfter %v, want 0", key, n, retry)
	}
	if !ok && retry <= 0 {
		t.Fatalf("AllowN(%q, %d) refused with retryAfter %v, want > 0", key, n, retry)
	}
	return ok, retry
}

func expectAllowed(t *testing.T, s ratelimit.Store, key string, n int, what string, args ...any) {
	t.Helper()
	if ok, retry := allow(t, s, key, n); !ok {
		t.Fatalf(what+": refused (retry %v), want allowed", append(args, retry)...)
	}
}
