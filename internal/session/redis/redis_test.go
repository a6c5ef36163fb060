package redis

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/session/sessiontest"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/postgres"
	"github.com/campfire-go/campfire/internal/store/sqlite"
	"github.com/campfire-go/campfire/internal/testenv"
)

func TestContract(t *testing.T) { sessiontest.Run(t, harness(emptyDB)) }

// The production pairing: Redis in front of PostgreSQL.
func TestContractPostgres(t *testing.T) {
	testenv.PostgresURL(t)
	testenv.RedisURL(t)
	sessiontest.Run(t, harness(func(t *testing.T) store.Store {
		st, err := postgres.Open(t.Context(), testenv.PostgresSchema(t), postgres.Options{})
		must(t, err)
		t.Cleanup(func() { _ = st.Close() })
		return st
	}))
}

func harness(open func(t *testing.T) store.Store) sessiontest.Factory {
	return func(t *testing.T, cfg sessiontest.Config) sessiontest.Harness {
		rdb := testenv.RedisClient(t)
		st := open(t)
		opts := Options{Prefix: testenv.RedisPrefix(t), IdleTTL: cfg.IdleTTL, Now: cfg.Now}
		s := newStore(t, rdb, st, opts)
		return sessiontest.Harness{
			Sessions: s,
			DB:       st,
			IdleTTL:  s.IdleTTL(),
			Forget:   func(t *testing.T) { flush(t, rdb, opts.Prefix) },
			Other:    func(t *testing.T) session.Store { return newStore(t, rdb, st, opts) },
		}
	}
}

// Every Lookup sets the key's TTL back to IdleTTL: the sliding timeout is
// Redis's own, the same on every instance.
func TestSlidingTTL(t *testing.T) {
	rdb, st := testenv.RedisClient(t), openDB(t)
	s := newStore(t, rdb, st, Options{Prefix: testenv.RedisPrefix(t)})
	u := person(t, st)
	token, ss, err := s.Create(t.Context(), u.ID, "10.0.0.1", "Firefox")
	must(t, err)
	key := s.Key(ss.TokenHash)
	if want := testenv.RedisPrefix(t) + "session:" + session.Hash(token); key != want {
		t.Fatalf("key %q, want %q", key, want)
	}
	raw, err := rdb.Get(t.Context(), key).Bytes()
	must(t, err)
	if bytes.Contains(raw, []byte(token)) || len(raw) > 64 {
		t.Fatalf("cached value %q: want compact, without the token", raw)
	}
	wantTTL(t, rdb, key, DefaultIdleTTL)

	must(t, rdb.PExpire(t.Context(), key, 5*time.Second).Err())
	_, _, err = s.Lookup(t.Context(), token, "10.0.0.1", "Firefox")
	must(t, err)
	wantTTL(t, rdb, key, DefaultIdleTTL)
}

// With a real short IdleTTL, Redis drops the key by itself and the
// database fallback agrees that the session is over.
func TestRealExpiry(t *testing.T) {
	rdb, st := testenv.RedisClient(t), openDB(t)
	const idle = 300 * time.Millisecond
	s := newStore(t, rdb, st, Options{Prefix: testenv.RedisPrefix(t), IdleTTL: idle})
	u := person(t, st)
	token, ss, err := s.Create(t.Context(), u.ID, "10.0.0.1", "Firefox")
	must(t, err)
	_, _, err = s.Lookup(t.Context(), token, "10.0.0.1", "Firefox")
	must(t, err)
	deadline := time.Now().Add(5 * time.Second)
	for rdb.Exists(t.Context(), s.Key(ss.TokenHash)).Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("key still there 5 s after a 300 ms TTL")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, _, err := s.Lookup(t.Context(), token, "10.0.0.1", "Firefox"); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("Lookup after expiry: %v, want chat.ErrNotFound", err)
	}
	list, err := st.UserSessions(t.Context(), u.ID)
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("expired row kept: %+v", list)
	}
}

