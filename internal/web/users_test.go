package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/web"
	"github.com/campfire-go/campfire/internal/web/webtest"
	"github.com/campfire-go/campfire/internal/wire"
)

func TestUsers(t *testing.T) {
	s := newServer(t)
	bea, beaUser := s.Join(t, "Bea Member")
	_, cyd := s.Join(t, "Cyd Member")

	run(t, s, []scenario{
		{"list", "GET", "/api/v1/users", nil, bea, 200, ""},
		{"show", "GET", path("/api/v1/users/%d", cyd.ID), nil, bea, 200, ""},
		{"unknown", "GET", "/api/v1/users/999999", nil, bea, 404, "not_found"},
		{"not a number", "GET", "/api/v1/users/abc", nil, bea, 404, "not_found"},
		{"zero", "GET", "/api/v1/users/0", nil, bea, 404, "not_found"},
		{"negative", "GET", "/api/v1/users/-3", nil, bea, 404, "not_found"},
		{"overflow", "GET", "/api/v1/users/99999999999999999999999", nil, bea, 404, "not_found"},
		{"me", "GET", "/api/v1/users/me", nil, bea, 200, ""},
		{"no auth", "GET", "/api/v1/users", nil, "", 401, "unauthorized"},
	})

	t.Run("emails only to admins and oneself", func(t *testing.T) {
		emails := func(token string) map[int64]string {
			var res struct {
				Users []wire.User `json:"users"`
			}
			s.Must(t, http.StatusOK, "GET", "/api/v1/users", nil, token).JSON(t, &res)
			m := map[int64]string{}
			for _, u := range res.Users {
				m[u.ID] = u.Email
			}
			return m
		}
		asBea := emails(bea)
		if asBea[beaUser.ID] == "" || asBea[cyd.ID] != "" || asBea[s.Admin.ID] != "" {
			t.Fatalf("member sees %v", asBea)
		}
		if asAdmin := emails(s.AdminToken); asAdmin[cyd.ID] == "" {
			t.Fatalf("admin sees %v", asAdmin)
		}
		var other wire.User
		s.Must(t, http.StatusOK, "GET", path("/api/v1/users/%d", cyd.ID), nil, bea).JSON(t, &other)
		if other.Email != "" || other.Name != "Cyd Member" || !strings.HasPrefix(other.AvatarURL, wire.AvatarURL(cyd.ID)+"?v=") {
			t.Fatalf("other user %+v", other)
		}
	})
}

func TestProfileUpdate(t *testing.T) {
	s := newServer(t)
	bea, _ := s.Join(t, "Bea Member")
	s.Join(t, "Cyd Member")
	run(t, s, []scenario{
		{"blank name", "PATCH", "/api/v1/users/me", map[string]string{"name": " "}, bea, 422, "invalid_name"},
		{"long name", "PATCH", "/api/v1/users/me", map[string]string{"name": strings.Repeat("é", 81)}, bea, 422, "name_too_long"},
		{"bad email", "PATCH", "/api/v1/users/me", map[string]string{"email": "nope"}, bea, 422, "invalid_email"},
		{"email taken", "PATCH", "/api/v1/users/me", map[string]string{"email": "cyd.member@example.com"}, bea, 409, "email_taken"},
		{"short password", "PATCH", "/api/v1/users/me", map[string]string{"password": "1234567"}, bea, 422, "password_too_short"},
		{"wrong type", "PATCH", "/api/v1/users/me", map[string]any{"bio": []int{1}}, bea, 400, "invalid_field"},
		{"no auth", "PATCH", "/api/v1/users/me", map[string]string{"name": "X"}, "", 401, "unauthorized"},
	})

	var u wire.User
	s.Must(t, http.StatusOK, "PATCH", "/api/v1/users/me", map[string]string{"name": "  Bea Renamed ", "bio": "Hi"}, bea).JSON(t, &u)
	if u.Name != "Bea Renamed" || u.Bio != "Hi" || u.Email != "bea.member@example.com" {
		t.Fatalf("updated %+v", u)
	}
	s.Must(t, http.StatusOK, "PATCH", "/api/v1/users/me", map[string]string{"password": "a new password"}, bea)
	s.Must(t, http.StatusCreated, "POST", "/api/v1/session", map[string]string{"email": "bea.member@example.com", "password": "a new password"}, "")
}

