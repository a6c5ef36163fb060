// Package sessiontest is the contract every session.Store passes. It drives
// a store through the interface only, so the same suite runs on the
// database store and on Redis:
//
//	func TestContract(t *testing.T) {
//		sessiontest.Run(t, func(t *testing.T, cfg sessiontest.Config) sessiontest.Harness { … })
//	}
package sessiontest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/store"
)

// Config is what a test asks of the store under test.
type Config struct {
	// IdleTTL goes to the implementation as configured; zero asks for its
	// default.
	IdleTTL time.Duration
	// Now is the clock the implementation must use for activity times.
	Now func() time.Time
}

// Harness is a store under test and what the suite needs around it.
type Harness struct {
	Sessions session.Store
	// DB is the fresh, empty database behind Sessions.
	DB store.Store
	// IdleTTL is the idle timeout in force; zero: sessions never expire.
	IdleTTL time.Duration
	// Forget drops everything cached outside the database, as a Redis
	// flush or restart does, and as Redis's own TTL does once IdleTTL has
	// passed on the fake clock. Nil when nothing is cached.
	Forget func(t *testing.T)
	// Other returns another instance: a second store over the same
	// database and cache.
	Other func(t *testing.T) session.Store
}

// Factory makes a Harness for one test; it closes what it opened when t ends.
type Factory func(t *testing.T, cfg Config) Harness

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at the current time, to the millisecond (as
// the databases keep it), so a real Redis TTL and the fake clock agree at
// the start.
func NewClock() *Clock { return &Clock{t: time.Now().UTC().Truncate(time.Millisecond)} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Run runs the contract; subtests run in parallel, each on its own harness.
func Run(t *testing.T, newHarness Factory) {
	tests := []struct {
		name    string
		idleTTL time.Duration
		fn      func(t *testing.T, e *env)
	}{
		{"CreateLookupDelete", 0, testCreateLookupDelete},
		{"UnknownTokens", 0, testUnknownTokens},
		{"Revoke", 0, testRevoke},
		{"RevokedEverywhere", 0, testRevokedEverywhere},
		{"DeactivatedUser", 0, testDeactivatedUser},
		{"DeactivateThenRevoke", 0, testDeactivateThenRevoke},
		{"RowDeletedBehindItsBack", 0, testRowDeleted},
		{"Activity", 0, testActivity},
		{"DefaultIdleTTL", 0, testIdle},
		{"SlidingIdleTTL", time.Hour, testIdle},
		{"CacheLoss", time.Hour, testCacheLoss},
		{"ConcurrentRevoke", 0, testConcurrentRevoke},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := NewClock()
			h := newHarness(t, Config{IdleTTL: tc.idleTTL, Now: clock.Now})
			tc.fn(t, newEnv(t, h, clock))
		})
	}
}

// env is a harness with an account set up and a few helpers.
type env struct {
	Harness
	clock *Clock
	admin chat.User
	n     atomic.Int64
}

func newEnv(t *testing.T, h Harness, clock *Clock) *env {
	t.Helper()
	_, admin, _, err := h.DB.Setup(t.Context(), store.SetupParams{
		AccountName: "Acme", JoinCode: "join-123", RoomName: "All Talk",
		Admin: store.NewUser{Name: "Ada", Email: "ada@example.com", PasswordHash: "hash-ada"},
	})
	must(t, err)
	return &env{Harness: h, clock: clock, admin: admin}
}

func (e *env) user(t *testing.T) chat.User {
	t.Helper()
	n := e.n.Add(1)
	u, err := e.DB.CreateUser(t.Context(), store.NewUser{
		Name: fmt.Sprintf("Person %d", n), Email: fmt.Sprintf("p%d@example.com", n),
		PasswordHash: "hash", Role: chat.RoleMember,
	})
	must(t, err)
	return u
}

func (e *env) create(t *testing.T, u chat.User) (string, chat.Session) {
	t.Helper()
	token, s, err := e.Sessions.Create(t.Context(), u.ID, "10.0.0.1", "Firefox")
	must(t, err)
	if token == "" || s.ID == 0 || s.UserID != u.ID || s.TokenHash != session.Hash(token) {
		t.Fatalf("Create = %q, %+v", token, s)
	}
	return token, s
}

