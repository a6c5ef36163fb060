package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/campfire-go/campfire/internal/web"
	"github.com/campfire-go/campfire/internal/web/webtest"
)

func TestSetup(t *testing.T) {
	s := webtest.New(t, webtest.Options{})
	valid := map[string]any{"account_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": "long enough"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range valid {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	run(t, s, []scenario{
		{"blank name", "POST", "/api/v1/setup", with("name", "  "), "", 422, "invalid_name"},
		{"name too long", "POST", "/api/v1/setup", with("name", strings.Repeat("n", 81)), "", 422, "name_too_long"},
		{"blank account name", "POST", "/api/v1/setup", with("account_name", ""), "", 422, "invalid_account_name"},
		{"bad email", "POST", "/api/v1/setup", with("email", "not-an-email"), "", 422, "invalid_email"},
		{"short password", "POST", "/api/v1/setup", with("password", "short"), "", 422, "password_too_short"},
		{"wrong field type", "POST", "/api/v1/setup", with("email", 42), "", 400, "invalid_field"},
		{"malformed JSON", "POST", "/api/v1/setup", rawJSON(`{"name":`), "", 400, "invalid_json"},
		{"not an object", "POST", "/api/v1/setup", rawJSON(`[1,2]`), "", 400, "invalid_json"},
		{"trailing data", "POST", "/api/v1/setup", rawJSON(`{} {}`), "", 400, "invalid_json"},
		{"empty body", "POST", "/api/v1/setup", rawJSON(``), "", 400, "invalid_json"},
		{"form body", "POST", "/api/v1/setup", raw("application/x-www-form-urlencoded", `name=x`), "", 415, "unsupported_media_type"},
		{"no content type", "POST", "/api/v1/setup", raw("", `{}`), "", 415, "unsupported_media_type"},
		{"oversized body", "POST", "/api/v1/setup", rawJSON(`{"name":"` + strings.Repeat("x", 300<<10) + `"}`), "", 413, "body_too_large"},
		{"charset allowed", "POST", "/api/v1/setup", raw("application/json; charset=utf-8", `{"account_name":"Acme","name":"Ada","email":"ada@example.com","password":"long enough","unknown":1}`), "", 201, ""},
		{"twice", "POST", "/api/v1/setup", valid, "", 409, "already_set_up"},
	})

	t.Run("returns token, user and cookie", func(t *testing.T) {
		s := webtest.New(t, webtest.Options{})
		res := s.Must(t, http.StatusCreated, "POST", "/api/v1/setup", valid, "")
		m := res.Map(t)
		token, _ := m["token"].(string)
		if token == "" {
			t.Fatalf("no token in %s", res.Body)
		}
		user := m["user"].(map[string]any)
		if user["role"] != "admin" || user["email"] != "ada@example.com" || user["avatar_url"] == "" {
			t.Fatalf("user %v", user)
		}
		c := sessionCookie(t, res)
		if c.Value != token || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge < 300*24*3600 || c.Secure {
			t.Fatalf("cookie %+v", c)
		}
		// The token works, and so does the cookie.
		s.Must(t, http.StatusOK, "GET", "/api/v1/users/me", nil, token)
		req := s.NewRequest(t, "GET", "/api/v1/users/me", nil, "")
		req.AddCookie(c)
		if res := s.Send(t, req); res.Status != http.StatusOK {
			t.Fatalf("cookie auth: %d %s", res.Status, res.Body)
		}
		// All Talk exists and the admin is in it.
		s.AdminToken = token
		allTalk(t, s)
	})
}

func sessionCookie(t testing.TB, res *webtest.Response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == web.SessionCookie {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", web.SessionCookie, res.Header)
	return nil
}

func TestSession(t *testing.T) {
	s := newServer(t)
	run(t, s, []scenario{
		{"wrong password", "POST", "/api/v1/session", map[string]string{"email": "ada@example.com", "password": "wrong password"}, "", 401, "invalid_credentials"},
		{"unknown email", "POST", "/api/v1/session", map[string]string{"email": "nobody@example.com", "password": webtest.AdminPassword}, "", 401, "invalid_credentials"},
		{"email case and spaces", "POST", "/api/v1/session", map[string]string{"email": " ADA@example.com ", "password": webtest.AdminPassword}, "", 201, ""},
		{"malformed", "POST", "/api/v1/session", rawJSON(`{"email":1}`), "", 400, "invalid_field"},
	})

	t.Run("sign in and out", func(t *testing.T) {
		res := s.Must(t, http.StatusCreated, "POST", "/api/v1/session", map[string]string{"email": "ada@example.com", "password": webtest.AdminPassword}, "")
		token := res.Map(t)["token"].(string)
		if c := sessionCookie(t, res); c.Value != token {
			t.Fatalf("cookie %q, token %q", c.Value, token)
		}
		s.Must(t, http.StatusOK, "GET", "/api/v1/users/me", nil, token)
		out := s.Must(t, http.StatusNoContent, "DELETE", "/api/v1/session", nil, token)
		if c := sessionCookie(t, out); c.MaxAge >= 0 || c.Value != "" {
			t.Fatalf("cookie not cleared: %+v", c)
		}
		s.Must(t, http.StatusUnauthorized, "GET", "/api/v1/users/me", nil, token)
		// Signing out twice is fine.
		s.Must(t, http.StatusNoContent, "DELETE", "/api/v1/session", nil, token)
		// The admin's other session is untouched.
		s.Must(t, http.StatusOK, "GET", "/api/v1/users/me", nil, s.AdminToken)
	})
}

func TestSignInRateLimit(t *testing.T) {
	s := newServer(t)
	bad := map[string]string{"email": "ada@example.com", "password": "wrong password"}
	for i := range 10 {
		if res := s.Do(t, "POST", "/api/v1/session", bad, ""); res.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	// The 11th is refused even with the right password.
	good := map[string]string{"email": "ada@example.com", "password": webtest.AdminPassword}
	res := s.Do(t, "POST", "/api/v1/session", good, "")
	if res.Status != http.StatusTooManyRequests || res.ErrorCode() != "rate_limited" {
		t.Fatalf("11th attempt: %d %s", res.Status, res.Body)
	}
}

func TestAuthentication(t *testing.T) {
	s := newServer(t)
	run(t, s, []scenario{
		{"no token", "GET", "/api/v1/users/me", nil, "", 401, "unauthorized"},
		{"bad token", "GET", "/api/v1/users/me", nil, "not-a-token", 401, "unauthorized"},
		{"huge token", "GET", "/api/v1/users/me", nil, strings.Repeat("t", 4000), 401, "unauthorized"},
		{"no token on write", "POST", "/api/v1/rooms", map[string]string{"name": "x"}, "", 401, "unauthorized"},
		{"no token for cable", "GET", "/api/v1/cable", nil, "", 401, "unauthorized"},
	})

	t.Run("other schemes", func(t *testing.T) {
		req := s.NewRequest(t, "GET", "/api/v1/users/me", nil, "")
		req.Header.Set("Authorization", "Basic "+s.AdminToken)
		if res := s.Send(t, req); res.Status != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("%d %v", res.Status, res.Header)
		}
		req.Header.Set("Authorization", "bearer "+s.AdminToken)
		if res := s.Send(t, req); res.Status != http.StatusOK {
			t.Fatalf("lower-case bearer: %d", res.Status)
		}
	})

	t.Run("a wrong header is not rescued by the cookie", func(t *testing.T) {
		req := s.NewRequest(t, "GET", "/api/v1/users/me", nil, "wrong")
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: s.AdminToken})
		if res := s.Send(t, req); res.Status != http.StatusUnauthorized {
			t.Fatalf("%d", res.Status)
		}
	})
}

func TestCrossOrigin(t *testing.T) {
	s := webtest.New(t, webtest.Options{Deps: func(d *web.Deps) {
		d.AllowedOrigins = []string{"https://trusted.example"}
	}})
	s.Setup(t)
	room := map[string]string{"name": "Planning"}
	cookieRequest := func(method, path, origin, site string) *webtest.Response {
		req := s.NewRequest(t, method, path, room, "")
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: s.AdminToken})
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		return s.Send(t, req)
	}
	cases := []struct {
		name         string
		method, path string
		origin, site string
		status       int
	}{
		{"cross-site cookie write", "POST", "/api/v1/rooms", "https://evil.example", "cross-site", 403},
		{"cross-origin by Origin only", "POST", "/api/v1/rooms", "https://evil.example", "", 403},
		{"cross-site sign-out", "DELETE", "/api/v1/session", "https://evil.example", "cross-site", 403},
		{"cross-site read is fine", "GET", "/api/v1/rooms", "https://evil.example", "cross-site", 200},
		{"same-origin write", "POST", "/api/v1/rooms", s.URL, "same-origin", 201},
		{"no browser headers", "POST", "/api/v1/rooms", "", "", 201},
		{"trusted origin", "POST", "/api/v1/rooms", "https://trusted.example", "cross-site", 201},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := cookieRequest(c.method, c.path, c.origin, c.site)
			if res.Status != c.status {
				t.Fatalf("%d, want %d: %s", res.Status, c.status, res.Body)
			}
			if c.status == 403 && res.ErrorCode() != "cross_origin" {
				t.Fatalf("code %q", res.ErrorCode())
			}
		})
	}
	t.Run("bearer tokens are not CSRF-able", func(t *testing.T) {
		req := s.NewRequest(t, "POST", "/api/v1/rooms", room, s.AdminToken)
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if res := s.Send(t, req); res.Status != http.StatusCreated {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
	})
}

