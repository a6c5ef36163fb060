package redis

import (
	"slices"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/broker/memory"
	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/render"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/testenv"
)

// The core revokes through the session store, so a password change, a
// reset, a deactivation and a sign-out delete the Redis copies too: with a
// copy left behind, a hit would still sign the session in (its user is
// active and its activity fresh).
func TestCoreRevokesRedisCopies(t *testing.T) {
	rdb, st := testenv.RedisClient(t), openDB(t)
	rs := newStore(t, rdb, st, Options{Prefix: testenv.RedisPrefix(t)})
	core := campfire.New(st, rs, memory.New(100), render.New(), campfire.Options{BcryptCost: bcrypt.MinCost}, quiet())
	var (
		mu     sync.Mutex
		closed []string
	)
	core.SetLocalControl(func(e broker.Event) {
		if e.Type == broker.ControlCloseSession {
			mu.Lock()
			closed = append(closed, e.Sessions...)
			mu.Unlock()
		}
	})
	admin, err := st.UserByEmail(t.Context(), "ada@example.com")
	must(t, err)
	login := func(u chat.User) string {
		t.Helper()
		token, _, err := rs.Create(t.Context(), u.ID, "203.0.113.7", "Firefox")
		must(t, err)
		if _, err := core.Authenticate(t.Context(), token, campfire.Client{}); err != nil {
			t.Fatalf("fresh session: %v", err)
		}
		return token
	}
	cached := func(token string) bool {
		return rdb.Exists(t.Context(), rs.Key(session.Hash(token))).Val() == 1
	}
	signedIn := func(token string) bool {
		t.Helper()
		_, err := core.Authenticate(t.Context(), token, campfire.Client{})
		if e, ok := chat.AsError(err); err != nil && (!ok || e.Kind != chat.KindUnauthorized) {
			t.Fatal(err)
		}
		return err == nil
	}
	newUser := func(name string) chat.User {
		t.Helper()
		u, err := st.CreateUser(t.Context(), store.NewUser{Name: name, Email: name + "@example.com", PasswordHash: "hash", Role: chat.RoleMember})
		must(t, err)
		return u
	}

	bob := newUser("bob")
	here, there := login(bob), login(bob)
	pw := "a brand new password"
	_, err = core.UpdateProfile(t.Context(), bob, campfire.ProfileUpdate{Password: &pw, CurrentSession: session.Hash(here)})
	must(t, err)
	if !cached(here) || !signedIn(here) {
		t.Fatal("the session that changed the password was signed out")
	}
	if cached(there) || signedIn(there) {
		t.Fatal("another session survived a password change")
	}
	mu.Lock()
	if !slices.Equal(closed, []string{session.Hash(there)}) {
		t.Fatalf("sockets closed for %v, want the other session", closed)
	}
	mu.Unlock()

	_, err = core.ResetPassword(t.Context(), "bob@example.com")
	must(t, err)
	if cached(here) || signedIn(here) {
		t.Fatal("a session survived a password reset")
	}

	for _, ban := range []bool{false, true} {
		carol := newUser(map[bool]string{false: "carol", true: "dave"}[ban])
		a, b := login(carol), login(carol)
		if ban {
			must(t, core.Ban(t.Context(), admin, carol.ID))
		} else {
			must(t, core.Deactivate(t.Context(), admin, carol.ID))
		}
		for _, tok := range []string{a, b} {
			if cached(tok) || signedIn(tok) {
				t.Fatalf("ban=%v: a session of a deactivated user is still cached or valid", ban)
			}
		}
	}
	ips, err := st.BannedIPs(t.Context())
	must(t, err)
	if !slices.Contains(ips, "203.0.113.7") {
		t.Fatalf("banned IPs %v: the sessions were revoked before the ban read them", ips)
	}

	erin := newUser("erin")
	tok := login(erin)
	must(t, core.SignOut(t.Context(), tok))
	if cached(tok) || signedIn(tok) {
		t.Fatal("a signed-out session is still cached or valid")
	}
}