// signedIn asserts that token works on st and belongs to u.
func signedIn(t *testing.T, st session.Store, token string, u chat.User) chat.Session {
	t.Helper()
	s, got, err := st.Lookup(t.Context(), token, "10.0.0.1", "Firefox")
	if err != nil {
		t.Fatalf("Lookup: %v, want signed in", err)
	}
	if got.ID != u.ID || got.Email != u.Email || !got.Active() || s.UserID != u.ID || s.TokenHash != session.Hash(token) || s.ID == 0 {
		t.Fatalf("Lookup = %+v, %+v; want user %d", s, got, u.ID)
	}
	return s
}

func signedOut(t *testing.T, st session.Store, token, why string) {
	t.Helper()
	s, u, err := st.Lookup(t.Context(), token, "10.0.0.1", "Firefox")
	if !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("%s: Lookup = %+v, %+v, %v; want chat.ErrNotFound", why, s, u, err)
	}
}

func (e *env) forget(t *testing.T) {
	t.Helper()
	if e.Forget != nil {
		e.Forget(t)
	}
}

func (e *env) rows(t *testing.T, u chat.User) []chat.Session {
	t.Helper()
	list, err := e.DB.UserSessions(t.Context(), u.ID)
	must(t, err)
	return list
}

func testCreateLookupDelete(t *testing.T, e *env) {
	u := e.user(t)
	token, s := e.create(t, u)
	got := signedIn(t, e.Sessions, token, u)
	if got.ID != s.ID || got.IP != "10.0.0.1" || got.UserAgent != "Firefox" {
		t.Fatalf("Lookup session = %+v, want %+v", got, s)
	}
	// The database is the durable record, whatever else caches it.
	if list := e.rows(t, u); len(list) != 1 || list[0].TokenHash != s.TokenHash {
		t.Fatalf("UserSessions = %+v", list)
	}
	del, err := e.Sessions.Delete(t.Context(), token)
	must(t, err)
	if del.ID != s.ID || del.UserID != u.ID || del.TokenHash != s.TokenHash {
		t.Fatalf("Delete = %+v, want %+v", del, s)
	}
	signedOut(t, e.Sessions, token, "after Delete")
	if list := e.rows(t, u); len(list) != 0 {
		t.Fatalf("UserSessions after Delete = %+v", list)
	}
	// Signing out twice is fine and says there was nothing left.
	del, err = e.Sessions.Delete(t.Context(), token)
	if err != nil || del != (chat.Session{}) {
		t.Fatalf("second Delete = %+v, %v", del, err)
	}
}

func testUnknownTokens(t *testing.T, e *env) {
	u := e.user(t)
	token, _ := e.create(t, u)
	long := make([]byte, 200)
	for i := range long {
		long[i] = 'a'
	}
	for _, bad := range []string{"", session.NewToken(), string(long), token[:len(token)-1], session.Hash(token)} {
		signedOut(t, e.Sessions, bad, fmt.Sprintf("token %.20q", bad))
		if s, err := e.Sessions.Delete(t.Context(), bad); err != nil || s != (chat.Session{}) {
			t.Fatalf("Delete(%.20q) = %+v, %v", bad, s, err)
		}
	}
	must(t, e.Sessions.Revoke(t.Context(), session.Hash(session.NewToken()), "", "not-a-hash"))
	must(t, e.Sessions.Revoke(t.Context()))
	signedIn(t, e.Sessions, token, u)
}

func testRevoke(t *testing.T, e *env) {
	u := e.user(t)
	t1, s1 := e.create(t, u)
	t2, s2 := e.create(t, u)
	t3, _ := e.create(t, u)
	for _, tok := range []string{t1, t2, t3} {
		signedIn(t, e.Sessions, tok, u)
	}
	must(t, e.Sessions.Revoke(t.Context(), s1.TokenHash, s2.TokenHash, session.Hash(session.NewToken())))
	signedOut(t, e.Sessions, t1, "revoked 1")
	signedOut(t, e.Sessions, t2, "revoked 2")
	signedIn(t, e.Sessions, t3, u)
	if list := e.rows(t, u); len(list) != 1 {
		t.Fatalf("UserSessions after Revoke = %+v", list)
	}
	// Revoking again is not an error.
	must(t, e.Sessions.Revoke(t.Context(), s1.TokenHash))
	// Nothing brings a revoked session back: not a lost cache, not time.
	e.clock.Advance(2 * session.TouchEvery)
	e.forget(t)
	signedOut(t, e.Sessions, t1, "revoked, cache lost")
	signedIn(t, e.Sessions, t3, u)
}

