// Package deploy_test checks the shipped load-balancer configurations: they
// pass `nginx -t` and `haproxy -c` as shipped, and, run by a real nginx and
// HAProxy in front of two small backends, they keep a session on one
// instance, carry the cable's WebSocket, pass the client's address and
// scheme, skip a dead instance and never send a POST twice.
//
// nginx and haproxy come from CAMPFIRE_TEST_NGINX / CAMPFIRE_TEST_HAPROXY or
// PATH (Debian: the nginx and haproxy packages); without them these tests
// skip, unless CAMPFIRE_TEST_STRICT=1.
package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/testbin"
	"github.com/campfire-go/campfire/internal/testenv"
)

// TestNginxConfig: the shipped file, included as an operator's nginx.conf
// includes conf.d/, passes `nginx -t` without a warning.
func TestNginxConfig(t *testing.T) {
	bin := testenv.BinaryEnv(t, "CAMPFIRE_TEST_NGINX", "nginx")
	dir := t.TempDir()
	main := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(main, []byte(testbin.NginxMain(dir, testbin.RepoPath(testbin.NginxConf), true)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-t", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", main).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "test is successful") {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "[warn]") {
		t.Errorf("nginx -t warns:\n%s", out)
	}
}

// TestHAProxyConfig: the shipped file passes `haproxy -c` without a warning.
func TestHAProxyConfig(t *testing.T) {
	bin := testenv.BinaryEnv(t, "CAMPFIRE_TEST_HAPROXY", "haproxy")
	out, err := exec.Command(bin, "-c", "-f", testbin.RepoPath(testbin.HAProxyConf)).CombinedOutput()
	if err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "WARNING") {
		t.Errorf("haproxy -c warns:\n%s", out)
	}
}

var proxies = []struct {
	name  string
	start func(testing.TB, []string) string
}{
	{"nginx", testbin.StartNginx},
	{"haproxy", testbin.StartHAProxy},
}

// forEachProxy runs test against each load balancer, each subtest with its
// own backends and its own proxy, so no failure count carries over.
func forEachProxy(t *testing.T, test func(t *testing.T, start func(testing.TB, []string) string)) {
	for _, p := range proxies {
		t.Run(p.name, func(t *testing.T) { test(t, p.start) })
	}
}

func TestAffinity(t *testing.T) {
	forEachProxy(t, func(t *testing.T, start func(testing.TB, []string) string) {
		a, b := newBackend(t, "a"), newBackend(t, "b")
		base := start(t, []string{a.addr(), b.addr()})
		seen, seenBearer := map[string]int{}, map[string]int{}
		for i := range 20 {
			cookie := fmt.Sprintf("token-%d", i)
			first := send(t, base, "GET", "/", cookie, nil).backend
			seen[first]++
			for range 4 {
				if got := send(t, base, "GET", "/rooms/1", cookie, nil).backend; got != first {
					t.Fatalf("cookie %s went to %s, then to %s", cookie, first, got)
				}
			}
			// A bearer token (an API client, the load tool) sticks too.
			bearer := "Bearer " + cookie
			want := sendAuth(t, base, bearer).backend
			seenBearer[want]++
			for range 2 {
				if got := sendAuth(t, base, bearer).backend; got != want {
					t.Fatalf("bearer %s went to %s, then to %s", cookie, want, got)
				}
			}
		}
		// All requests come from 127.0.0.1: one backend for all would mean
		// the proxy hashed the address, not the cookie or token.
		if seen["a"] == 0 || seen["b"] == 0 {
			t.Errorf("20 session cookies all went to one backend: %v", seen)
		}
		if seenBearer["a"] == 0 || seenBearer["b"] == 0 {
			t.Errorf("20 bearer tokens all went to one backend: %v", seenBearer)
		}
	})
}

