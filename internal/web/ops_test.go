package web_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/web"
	"github.com/campfire-go/campfire/internal/web/webtest"
)

func TestHealth(t *testing.T) {
	s := newServer(t)
	for _, p := range []string{"/health", "/up"} {
		m := s.Must(t, http.StatusOK, "GET", p, nil, "").Map(t)
		if m["status"] != "ok" || m["version"] != "test" || m["instance"] != "test-1" || m["uptime_seconds"] == nil {
			t.Fatalf("%s: %v", p, m)
		}
	}
	m := s.Must(t, http.StatusOK, "GET", "/ready", nil, "").Map(t)
	if m["checks"].(map[string]any)["database"] != "ok" {
		t.Fatalf("ready %v", m)
	}
}

func TestNotReady(t *testing.T) {
	s := webtest.New(t, webtest.Options{Deps: func(d *web.Deps) {
		d.Ready = append(d.Ready, web.ReadyCheck{Name: "search", Check: func(context.Context) error {
			return errors.New("dial tcp 10.0.0.1:6379: connection refused")
		}})
	}})
	res := s.Do(t, "GET", "/ready", nil, "")
	if res.Status != http.StatusServiceUnavailable || res.ErrorCode() != "not_ready" {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	body := string(res.Body)
	if !strings.Contains(body, `"search":"unavailable"`) || !strings.Contains(body, `"database":"ok"`) || strings.Contains(body, "10.0.0.1") {
		t.Fatalf("body %s", body)
	}
}

func TestHeaders(t *testing.T) {
	s := newServer(t)
	for _, p := range []string{"/health", "/api/v1/rooms", "/api/v1/nope"} {
		res := s.Do(t, "GET", p, nil, s.AdminToken)
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "strict-origin-when-cross-origin",
			"X-Frame-Options":        "DENY",
			"Cache-Control":          "no-store",
		} {
			if got := res.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", p, h, got, want)
			}
		}
		if res.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: no X-Request-Id", p)
		}
	}
}

func TestUnmatched(t *testing.T) {
	s := newServer(t)
	run(t, s, []scenario{
		{"unknown API path", "GET", "/api/v1/nope", nil, s.AdminToken, 404, "not_found"},
		{"wrong method", "DELETE", "/api/v1/rooms", nil, s.AdminToken, 405, "method_not_allowed"},
	})
	res := s.Do(t, "PUT", "/api/v1/rooms", nil, "")
	if allow := res.Header.Get("Allow"); allow != "GET, POST" {
		t.Fatalf("Allow %q", allow)
	}
}

func TestPanicIsA500(t *testing.T) {
	s := webtest.New(t, webtest.Options{Register: func(mux *http.ServeMux, _ *webtest.Server) {
		mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	}})
	res := s.Do(t, "GET", "/boom", nil, "")
	if res.Status != http.StatusInternalServerError || res.ErrorCode() != "internal_error" {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	if strings.Contains(string(res.Body), "kaboom") {
		t.Fatal("panic value leaked to the client")
	}
	if logs := s.Logs(); !strings.Contains(logs, "kaboom") || !strings.Contains(logs, "request_id="+res.Header.Get("X-Request-Id")) {
		t.Fatalf("panic not logged with its request id:\n%s", logs)
	}
}

// fakeCable records who the API handed over.
type fakeCable struct {
	mu    sync.Mutex
	users []chat.User
}

func (c *fakeCable) ServeCable(w http.ResponseWriter, r *http.Request, u chat.User) {
	c.mu.Lock()
	c.users = append(c.users, u)
	c.mu.Unlock()
	w.WriteHeader(http.StatusTeapot)
}

func TestCable(t *testing.T) {
	cable := &fakeCable{}
	s := webtest.New(t, webtest.Options{Deps: func(d *web.Deps) { d.Cable = cable }})
	s.Setup(t)
	s.Must(t, http.StatusUnauthorized, "GET", "/api/v1/cable", nil, "")
	s.Must(t, http.StatusTeapot, "GET", "/api/v1/cable", nil, s.AdminToken)
	req := s.NewRequest(t, "GET", "/api/v1/cable", nil, "")
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: s.AdminToken})
	if res := s.Send(t, req); res.Status != http.StatusTeapot {
		t.Fatalf("cookie: %d", res.Status)
	}
	cable.mu.Lock()
	defer cable.mu.Unlock()
	if len(cable.users) != 2 || cable.users[0].ID != s.Admin.ID {
		t.Fatalf("cable saw %+v", cable.users)
	}

	t.Run("no hub yet", func(t *testing.T) {
		s := webtest.New(t, webtest.Options{Deps: func(d *web.Deps) { d.Cable = nil }})
		s.Setup(t)
		res := s.Do(t, "GET", "/api/v1/cable", nil, s.AdminToken)
		if res.Status != http.StatusServiceUnavailable {
			t.Fatalf("%d", res.Status)
		}
	})
}

func TestSecureCookieBehindProxy(t *testing.T) {
	s := webtest.New(t, webtest.Options{Deps: func(d *web.Deps) { d.TrustProxy = true }})
	req := s.NewRequest(t, "POST", "/api/v1/setup", map[string]string{
		"account_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": "long enough",
	}, "")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Request-Id", "proxy-id-1")
	res := s.Send(t, req)
	if c := sessionCookie(t, res); !c.Secure {
		t.Fatalf("cookie not Secure behind TLS proxy: %+v", c)
	}
	if id := res.Header.Get("X-Request-Id"); id != "proxy-id-1" {
		t.Fatalf("request id %q", id)
	}
}

func TestObserve(t *testing.T) {
	stats := make(chan web.RequestStats, 1)
	s := webtest.New(t, webtest.Options{Deps: func(d *web.Deps) {
		d.Observe = func(st web.RequestStats) { stats <- st }
	}})
	s.Do(t, "GET", "/api/v1/rooms/7", nil, "")
	// The hook runs after the answer was sent; wait for it.
	st := <-stats
	if st.Route != "GET /api/v1/rooms/{id}" || st.Status != 401 || st.Code != "unauthorized" || st.Method != "GET" || st.Bytes == 0 {
		t.Fatalf("stats %+v", st)
	}
}

// A request whose work outlives the request deadline (a database that
// stopped answering without closing the connection) gets 503 unavailable
// at the deadline, not a hang.
func TestRequestDeadline(t *testing.T) {
	s := webtest.New(t, webtest.Options{
		Deps: func(d *web.Deps) { d.RequestTimeout = 200 * time.Millisecond },
		Register: func(mux *http.ServeMux, s *webtest.Server) {
			mux.HandleFunc("GET /stalled", func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done() // a query on a silent connection
				s.API.WriteError(w, r, r.Context().Err())
			})
		},
	})
	start := time.Now()
	res := s.Do(t, "GET", "/stalled", nil, "")
	if res.Status != http.StatusServiceUnavailable || res.ErrorCode() != "unavailable" {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("answered after %v", d)
	}
}
