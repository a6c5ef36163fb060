package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/web"
	"github.com/campfire-go/campfire/internal/web/webtest"
	"github.com/campfire-go/campfire/internal/wire"
)

// Signing out closes the sockets opened with that session: the hub is told
// which session by its token hash.
func TestSignOutClosesTheSessionsSockets(t *testing.T) {
	s := newServer(t)
	token, _ := s.Join(t, "Bea")
	s.Must(t, http.StatusNoContent, "DELETE", "/api/v1/session", nil, token)
	s.Events.Wait(t, 5*time.Second, broker.ControlCloseSession, func(e broker.Event) bool {
		return len(e.Sessions) == 1 && e.Sessions[0] == session.Hash(token)
	})
}

// A new password signs out every other session (and closes their sockets),
// but not the one that made the change.
func TestPasswordChangeRevokesOtherSessions(t *testing.T) {
	s := newServer(t)
	first, _ := s.Join(t, "Bea")
	var second struct{ Token string }
	s.Must(t, http.StatusCreated, "POST", "/api/v1/session",
		map[string]string{"email": "bea@example.com", "password": webtest.AdminPassword}, "").JSON(t, &second)
	if second.Token == "" {
		t.Fatal("no second session")
	}
	s.Must(t, http.StatusOK, "PATCH", "/api/v1/users/me", map[string]string{"name": "Bea B"}, first)
	s.Must(t, http.StatusOK, "GET", "/api/v1/users/me", nil, second.Token) // a name change revokes nothing

	s.Must(t, http.StatusOK, "PATCH", "/api/v1/users/me", map[string]string{"password": "a new password"}, first)
	s.Must(t, http.StatusOK, "GET", "/api/v1/users/me", nil, first)
	if res := s.Do(t, "GET", "/api/v1/users/me", nil, second.Token); res.Status != http.StatusUnauthorized {
		t.Fatalf("the other session after a password change: %d, want 401", res.Status)
	}
	s.Events.Wait(t, 5*time.Second, broker.ControlCloseSession, func(e broker.Event) bool {
		return len(e.Sessions) == 1 && e.Sessions[0] == session.Hash(second.Token)
	})
}

// Hostile text: NUL in a body or a search, direction overrides and
// invisible names are refused with 422, never stored or a 500.
func TestHostileText(t *testing.T) {
	s := newServer(t)
	room := allTalk(t, s)
	run(t, s, []scenario{
		{"NUL in a message", "POST", roomPath(room, "messages"), map[string]string{"body": "a\x00b"}, s.AdminToken, 422, "invalid_body"},
		{"NUL in a search", "GET", "/api/v1/search?q=a%00b", nil, s.AdminToken, 422, "invalid_query"},
		{"control character in a search", "GET", "/api/v1/search?q=a%07b", nil, s.AdminToken, 422, "invalid_query"},
		{"invalid UTF-8 in a search", "GET", "/api/v1/search?q=a%ffb", nil, s.AdminToken, 422, "invalid_query"},
		{"right-to-left override in a name", "PATCH", "/api/v1/users/me", map[string]string{"name": "bob\u202egnp.exe"}, s.AdminToken, 422, "invalid_name"},
		{"zero-width name", "PATCH", "/api/v1/users/me", map[string]string{"name": "\u200b\u200b"}, s.AdminToken, 422, "invalid_name"},
		{"invisible room name", "POST", "/api/v1/rooms", map[string]any{"name": "\u2060", "type": "open"}, s.AdminToken, 422, "invalid_name"},
		{"zero-width boost", "POST", "/api/v1/messages/1/boosts", map[string]string{"content": "\u200b"}, s.AdminToken, 422, "invalid_boost"},
		{"ordinary search", "GET", "/api/v1/search?q=%22AND%20*%20)", nil, s.AdminToken, 200, ""},
	})
}

// Bans are stored canonically and refuse addresses that would lock out the
// admin or everyone.
func TestBanAddresses(t *testing.T) {
	s := newServer(t)
	run(t, s, []scenario{
		{"loopback", "POST", "/api/v1/bans", map[string]string{"ip": "127.0.0.1"}, s.AdminToken, 422, "invalid_ip"},
		{"loopback spelled long", "POST", "/api/v1/bans", map[string]string{"ip": "0:0:0:0:0:0:0:1"}, s.AdminToken, 422, "invalid_ip"},
		{"not an address", "POST", "/api/v1/bans", map[string]string{"ip": "10.0.0"}, s.AdminToken, 422, "invalid_ip"},
		{"mapped IPv4", "POST", "/api/v1/bans", map[string]string{"ip": "::ffff:203.0.113.9"}, s.AdminToken, 204, ""},
		{"the same address again", "POST", "/api/v1/bans", map[string]string{"ip": "203.0.113.9"}, s.AdminToken, 204, ""},
	})
	var bans struct {
		IPs []string `json:"ips"`
	}
	s.Must(t, http.StatusOK, "GET", "/api/v1/bans", nil, s.AdminToken).JSON(t, &bans)
	if strings.Join(bans.IPs, ",") != "203.0.113.9" {
		t.Fatalf("bans = %v, want the one canonical address", bans.IPs)
	}
	if !s.Core.IPBanned("::ffff:203.0.113.9") || !s.Core.IPBanned("203.0.113.9") {
		t.Fatal("the ban does not match both spellings")
	}
}