func TestForwardedHeaders(t *testing.T) {
	idRE := regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	forEachProxy(t, func(t *testing.T, start func(testing.TB, []string) string) {
		a := newBackend(t, "a")
		base := start(t, []string{a.addr()})
		host := strings.TrimPrefix(base, "http://")
		// A client's own forwarding headers must not be believed.
		r := send(t, base, "GET", "/", "tok", map[string]string{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
		h := r.seen
		if h.Host != host || h.ForwardedHost != host {
			t.Errorf("Host %q, X-Forwarded-Host %q; want the browser's %q, port included", h.Host, h.ForwardedHost, host)
		}
		if h.ClientIP != "127.0.0.1" {
			t.Errorf("the last X-Forwarded-For entry is %q (%q), want the proxy's peer 127.0.0.1", h.ClientIP, h.ForwardedFor)
		}
		if h.Proto != "http" {
			t.Errorf("X-Forwarded-Proto %q, want http", h.Proto)
		}
		if !idRE.MatchString(h.RequestID) {
			t.Errorf("X-Request-Id %q is not one the server takes", h.RequestID)
		}
	})
}

func TestBodyLimit(t *testing.T) {
	forEachProxy(t, func(t *testing.T, start func(testing.TB, []string) string) {
		a := newBackend(t, "a")
		base := start(t, []string{a.addr()})
		// The server's largest body (a 256 KiB form) passes; far beyond is refused.
		if r := sendBody(t, base, 300<<10); r.status != http.StatusOK {
			t.Errorf("a 300 KiB body: %d, want 200 from the backend", r.status)
		}
		// Sent as curl sends large bodies, waiting for 100 Continue: HAProxy
		// refuses on the headers and closes, so a client still writing the
		// body would see a broken pipe instead of the 413.
		if r := sendBody(t, base, 600<<10); r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("a 600 KiB body: %d, want 413", r.status)
		}
	})
}

// Uploads (attachments, avatars, the logo, a bot's file) pass with bodies
// far over the 512 KiB cap of every other route; a message post does not.
func TestUploadsPassLargeBodies(t *testing.T) {
	forEachProxy(t, func(t *testing.T, start func(testing.TB, []string) string) {
		a := newBackend(t, "a")
		base := start(t, []string{a.addr()})
		for _, path := range []string{
			"/api/v1/rooms/12/attachments", "/api/v1/users/me/avatar", "/api/v1/users/7/avatar",
			"/api/v1/account/logo", "/rooms/12/7-secret/messages",
		} {
			if r := sendBodyTo(t, base, path, 5<<20); r.status != http.StatusOK {
				t.Errorf("5 MiB to %s: %d, want 200 from the backend", path, r.status)
			}
		}
		for _, path := range []string{"/api/v1/rooms/12/messages", "/api/v1/rooms/12/attachments/x", "/rooms/12/messages"} {
			if r := sendBodyTo(t, base, path, 5<<20); r.status != http.StatusRequestEntityTooLarge {
				t.Errorf("5 MiB to %s: %d, want 413", path, r.status)
			}
		}
	})
}

func TestWebSocket(t *testing.T) {
	forEachProxy(t, func(t *testing.T, start func(testing.TB, []string) string) {
		a, b := newBackend(t, "a"), newBackend(t, "b")
		base := start(t, []string{a.addr(), b.addr()})
		for _, cookie := range []string{"ws-1", "ws-2", "ws-3"} {
			want := send(t, base, "GET", "/", cookie, nil).backend
			hdr := http.Header{"Cookie": {"session_token=" + cookie}, "Origin": {base}}
			d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
			c, resp, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/v1/cable", hdr)
			if err != nil {
				status := 0
				if resp != nil {
					status = resp.StatusCode
				}
				t.Fatalf("dial the cable: %v (status %d)", err, status)
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			for i := range 3 {
				msg := fmt.Sprintf("ping %d", i)
				if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
					t.Fatal(err)
				}
				_, got, err := c.ReadMessage()
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != want+": "+msg {
					t.Fatalf("echo %q, want %q (the session's backend)", got, want+": "+msg)
				}
			}
			c.Close()
		}
	})
}

// TestDeadBackendSkipped: once an instance is gone, its people's requests
// go to another at once, GETs and POSTs alike (a refused connection never
// delivered the POST).
func TestDeadBackendSkipped(t *testing.T) {
	forEachProxy(t, func(t *testing.T, start func(testing.TB, []string) string) {
		a, b := newBackend(t, "a"), newBackend(t, "b")
		base := start(t, []string{a.addr(), b.addr()})
		cookie := cookieFor(t, base, "b")
		b.srv.Close()
		for i := range 5 {
			if r := send(t, base, "GET", "/", cookie, nil); r.status != http.StatusOK || r.backend != "a" {
				t.Fatalf("GET %d after b died: %d from %q, want 200 from a", i, r.status, r.backend)
			}
		}
		if r := send(t, base, "POST", "/messages", cookie, nil); r.status != http.StatusOK || r.backend != "a" {
			t.Fatalf("POST after b died: %d from %q, want 200 from a", r.status, r.backend)
		}
	})
}

// TestPostNeverReplayed: when an instance takes a POST and dies before
// answering, the proxy does not send it to another instance; the client
// gets a 502 (or, from HAProxy on a kept-alive connection, the connection
// closed, as the instance itself would have done) and may retry with the
// same client_message_id, which the server de-duplicates. A GET is retried
// on another instance.
func TestPostNeverReplayed(t *testing.T) {
	forEachProxy(t, func(t *testing.T, start func(testing.TB, []string) string) {
		a, b := newBackend(t, "a"), newBackend(t, "b")
		a.crash.Store(true)
		base := start(t, []string{a.addr(), b.addr()})
		cookie := cookieFor(t, base, "a")

		req, err := http.NewRequest("POST", base+"/boom", strings.NewReader("body=hello"))
		if err != nil {
			t.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: "session_token", Value: cookie})
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadGateway {
				t.Errorf("POST to an instance that died mid-request: %d from %q, want 502",
					resp.StatusCode, resp.Header.Get("X-Backend"))
			}
		} else {
			t.Logf("POST to an instance that died mid-request: %v", err)
		}
		if a.boom.Load() != 1 || b.boom.Load() != 0 {
			t.Fatalf("the POST reached a %d and b %d times, want 1 and 0", a.boom.Load(), b.boom.Load())
		}
		if r := send(t, base, "GET", "/boom", cookie, nil); r.status != http.StatusOK || r.backend != "b" {
			t.Errorf("GET to an instance that died mid-request: %d from %q, want 200 from b", r.status, r.backend)
		}
		if a.boom.Load() != 2 || b.boom.Load() != 1 {
			t.Errorf("after the GET: a %d, b %d, want 2 and 1", a.boom.Load(), b.boom.Load())
		}
	})
}

