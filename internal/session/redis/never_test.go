package redis

import (
	"github.com/campfire-go/campfire/internal/testenv"
	"testing"
	"time"
)

// IdleTTL < 0 keeps people signed in however long they are away, as on one
// instance: the key still slides (as a cache, DefaultIdleTTL), and once it
// is gone the database serves the session again however old its activity.
func TestNoIdleExpiry(t *testing.T) {
	rdb, st := testenv.RedisClient(t), openDB(t)
	prefix := testenv.RedisPrefix(t)
	s := newStore(t, rdb, st, Options{Prefix: prefix, IdleTTL: -1})
	u := person(t, st)
	token, ss, err := s.Create(t.Context(), u.ID, "10.0.0.1", "Firefox")
	must(t, err)
	wantTTL(t, rdb, s.Key(ss.TokenHash), DefaultIdleTTL)

	// A month away: activity far in the past, the cached copy gone.
	must(t, st.TouchSession(t.Context(), ss.ID, time.Now().Add(-30*24*time.Hour).UTC(), "10.0.0.1", "Firefox"))
	flush(t, rdb, prefix)
	if _, _, err := s.Lookup(t.Context(), token, "10.0.0.1", "Firefox"); err != nil {
		t.Fatalf("Lookup after a month away: %v; want still signed in", err)
	}
	wantTTL(t, rdb, s.Key(ss.TokenHash), DefaultIdleTTL)
}