func testRevokedEverywhere(t *testing.T, e *env) {
	if e.Other == nil {
		t.Skip("no second instance")
	}
	other := e.Other(t)
	u := e.user(t)
	t1, s1 := e.create(t, u)
	t2, _ := e.create(t, u)
	// A session made on one instance works on the other.
	signedIn(t, other, t1, u)
	signedIn(t, e.Sessions, t1, u)
	signedIn(t, other, t2, u)
	must(t, e.Sessions.Revoke(t.Context(), s1.TokenHash))
	signedOut(t, other, t1, "revoked on the other instance")
	_, err := other.Delete(t.Context(), t2)
	must(t, err)
	signedOut(t, e.Sessions, t2, "signed out on the other instance")
}

// The user is read from the database on every Lookup: deactivating them
// signs them out at once, even before anyone revokes their sessions.
func testDeactivatedUser(t *testing.T, e *env) {
	for _, status := range []chat.Status{chat.StatusDeactivated, chat.StatusBanned} {
		u := e.user(t)
		token, _ := e.create(t, u)
		signedIn(t, e.Sessions, token, u)
		_, err := e.DB.DeactivateUser(t.Context(), u.ID, status)
		must(t, err)
		signedOut(t, e.Sessions, token, string(status))
		e.forget(t)
		signedOut(t, e.Sessions, token, string(status)+", cache lost")
	}
}

// The core's path: list the sessions, deactivate (which deletes the rows),
// then revoke the listed hashes so no cached copy remains.
func testDeactivateThenRevoke(t *testing.T, e *env) {
	u := e.user(t)
	token, _ := e.create(t, u)
	signedIn(t, e.Sessions, token, u)
	list := e.rows(t, u)
	_, err := e.DB.DeactivateUser(t.Context(), u.ID, chat.StatusDeactivated)
	must(t, err)
	hashes := make([]string, 0, len(list))
	for _, s := range list {
		hashes = append(hashes, s.TokenHash)
	}
	must(t, e.Sessions.Revoke(t.Context(), hashes...))
	signedOut(t, e.Sessions, token, "deactivated and revoked")
}

// A row deleted in the database without the session store (a cached copy
// missed its revocation) stops working within TouchEvery.
func testRowDeleted(t *testing.T, e *env) {
	u := e.user(t)
	token, s := e.create(t, u)
	signedIn(t, e.Sessions, token, u)
	must(t, e.DB.DeleteSession(t.Context(), s.TokenHash))
	e.clock.Advance(session.TouchEvery + time.Second)
	signedOut(t, e.Sessions, token, "row deleted, TouchEvery later")
	if e.Other != nil {
		signedOut(t, e.Other(t), token, "row deleted, other instance")
	}
}

func testActivity(t *testing.T, e *env) {
	u := e.user(t)
	token, s := e.create(t, u)
	lastActive := func() chat.Session {
		t.Helper()
		list := e.rows(t, u)
		if len(list) != 1 {
			t.Fatalf("UserSessions = %+v", list)
		}
		return list[0]
	}
	// Within TouchEvery, a lookup does not write.
	e.clock.Advance(session.TouchEvery / 2)
	if _, _, err := e.Sessions.Lookup(t.Context(), token, "10.0.0.2", "Safari"); err != nil {
		t.Fatal(err)
	}
	if got := lastActive(); !got.LastActiveAt.Equal(s.LastActiveAt.Truncate(time.Millisecond)) || got.IP != "10.0.0.1" {
		t.Fatalf("touched within TouchEvery: %+v, created %+v", got, s)
	}
	// Past it, the lookup records when and from where.
	e.clock.Advance(session.TouchEvery)
	now := e.clock.Now()
	got, _, err := e.Sessions.Lookup(t.Context(), token, "10.0.0.2", "Safari")
	must(t, err)
	if !got.LastActiveAt.Equal(now) || got.IP != "10.0.0.2" || got.UserAgent != "Safari" {
		t.Fatalf("Lookup after TouchEvery = %+v, want active at %v from 10.0.0.2", got, now)
	}
	if row := lastActive(); !row.LastActiveAt.Equal(now) || row.IP != "10.0.0.2" || row.UserAgent != "Safari" {
		t.Fatalf("row after TouchEvery = %+v, want active at %v", row, now)
	}
	// Every instance sees the recorded activity.
	e.forget(t)
	again := signedIn(t, e.Sessions, token, u)
	if !again.LastActiveAt.Equal(now) {
		t.Fatalf("after cache loss LastActiveAt = %v, want %v", again.LastActiveAt, now)
	}
}