func TestJoinAndAccount(t *testing.T) {
	s := newServer(t)
	var acct struct {
		Name     string `json:"name"`
		JoinCode string `json:"join_code"`
	}
	s.Must(t, http.StatusOK, "GET", "/api/v1/account", nil, s.AdminToken).JSON(t, &acct)
	if acct.Name != "Test Co" || acct.JoinCode == "" {
		t.Fatalf("account %+v", acct)
	}
	person := func(email string) map[string]string {
		return map[string]string{"name": "Bea", "email": email, "password": "long enough"}
	}
	_, bea := s.Join(t, "Bea Member")
	beaToken := loginAs(t, s, "bea.member@example.com")
	run(t, s, []scenario{
		{"bad code", "POST", "/api/v1/join/nope-nope-nope", person("x@example.com"), "", 404, "not_found"},
		{"email taken", "POST", "/api/v1/join/" + acct.JoinCode, person("BEA.member@example.com"), "", 409, "email_taken"},
		{"bad email", "POST", "/api/v1/join/" + acct.JoinCode, person("bea@"), "", 422, "invalid_email"},
		{"member sees the account", "GET", "/api/v1/account", nil, beaToken, 200, ""},
		{"member can't reset the code", "POST", "/api/v1/account/join_code", nil, beaToken, 403, "forbidden"},
		{"member can't rename", "PATCH", "/api/v1/account", map[string]string{"name": "Mine"}, beaToken, 403, "forbidden"},
		{"admin renames", "PATCH", "/api/v1/account", map[string]string{"name": "Acme"}, s.AdminToken, 200, ""},
		{"no auth", "GET", "/api/v1/account", nil, "", 401, "unauthorized"},
	})
	if bea.Role != "member" || bea.Email != "bea.member@example.com" {
		t.Fatalf("joined user %+v", bea)
	}

	t.Run("reset code", func(t *testing.T) {
		var fresh struct {
			JoinCode string `json:"join_code"`
		}
		s.Must(t, http.StatusOK, "POST", "/api/v1/account/join_code", nil, s.AdminToken).JSON(t, &fresh)
		if fresh.JoinCode == "" || fresh.JoinCode == acct.JoinCode {
			t.Fatalf("code %q after %q", fresh.JoinCode, acct.JoinCode)
		}
		s.Must(t, http.StatusNotFound, "POST", "/api/v1/join/"+acct.JoinCode, person("late@example.com"), "")
		s.Must(t, http.StatusCreated, "POST", "/api/v1/join/"+fresh.JoinCode, person("late@example.com"), "")
	})
}

// loginAs signs in with the helpers' password.
func loginAs(t testing.TB, s *webtest.Server, email string) string {
	t.Helper()
	res := s.Must(t, http.StatusCreated, "POST", "/api/v1/session", map[string]string{"email": email, "password": webtest.AdminPassword}, "")
	return res.Map(t)["token"].(string)
}
