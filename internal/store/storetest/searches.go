package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

func queries(rs []store.RecentSearch) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Query
	}
	return out
}

func wantSearches(t *testing.T, s store.Store, userID int64, limit int, want ...string) {
	t.Helper()
	got, err := s.RecentSearches(ctx(t), userID, limit)
	must(t, err)
	if got == nil {
		t.Fatal("RecentSearches returned nil, want an empty slice")
	}
	if !slices.Equal(queries(got), want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("recent searches of %d = %q, want %q", userID, queries(got), want)
	}
}

// testRecentSearches pins the list's order (most recent first, a repeat
// moves to the front, a same-millisecond search still ranks above the one
// before), its cap, its isolation per person and clearing.
func testRecentSearches(t *testing.T, s store.Store) {
	w := setup(t, s)
	bea := w.user(t, "Bea")
	ada := w.admin.ID
	wantSearches(t, s, ada, 10)

	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	record := func(uid int64, q string, at time.Time) {
		t.Helper()
		must(t, s.RecordSearch(ctx(t), uid, q, at, 3))
	}
	record(ada, "alpha", t0)
	record(ada, "beta", t0)                    // same millisecond: still after alpha
	record(ada, "gamma", t0.Add(-time.Minute)) // a clock step back: still the newest
	wantSearches(t, s, ada, 10, "gamma", "beta", "alpha")
	got, err := s.RecentSearches(ctx(t), ada, 10)
	must(t, err)
	if !got[0].At.After(got[1].At) || !got[1].At.After(got[2].At) || got[2].At.Location() != time.UTC {
		t.Fatalf("times = %v, %v, %v: want strictly decreasing, UTC", got[0].At, got[1].At, got[2].At)
	}

	record(ada, "alpha", t0.Add(time.Second)) // a repeat moves up, not listed twice
	wantSearches(t, s, ada, 10, "alpha", "gamma", "beta")
	record(ada, "Alpha", t0.Add(2*time.Second)) // exact match only: case is the caller's business
	wantSearches(t, s, ada, 10, "Alpha", "alpha", "gamma")
	wantSearches(t, s, ada, 2, "Alpha", "alpha")
	wantSearches(t, s, ada, 0)

	// Per person.
	record(bea.ID, "bea's secret", t0)
	wantSearches(t, s, bea.ID, 10, "bea's secret")
	wantSearches(t, s, ada, 10, "Alpha", "alpha", "gamma")

	must(t, s.ClearSearches(ctx(t), ada))
	wantSearches(t, s, ada, 10)
	wantSearches(t, s, bea.ID, 10, "bea's secret")
	must(t, s.ClearSearches(ctx(t), ada)) // clearing nothing is fine

	err = s.RecordSearch(ctx(t), 1<<40, "nobody", t0, 3)
	wantErr(t, err, chat.ErrNotFound, "record search for an unknown user")
}

// testRecentSearchesConcurrent: concurrent searches of one person never
// leave more than the cap.
func testRecentSearchesConcurrent(t *testing.T, s store.Store) {
	w := setup(t, s)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			errs <- s.RecordSearch(ctx(t), w.admin.ID, fmt.Sprintf("q%d", i), time.Now(), 5)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	got, err := s.RecentSearches(ctx(t), w.admin.ID, 100)
	must(t, err)
	if len(got) != 5 {
		t.Fatalf("%d searches kept, want 5: %q", len(got), queries(got))
	}
}