// testIdle pins the idle timeout: activity keeps a session alive however
// long it lives; IdleTTL without a lookup ends it, and the row goes too.
func testIdle(t *testing.T, e *env) {
	u := e.user(t)
	token, _ := e.create(t, u)
	idle := e.IdleTTL
	if idle == 0 {
		// No server-side expiry: a session idle for years still works.
		e.clock.Advance(3 * 365 * 24 * time.Hour)
		e.forget(t)
		signedIn(t, e.Sessions, token, u)
		return
	}
	// Sliding: a lookup every 0.6 IdleTTL keeps it alive for 3 IdleTTL.
	for range 5 {
		e.clock.Advance(idle * 6 / 10)
		signedIn(t, e.Sessions, token, u)
	}
	// A cache that lost it (a flush) falls back to the database row,
	// which is recent enough.
	e.clock.Advance(idle / 2)
	e.forget(t)
	signedIn(t, e.Sessions, token, u)
	// Idle for longer than IdleTTL: gone, from the database as well.
	e.clock.Advance(idle + time.Second)
	e.forget(t) // what Redis's TTL does by itself
	signedOut(t, e.Sessions, token, "idle past IdleTTL")
	if list := e.rows(t, u); len(list) != 0 {
		t.Fatalf("expired session still listed: %+v", list)
	}
}

// A lost cache (a Redis flush or restart) signs no one out.
func testCacheLoss(t *testing.T, e *env) {
	u := e.user(t)
	t1, _ := e.create(t, u)
	t2, _ := e.create(t, u) // never looked up before the loss
	signedIn(t, e.Sessions, t1, u)
	e.forget(t)
	signedIn(t, e.Sessions, t1, u)
	signedIn(t, e.Sessions, t2, u)
	e.forget(t)
	if e.Other != nil {
		signedIn(t, e.Other(t), t1, u)
	}
	// Revocation still works on the refilled cache.
	_, err := e.Sessions.Delete(t.Context(), t1)
	must(t, err)
	signedOut(t, e.Sessions, t1, "deleted after the cache refilled")
	signedIn(t, e.Sessions, t2, u)
}

// Lookups racing a revocation: once Revoke returns, none succeeds.
func testConcurrentRevoke(t *testing.T, e *env) {
	u := e.user(t)
	token, s := e.create(t, u)
	var (
		wg      sync.WaitGroup
		revoked atomic.Bool
		late    atomic.Int64
	)
	for range 8 {
		wg.Go(func() {
			for i := 0; i < 200; i++ {
				was := revoked.Load()
				_, _, err := e.Sessions.Lookup(t.Context(), token, "10.0.0.1", "Firefox")
				switch {
				case err == nil && was:
					late.Add(1)
				case err != nil && !errors.Is(err, chat.ErrNotFound):
					t.Error(err)
					return
				}
				if was && i > 20 {
					return
				}
			}
		})
	}
	e.clock.Advance(session.TouchEvery + time.Second) // lookups touch as well
	must(t, e.Sessions.Revoke(t.Context(), s.TokenHash))
	revoked.Store(true)
	wg.Wait()
	if n := late.Load(); n > 0 {
		t.Fatalf("%d lookups succeeded after Revoke returned", n)
	}
	signedOut(t, e.Sessions, token, "after concurrent revoke")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