func TestAdministerUsers(t *testing.T) {
	s := newServer(t)
	bea, beaUser := s.Join(t, "Bea Member")
	cyd, cydUser := s.Join(t, "Cyd Member")
	run(t, s, []scenario{
		{"member can't promote", "PATCH", path("/api/v1/users/%d", cydUser.ID), map[string]string{"role": "admin"}, bea, 403, "forbidden"},
		{"bad role", "PATCH", path("/api/v1/users/%d", cydUser.ID), map[string]string{"role": "owner"}, s.AdminToken, 422, "invalid_role"},
		{"no bot role", "PATCH", path("/api/v1/users/%d", cydUser.ID), map[string]string{"role": "bot"}, s.AdminToken, 422, "invalid_role"},
		{"not oneself", "PATCH", path("/api/v1/users/%d", s.Admin.ID), map[string]string{"role": "member"}, s.AdminToken, 422, ""},
		{"unknown user", "PATCH", "/api/v1/users/424242", map[string]string{"role": "admin"}, s.AdminToken, 404, "not_found"},
		{"member can't deactivate", "DELETE", path("/api/v1/users/%d", cydUser.ID), nil, bea, 403, "forbidden"},
		{"deactivate unknown", "DELETE", "/api/v1/users/424242", nil, s.AdminToken, 404, "not_found"},
		{"deactivate bad id", "DELETE", "/api/v1/users/x", nil, s.AdminToken, 404, "not_found"},
		{"promote", "PATCH", path("/api/v1/users/%d", beaUser.ID), map[string]string{"role": "admin"}, s.AdminToken, 200, ""},
	})

	t.Run("deactivation revokes sessions", func(t *testing.T) {
		second := loginAs(t, s, "cyd.member@example.com")
		s.Must(t, http.StatusOK, "GET", "/api/v1/users/me", nil, cyd)
		s.Must(t, http.StatusNoContent, "DELETE", path("/api/v1/users/%d", cydUser.ID), nil, s.AdminToken)
		// Their sockets are told to close, on every instance.
		s.Events.Wait(t, 5*time.Second, broker.ControlCloseUser, func(e broker.Event) bool {
			return slices.Contains(e.UserIDs, cydUser.ID)
		})
		for _, tok := range []string{cyd, second} {
			if res := s.Do(t, "GET", "/api/v1/users/me", nil, tok); res.Status != http.StatusUnauthorized {
				t.Fatalf("after deactivation: %d %s", res.Status, res.Body)
			}
		}
		// They can't sign back in, and they are gone from the list, but
		// their profile still resolves for old messages.
		s.Must(t, http.StatusUnauthorized, "POST", "/api/v1/session", map[string]string{"email": "cyd.member@example.com", "password": webtest.AdminPassword}, "")
		var res struct {
			Users []wire.User `json:"users"`
		}
		s.Must(t, http.StatusOK, "GET", "/api/v1/users", nil, s.AdminToken).JSON(t, &res)
		for _, u := range res.Users {
			if u.ID == cydUser.ID {
				t.Fatal("deactivated user still listed")
			}
		}
		s.Must(t, http.StatusOK, "GET", path("/api/v1/users/%d", cydUser.ID), nil, s.AdminToken)
	})
}