// Without Redis, people stay signed in from the database, revocation
// still holds, and the outage is logged once, not once per request.
func TestRedisUnreachable(t *testing.T) {
	st := openDB(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	must(t, l.Close())
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, DialerRetries: 1, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	logs := &countHandler{}
	s := newStore(t, rdb, st, Options{Prefix: testenv.RedisPrefix(t), Logger: slog.New(logs), LogEvery: time.Hour})
	u := person(t, st)

	token, _, err := s.Create(t.Context(), u.ID, "10.0.0.1", "Firefox")
	must(t, err)
	other, _, err := s.Create(t.Context(), u.ID, "10.0.0.1", "Firefox")
	must(t, err)
	for range 20 {
		if _, got, err := s.Lookup(t.Context(), token, "10.0.0.1", "Firefox"); err != nil || got.ID != u.ID {
			t.Fatalf("Lookup without Redis = %+v, %v", got, err)
		}
	}
	_, err = s.Delete(t.Context(), token)
	must(t, err)
	if _, _, err := s.Lookup(t.Context(), token, "10.0.0.1", "Firefox"); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("Lookup after Delete without Redis: %v", err)
	}
	must(t, s.Revoke(t.Context(), session.Hash(other)))
	if _, _, err := s.Lookup(t.Context(), other, "10.0.0.1", "Firefox"); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("Lookup after Revoke without Redis: %v", err)
	}
	if n := logs.warnings.Load(); n != 1 {
		t.Fatalf("%d warnings during one outage, want 1", n)
	}
}

// A DEL that fails leaves a copy in Redis. This instance refuses the
// session at once and retries the DEL; another instance refuses it at the
// latest TouchEvery later, when its activity touch finds the row gone.
func TestDelFails(t *testing.T) {
	st := openDB(t)
	clock := sessiontest.NewClock()
	p := testenv.RedisPrefix(t)
	failing := &failDel{}
	hooked := testenv.RedisClient(t)
	hooked.AddHook(failing)
	// No Backoff: a's own cache must not be skipped after the injected failures.
	a := newStore(t, hooked, st, Options{Prefix: p, Now: clock.Now, RetryEvery: 10 * time.Millisecond, Backoff: time.Nanosecond, Logger: quiet()})
	rdb := testenv.RedisClient(t)
	b := newStore(t, rdb, st, Options{Prefix: p, Now: clock.Now})
	u := person(t, st)

	t.Run("other instance within TouchEvery", func(t *testing.T) {
		token, ss, err := a.Create(t.Context(), u.ID, "10.0.0.1", "Firefox")
		must(t, err)
		if rdb.Exists(t.Context(), a.Key(ss.TokenHash)).Val() != 1 {
			t.Fatal("Create did not cache the session")
		}
		failing.on.Store(true)
		defer failing.on.Store(false)
		must(t, a.Revoke(t.Context(), ss.TokenHash))
		if _, _, err := a.Lookup(t.Context(), token, "", ""); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("revoking instance: %v, want chat.ErrNotFound", err)
		}
		if rdb.Exists(t.Context(), a.Key(ss.TokenHash)).Val() != 1 {
			t.Fatal("the DEL was meant to fail")
		}
		clock.Advance(session.TouchEvery + time.Second)
		if _, _, err := b.Lookup(t.Context(), token, "", ""); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("other instance TouchEvery later: %v, want chat.ErrNotFound", err)
		}
		if rdb.Exists(t.Context(), a.Key(ss.TokenHash)).Val() != 0 {
			t.Fatal("the refusing instance left the copy behind")
		}
	})

	t.Run("retried in the background", func(t *testing.T) {
		token, ss, err := a.Create(t.Context(), u.ID, "10.0.0.1", "Firefox")
		must(t, err)
		if rdb.Exists(t.Context(), a.Key(ss.TokenHash)).Val() != 1 {
			t.Fatal("Create did not cache the session")
		}
		failing.on.Store(true)
		_, err = a.Delete(t.Context(), token)
		must(t, err)
		failing.on.Store(false)
		deadline := time.Now().Add(5 * time.Second)
		for rdb.Exists(t.Context(), a.Key(ss.TokenHash)).Val() == 1 {
			if time.Now().After(deadline) {
				t.Fatal("the failed DEL was not retried within 5 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if _, _, err := b.Lookup(t.Context(), token, "", ""); !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("other instance after the retry: %v", err)
		}
	})
}

// A revocation that lands between a miss's database read and its SET
// finds no key to delete; the miss must not leave its copy behind.
func TestRevokeRacesRecache(t *testing.T) {
	st := openDB(t)
	p := testenv.RedisPrefix(t)
	race := &beforeSet{}
	hooked := testenv.RedisClient(t)
	hooked.AddHook(race)
	a := newStore(t, hooked, st, Options{Prefix: p})
	rdb := testenv.RedisClient(t)
	b := newStore(t, rdb, st, Options{Prefix: p})
	u := person(t, st)
	token, ss, err := b.Create(t.Context(), u.ID, "10.0.0.1", "Firefox")
	must(t, err)
	flush(t, rdb, p) // a flush: a's next lookup misses and re-caches
	revoke := func() { must(t, b.Revoke(t.Context(), ss.TokenHash)) }
	race.fn.Store(&revoke)
	_, _, _ = a.Lookup(t.Context(), token, "10.0.0.1", "Firefox") // either answer: it raced
	if rdb.Exists(t.Context(), a.Key(ss.TokenHash)).Val() != 0 {
		t.Fatal("the racing re-cache left a copy of a revoked session")
	}
	if _, _, err := b.Lookup(t.Context(), token, "", ""); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("after the race: %v, want chat.ErrNotFound", err)
	}

	// The same race on a hit whose activity touch rewrites the entry.
	clock := sessiontest.NewClock()
	a = newStore(t, hooked, st, Options{Prefix: p, Now: clock.Now})
	token, ss, err = b.Create(t.Context(), u.ID, "10.0.0.1", "Firefox")
	must(t, err)
	clock.Advance(session.TouchEvery + time.Second)
	revoke = func() { must(t, b.Revoke(t.Context(), ss.TokenHash)) }
	race.fn.Store(&revoke)
	_, _, _ = a.Lookup(t.Context(), token, "10.0.0.1", "Firefox")
	if race.fn.Load() != nil {
		t.Fatal("the hit did not rewrite its entry")
	}
	if rdb.Exists(t.Context(), a.Key(ss.TokenHash)).Val() != 0 {
		t.Fatal("the activity rewrite brought back a revoked session")
	}
}

