package client_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/campfire-go/campfire/client"
	"github.com/campfire-go/campfire/internal/web/webtest"
)

// Every Cable goroutine and timer must be gone when the tests end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const password = webtest.AdminPassword

// world is a real server with its admin signed in through the client.
type world struct {
	srv   *webtest.Server
	anon  *client.Client
	admin *client.Client
	me    client.User
}

// newClient returns an anonymous client of url whose connections are
// closed when the test ends.
func newClient(t testing.TB, url string) *client.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	c, err := client.New(url, client.WithHTTPClient(&http.Client{Transport: tr, Timeout: 30 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newWorld starts a server and sets it up through the client.
func newWorld(t testing.TB) *world {
	t.Helper()
	srv := webtest.New(t, webtest.Options{Quiet: true})
	anon := newClient(t, srv.URL)
	s, err := anon.Setup(ctx(t), "Test Co", "Ada Admin", "ada@example.com", password)
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	return &world{srv: srv, anon: anon, admin: anon.WithToken(s.Token), me: s.User}
}

// join signs a new person up and returns their client.
func (w *world) join(t testing.TB, name, email string) (*client.Client, client.User) {
	t.Helper()
	acct, err := w.admin.Account(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := w.anon.Join(ctx(t), acct.JoinCode, name, email, password)
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	return w.anon.WithToken(s.Token), s.User
}

// allTalk is the id of the room setup creates.
func (w *world) allTalk(t testing.TB) int64 {
	t.Helper()
	rooms, err := w.admin.Rooms(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rooms {
		if r.Name == "All Talk" {
			return r.ID
		}
	}
	t.Fatal("no All Talk room")
	return 0
}

// ctx is a context for one call, bounded so a hung test fails.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantCode fails unless err is an *Error with status and code.
func wantCode(t testing.TB, err error, status int, code string) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *client.Error %d %s", err, err, status, code)
	}
	if e.Status != status || e.Code != code {
		t.Fatalf("error %d %q (%s), want %d %q", e.Status, e.Code, e.Message, status, code)
	}
	return e
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// dial opens a cable for c, closed when the test ends.
func dial(t testing.TB, c *client.Client, opts *client.CableOptions) *client.Cable {
	t.Helper()
	cb, err := c.Dial(ctx(t), opts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { cb.Close() })
	return cb
}

// next returns the next event of type E, skipping others, within d.
func next[E client.Event](t testing.TB, cb *client.Cable, d time.Duration) E {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case ev, ok := <-cb.Events():
			if !ok {
				t.Fatalf("events closed waiting for %T (err %v)", *new(E), cb.Err())
			}
			if e, ok := ev.(E); ok {
				return e
			}
		case <-timeout:
			var zero E
			t.Fatalf("no %T within %s", zero, d)
			return zero
		}
	}
}

// proxy is a TCP proxy between client and server that the test can cut:
// Cut closes every connection through it; Hold refuses new ones (closes
// them at once) until Release.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	held  bool
	wg    sync.WaitGroup
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		held := p.held
		p.mu.Unlock()
		if held {
			in.Close()
			continue
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns[in], p.conns[out] = struct{}{}, struct{}{}
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			io.Copy(dst, src)
			dst.Close()
			src.Close()
			p.mu.Lock()
			delete(p.conns, dst)
			delete(p.conns, src)
			p.mu.Unlock()
		}
		p.wg.Go(func() { pipe(out, in) })
		p.wg.Go(func() { pipe(in, out) })
	}
}

// Cut closes every connection through the proxy.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// Hold refuses new connections until Release.
func (p *proxy) Hold() {
	p.mu.Lock()
	p.held = true
	p.mu.Unlock()
}

func (p *proxy) Release() {
	p.mu.Lock()
	p.held = false
	p.mu.Unlock()
}