func TestBans(t *testing.T) {
	s := webtest.New(t, webtest.Options{Deps: func(d *web.Deps) { d.TrustProxy = true }})
	s.Setup(t)
	from := func(ip string, method, p string, body any, token string) *webtest.Response {
		req := s.NewRequest(t, method, p, body, token)
		req.Header.Set("X-Forwarded-For", ip)
		return s.Send(t, req)
	}
	// Dee signs up from 203.0.113.7, then is banned with her addresses.
	var acct struct {
		JoinCode string `json:"join_code"`
	}
	s.Must(t, http.StatusOK, "GET", "/api/v1/account", nil, s.AdminToken).JSON(t, &acct)
	res := from("203.0.113.7", "POST", "/api/v1/join/"+acct.JoinCode,
		map[string]string{"name": "Dee", "email": "dee@example.com", "password": "long enough"}, "")
	var dee struct {
		User wire.User `json:"user"`
	}
	res.JSON(t, &dee)
	room := allTalk(t, s)

	s.Must(t, http.StatusForbidden, "POST", path("/api/v1/users/%d/ban", s.Admin.ID), nil, mustJoin(t, s, "Eve"))
	s.Must(t, http.StatusNoContent, "POST", path("/api/v1/users/%d/ban", dee.User.ID), nil, s.AdminToken)
	var bans struct {
		IPs []string `json:"ips"`
	}
	s.Must(t, http.StatusOK, "GET", "/api/v1/bans", nil, s.AdminToken).JSON(t, &bans)
	if len(bans.IPs) != 1 || bans.IPs[0] != "203.0.113.7" {
		t.Fatalf("bans %v", bans.IPs)
	}

	// Anyone writing from that address is refused; reading is fine.
	if res := from("203.0.113.7", "POST", "/api/v1/session", map[string]string{"email": "ada@example.com", "password": webtest.AdminPassword}, ""); res.Status != http.StatusTooManyRequests || res.ErrorCode() != "banned" {
		t.Fatalf("banned write: %d %s", res.Status, res.Body)
	}
	if res := from("203.0.113.7", "POST", roomPath(room, "messages"), map[string]string{"body": "hi"}, s.AdminToken); res.Status != http.StatusTooManyRequests {
		t.Fatalf("banned post: %d", res.Status)
	}
	if res := from("203.0.113.7", "GET", "/api/v1/rooms", nil, s.AdminToken); res.Status != http.StatusOK {
		t.Fatalf("banned read: %d", res.Status)
	}
	// Only the rightmost X-Forwarded-For entry counts: the rest is the
	// client's say-so.
	if res := from("203.0.113.7, 198.51.100.1", "POST", roomPath(room, "messages"), map[string]string{"body": "hi"}, s.AdminToken); res.Status != http.StatusCreated {
		t.Fatalf("other address: %d %s", res.Status, res.Body)
	}

	s.Must(t, http.StatusNoContent, "POST", "/api/v1/bans", map[string]string{"ip": "192.0.2.9"}, s.AdminToken)
	s.Must(t, http.StatusUnprocessableEntity, "POST", "/api/v1/bans", map[string]string{"ip": "not an ip"}, s.AdminToken)
	if res := from("192.0.2.9", "POST", roomPath(room, "messages"), map[string]string{"body": "hi"}, s.AdminToken); res.Status != http.StatusTooManyRequests {
		t.Fatalf("banned by address: %d", res.Status)
	}
	s.Must(t, http.StatusNoContent, "DELETE", "/api/v1/bans/192.0.2.9", nil, s.AdminToken)
	if res := from("192.0.2.9", "POST", roomPath(room, "messages"), map[string]string{"body": "hi"}, s.AdminToken); res.Status != http.StatusCreated {
		t.Fatalf("after unban: %d %s", res.Status, res.Body)
	}
}

func mustJoin(t testing.TB, s *webtest.Server, name string) string {
	t.Helper()
	tok, _ := s.Join(t, name)
	return tok
}

func TestAvatar(t *testing.T) {
	s := newServer(t)
	bea, beaUser := s.Join(t, "bea <script>alert(1)</script> &")
	res := s.Must(t, http.StatusOK, "GET", wire.AvatarURL(beaUser.ID), nil, s.AdminToken)
	svg := string(res.Body)
	if ct := res.Header.Get("Content-Type"); ct != "image/svg+xml" {
		t.Fatalf("Content-Type %q", ct)
	}
	if !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, ">B&amp;<") || strings.Contains(svg, "<script") {
		t.Fatalf("svg %s", svg)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age") {
		t.Fatalf("Cache-Control %q", cc)
	}
	etag := res.Header.Get("ETag")
	req := s.NewRequest(t, "GET", wire.AvatarURL(beaUser.ID), nil, bea)
	req.Header.Set("If-None-Match", etag)
	if res := s.Send(t, req); res.Status != http.StatusNotModified {
		t.Fatalf("conditional: %d", res.Status)
	}

	_, lt := s.Join(t, "<b")
	if svg := string(s.Must(t, http.StatusOK, "GET", wire.AvatarURL(lt.ID), nil, bea).Body); !strings.Contains(svg, ">&lt;<") {
		t.Fatalf("svg %s", svg)
	}
	run(t, s, []scenario{
		{"no auth", "GET", wire.AvatarURL(beaUser.ID), nil, "", 401, "unauthorized"},
		{"unknown", "GET", "/api/v1/users/9999/avatar", nil, bea, 404, "not_found"},
	})
}