// Sign-in attempts against one account are limited whatever address they
// come from.
func TestSignInLimitedPerAccount(t *testing.T) {
	s := webtest.New(t, webtest.Options{Deps: func(d *web.Deps) { d.TrustProxy = true }})
	s.Setup(t)
	s.Join(t, "Bea")
	var limited int
	for i := range 25 {
		req := s.NewRequest(t, "POST", "/api/v1/session", map[string]string{"email": "bea@example.com", "password": "wrong password"}, "")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1)) // a fresh address each time
		switch res := s.Send(t, req); res.Status {
		case http.StatusTooManyRequests:
			limited++
		case http.StatusUnauthorized:
		default:
			t.Fatalf("attempt %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	if limited != 5 {
		t.Fatalf("%d of 25 wrong passwords from 25 addresses were limited, want the 5 past 20", limited)
	}
}

// Edits spend the poster's budget by size, so re-rendering a huge body in a
// loop is throttled like posting it.
func TestEditsAreRateLimited(t *testing.T) {
	s := webtest.New(t, webtest.Options{Core: campfire.Options{PostBurst: 30, PostPer: time.Minute}})
	s.Setup(t)
	m := post(t, s, s.AdminToken, allTalk(t, s), "short")
	big := strings.Repeat("*a_", 20000)
	var refused bool
	for range 5 {
		res := s.Do(t, "PATCH", fmt.Sprintf("/api/v1/messages/%d", m.ID), map[string]string{"body": big}, s.AdminToken)
		if res.Status == http.StatusTooManyRequests {
			refused = true
			if res.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			break
		}
		if res.Status != http.StatusOK {
			t.Fatalf("edit: %d %s", res.Status, res.Body)
		}
	}
	if !refused {
		t.Fatal("five 60 KB edits in a row were all allowed")
	}
}

// A webhook's redirect is not followed: the admin chose the URL.
func TestWebhookRedirectNotFollowed(t *testing.T) {
	var redirected atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirected.Add(1)
		w.Write([]byte("stolen reply"))
	}))
	defer target.Close()
	calls := make(chan string, 2)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Message wire.Message `json:"message"`
		}
		_ = json.NewDecoder(r.Body).Decode(&p)
		calls <- p.Message.Body
		http.Redirect(w, r, target.URL, http.StatusFound)
	}))
	defer hook.Close()

	// One worker: when the second call arrives, the first has finished,
	// redirect included had it been followed.
	s := webtest.New(t, webtest.Options{Core: campfire.Options{WebhookWorkers: 1}})
	s.Setup(t)
	var bot struct {
		ID int64 `json:"id"`
	}
	s.Must(t, http.StatusCreated, "POST", "/api/v1/bots", map[string]string{"name": "Hooky", "webhook_url": hook.URL}, s.AdminToken).JSON(t, &bot)
	room := createRoom(t, s, s.AdminToken, "Bots", "closed", bot.ID)
	post(t, s, s.AdminToken, room.ID, "@Hooky one")
	post(t, s, s.AdminToken, room.ID, "@Hooky two")
	for _, want := range []string{"@Hooky one", "@Hooky two"} {
		select {
		case got := <-calls:
			if got != want {
				t.Fatalf("webhook got %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the webhook was not called for %q", want)
		}
	}
	if redirected.Load() != 0 {
		t.Fatal("the webhook's redirect was followed")
	}
}

// Revocations reach this instance's hub before the request is answered,
// not only through the at-most-once broker (whose queue may be full).
func TestRevocationsAreAppliedLocallyFirst(t *testing.T) {
	s := newServer(t)
	var mu sync.Mutex
	var local []broker.Event
	s.Core.SetLocalControl(func(e broker.Event) {
		mu.Lock()
		defer mu.Unlock()
		local = append(local, e)
	})
	token, bea := s.Join(t, "Bea")
	room := createRoom(t, s, s.AdminToken, "Secret", "closed", bea.ID)
	types := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, e := range local {
			out = append(out, e.Type)
		}
		return out
	}

	s.Must(t, http.StatusOK, "PATCH", roomPath(room.ID), map[string]any{"user_ids": []int64{}}, s.AdminToken)
	if got := types(); len(got) != 1 || got[0] != broker.ControlLeaveRoom {
		t.Fatalf("after removing a member, local control events = %v", got)
	}
	s.Must(t, http.StatusNoContent, "DELETE", "/api/v1/session", nil, token)
	if got := types(); len(got) != 2 || got[1] != broker.ControlCloseSession {
		t.Fatalf("after signing out, local control events = %v", got)
	}
	s.Must(t, http.StatusNoContent, "DELETE", fmt.Sprintf("/api/v1/users/%d", bea.ID), nil, s.AdminToken)
	if got := types(); len(got) < 3 || got[2] != broker.ControlCloseUser {
		t.Fatalf("after deactivating, local control events = %v", got)
	}
}