// backend stands in for a campfire instance: it names itself in
// X-Backend, reports the headers it got, echoes on a WebSocket at the
// cable's path, and counts /boom, where it dies mid-request if crash is set.
type backend struct {
	name  string
	srv   *httptest.Server
	crash atomic.Bool
	boom  atomic.Int64
}

// seenHeaders is what a backend reports it received.
type seenHeaders struct {
	Host, ForwardedHost, ForwardedFor, ClientIP, Proto, RequestID string
}

func newBackend(t *testing.T, name string) *backend {
	b := &backend{name: name}
	up := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool {
		// As the server's cable does: the Origin's host must be the Host
		// the proxy passed on, port included.
		u, err := url.Parse(r.Header.Get("Origin"))
		return err == nil && u.Host == r.Host
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/cable", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade answered
		}
		defer c.Close()
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(websocket.TextMessage, append([]byte(name+": "), msg...)); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/boom", func(w http.ResponseWriter, r *http.Request) {
		b.boom.Add(1)
		if b.crash.Load() {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Header().Set("X-Backend", name)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		xff := r.Header.Values("X-Forwarded-For")
		var last string
		if len(xff) > 0 { // the rightmost entry, as the server reads it
			parts := strings.Split(xff[len(xff)-1], ",")
			last = strings.TrimSpace(parts[len(parts)-1])
		}
		w.Header().Set("X-Backend", name)
		_ = json.NewEncoder(w).Encode(seenHeaders{
			Host: r.Host, ForwardedHost: r.Header.Get("X-Forwarded-Host"), ForwardedFor: strings.Join(xff, " | "),
			ClientIP: last, Proto: r.Header.Get("X-Forwarded-Proto"), RequestID: r.Header.Get("X-Request-Id"),
		})
	})
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	return b
}

func (b *backend) addr() string { return b.srv.Listener.Addr().(*net.TCPAddr).String() }

type result struct {
	status  int
	backend string
	seen    seenHeaders
}

var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}

func do(t *testing.T, req *http.Request) result {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	r := result{status: resp.StatusCode, backend: resp.Header.Get("X-Backend")}
	body, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(body, &r.seen)
	return r
}

// send makes a request carrying the session cookie.
func send(t *testing.T, base, method, path, cookie string, headers map[string]string) result {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "session_token", Value: cookie})
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func sendAuth(t *testing.T, base, authorization string) result {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/api/v1/rooms", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", authorization)
	return do(t, req)
}

func sendBody(t *testing.T, base string, n int) result {
	t.Helper()
	return sendBodyTo(t, base, "/rooms/1/messages", n)
}

func sendBodyTo(t *testing.T, base, path string, n int) result {
	t.Helper()
	req, err := http.NewRequest("POST", base+path, bytes.NewReader(make([]byte, n)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Expect", "100-continue")
	return do(t, req)
}

// cookieFor finds a session cookie the proxy sends to the named backend.
func cookieFor(t *testing.T, base, name string) string {
	t.Helper()
	for i := range 100 {
		c := fmt.Sprintf("probe-%d", i)
		if send(t, base, "GET", "/", c, nil).backend == name {
			return c
		}
	}
	t.Fatalf("no session cookie of 100 went to backend %s", name)
	return ""
}

// /metrics answers the monitoring host (loopback here) and nobody else:
// a request from another address, 127.0.0.2, is refused by the proxy.
func TestMetricsOnlyForMonitoring(t *testing.T) {
	forEachProxy(t, func(t *testing.T, start func(testing.TB, []string) string) {
		a := newBackend(t, "a")
		base := start(t, []string{a.addr()})
		get := func(from string) int {
			c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
				DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext,
			}}
			resp, err := c.Get(base + "/metrics")
			if err != nil {
				t.Fatalf("GET /metrics from %s: %v", from, err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if s := get("127.0.0.1"); s != http.StatusOK {
			t.Errorf("/metrics from the monitoring host: %d, want 200", s)
		}
		if s := get("127.0.0.2"); s != http.StatusForbidden {
			t.Errorf("/metrics from elsewhere: %d, want 403", s)
		}
		if r := send(t, base, "GET", "/api/v1/rooms", "c", nil); r.status != http.StatusOK {
			t.Errorf("other paths from loopback: %d", r.status)
		}
	})
}