// A value this release cannot read (another format) is a miss: the
// database answers and the key is rewritten.
func TestUnreadableValue(t *testing.T) {
	rdb, st := testenv.RedisClient(t), openDB(t)
	s := newStore(t, rdb, st, Options{Prefix: testenv.RedisPrefix(t)})
	u := person(t, st)
	token, ss, err := s.Create(t.Context(), u.ID, "10.0.0.1", "Firefox")
	must(t, err)
	must(t, rdb.Set(t.Context(), s.Key(ss.TokenHash), "\x09garbage", time.Hour).Err())
	got, _, err := s.Lookup(t.Context(), token, "10.0.0.1", "Firefox")
	must(t, err)
	if got.ID != ss.ID {
		t.Fatalf("Lookup = %+v", got)
	}
	raw, err := rdb.Get(t.Context(), s.Key(ss.TokenHash)).Bytes()
	must(t, err)
	if _, ok := decode(raw, ss.TokenHash); !ok {
		t.Fatalf("key not rewritten: %q", raw)
	}
}

func TestEncoding(t *testing.T) {
	at := time.UnixMilli(1_790_000_000_123).UTC()
	in := chat.Session{ID: 42, UserID: 7, TokenHash: "h", IP: "2001:db8::1", UserAgent: "Mozilla/5.0 (X11) ✓",
		CreatedAt: at, LastActiveAt: at.Add(time.Hour)}
	b := encode(in)
	out, ok := decode(b, "h")
	if !ok || out != in {
		t.Fatalf("decode(encode) = %+v, %v; want %+v", out, ok, in)
	}
	for i := range len(b) {
		if _, ok := decode(b[:i], "h"); ok {
			t.Fatalf("truncated to %d bytes still decodes", i)
		}
	}
	if _, ok := decode(append(b, 0), "h"); ok {
		t.Fatal("trailing byte decodes")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encode(chat.Session{ID: 1, UserID: 2, IP: "ip", UserAgent: "ua"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, ok := decode(b, "h"); ok && (s.ID <= 0 || s.UserID <= 0) {
			t.Fatalf("accepted %+v", s)
		}
	})
}

// BenchmarkLookup is the per-request cost of authenticating on a Redis
// hit: GETEX, then the user by id from the database (SQLite here).
func BenchmarkLookup(b *testing.B) {
	rdb := testenv.RedisClient(b)
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "campfire.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	_, admin, _, err := st.Setup(b.Context(), store.SetupParams{
		AccountName: "Acme", JoinCode: "j", RoomName: "All Talk",
		Admin: store.NewUser{Name: "Ada", Email: "ada@example.com", PasswordHash: "h"},
	})
	if err != nil {
		b.Fatal(err)
	}
	s := New(rdb, st, Options{Prefix: testenv.RedisPrefix(b)})
	b.Cleanup(func() { _ = s.Close() })
	token, _, err := s.Create(b.Context(), admin.ID, "10.0.0.1", "Firefox")
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := s.Lookup(b.Context(), token, "10.0.0.1", "Firefox"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// Helpers.

func newStore(t *testing.T, rdb goredis.UniversalClient, st store.Store, opts Options) *Store {
	t.Helper()
	s := New(rdb, st, opts)
	t.Cleanup(func() { _ = s.Close() }) // testenv.RedisPrefix deletes the keys
	return s
}

func flush(t *testing.T, rdb goredis.UniversalClient, prefix string) {
	t.Helper()
	iter := rdb.Scan(t.Context(), 0, prefix+"*", 100).Iterator()
	for iter.Next(t.Context()) {
		must(t, rdb.Del(t.Context(), iter.Val()).Err())
	}
	must(t, iter.Err())
}

func emptyDB(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "campfire.db"), sqlite.Options{})
	must(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// openDB returns a database with an account set up.
func openDB(t *testing.T) store.Store {
	t.Helper()
	st := emptyDB(t)
	_, _, _, err := st.Setup(t.Context(), store.SetupParams{
		AccountName: "Acme", JoinCode: "join-123", RoomName: "All Talk",
		Admin: store.NewUser{Name: "Ada", Email: "ada@example.com", PasswordHash: "hash"},
	})
	must(t, err)
	return st
}

func person(t *testing.T, st store.Store) chat.User {
	t.Helper()
	u, err := st.CreateUser(t.Context(), store.NewUser{Name: "Bob", Email: "bob@example.com", PasswordHash: "hash", Role: chat.RoleMember})
	must(t, err)
	return u
}

func wantTTL(t *testing.T, rdb goredis.UniversalClient, key string, want time.Duration) {
	t.Helper()
	got, err := rdb.PTTL(t.Context(), key).Result()
	must(t, err)
	if got > want || got < want-5*time.Second {
		t.Fatalf("TTL of %s = %v, want about %v", key, got, want)
	}
}

// failDel makes DEL fail while on is set, as an unreachable Redis would.
type failDel struct{ on atomic.Bool }

var errInjected = errors.New("injected: Redis unreachable")

func (f *failDel) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (f *failDel) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if f.on.Load() && cmd.Name() == "del" {
			cmd.SetErr(errInjected)
			return errInjected
		}
		return next(ctx, cmd)
	}
}

func (f *failDel) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if f.on.Load() {
			for _, c := range cmds {
				if c.Name() == "del" {
					c.SetErr(errInjected)
					return errInjected
				}
			}
		}
		return next(ctx, cmds)
	}
}

// beforeSet runs fn, once, before the next SET goes out.
type beforeSet struct{ fn atomic.Pointer[func()] }

func (h *beforeSet) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *beforeSet) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if cmd.Name() == "set" {
			if fn := h.fn.Swap(nil); fn != nil {
				(*fn)()
			}
		}
		return next(ctx, cmd)
	}
}

func (h *beforeSet) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

type countHandler struct{ warnings atomic.Int64 }

func (h *countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.warnings.Add(1)
	}
	return nil
}
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countHandler) WithGroup(string) slog.Handler      { return h }

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
