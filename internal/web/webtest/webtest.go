// Package webtest builds a real Campfire HTTP stack for tests through the
// composition root (app.Build) on the backends the test environment names
// (testenv.Config: a SQLite file in t.TempDir() by default, PostgreSQL +
// Redis with CAMPFIRE_TEST_BACKEND=postgres+redis), with the core at
// bcrypt's minimum cost, the API (and whatever else a test mounts) behind
// httptest.Server. Everything is closed, in order, when the test ends.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/app"
	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/testenv"
	"github.com/campfire-go/campfire/internal/web"
	"github.com/campfire-go/campfire/internal/wire"
)

// Options adjust the stack. The zero value is a good default.
type Options struct {
	// Core options; BcryptCost defaults to 4 and the posting rate limit
	// is lifted (tests post fast), unless set here.
	Core campfire.Options
	// Deps, when set, may change the API's dependencies before New.
	Deps func(*web.Deps)
	// Register, when set, mounts more routes on the same mux. s has its
	// Store, Core and API; the server is not listening yet.
	Register func(mux *http.ServeMux, s *Server)
	// UI mounts the web UI's pages too.
	UI bool
	// Quiet keeps only warnings and errors in the log (benchmarks).
	Quiet bool
	// Config, when set, changes the configuration before the build.
	Config func(*config.Config)
}

// Server is a running stack.
type Server struct {
	*httptest.Server
	Store store.Store
	Core  *campfire.Core
	API   *web.API
	Graph *app.Graph
	// Events records every event the broker handed this instance, in
	// order.
	Events *Recorder

	logs *lockedBuffer
	// Admin is the first user, created by Setup.
	AdminToken string
	Admin      wire.User
}

// New starts a stack for t.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())

	logs := &lockedBuffer{}
	level := slog.LevelDebug
	if opts.Quiet {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))

	rec := &Recorder{changed: make(chan struct{})}
	co := opts.Core
	if co.PostBurst == 0 {
		co.PostBurst, co.PostPer = 1_000_000, time.Second
	}
	s := &Server{Events: rec, logs: logs}
	cfg := testenv.Config(t)
	if opts.Config != nil {
		opts.Config(&cfg)
	}
	g, err := app.Build(ctx, cfg, log, app.Options{
		Core: co,
		Web: func(d *web.Deps) {
			d.Version = "test"
			if opts.Deps != nil {
				opts.Deps(d)
			}
		},
		Tap:  rec.record,
		NoUI: !opts.UI,
		Mount: func(mux *http.ServeMux, g *app.Graph) {
			s.Store, s.Core, s.API, s.Graph = g.Engine.Store, g.Engine.Core, g.API, g
			if opts.Register != nil {
				opts.Register(mux, s)
			}
		},
	})
	if err != nil {
		cancel()
		t.Fatalf("building the server: %v", err)
	}
	srv := httptest.NewServer(g.Handler)
	s.Server = srv

	var wg sync.WaitGroup
	wg.Go(func() {
		if err := g.Run(ctx); err != nil {
			t.Errorf("server background work: %v", err)
		}
	})

	t.Cleanup(func() {
		srv.Close()
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := g.Hub.Shutdown(sctx); err != nil {
			t.Errorf("closing sockets: %v", err)
		}
		cancel()
		wg.Wait()
		g.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return s
}

// Logs returns everything the server logged so far.
func (s *Server) Logs() string { return s.logs.String() }

// Raw is a request body sent as is, with its content type.
type Raw struct {
	ContentType string
	Body        string
}

// Response is a finished request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %d answer %q: %v", r.Status, r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// ErrorCode is the body's error.code, "" when there is none.
func (r *Response) ErrorCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// NewRequest builds a request to the server. body is nil (none), Raw (as
// is) or anything else (encoded as JSON). token, when set, goes in the
// Authorization header.
func (s *Server) NewRequest(t testing.TB, method, path string, body any, token string) *http.Request {
	t.Helper()
	var (
		rd io.Reader
		ct string
	)
	switch b := body.(type) {
	case nil:
	case Raw:
		rd, ct = strings.NewReader(b.Body), b.ContentType
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encoding body: %v", err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatalf("building request: %v", err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// Send runs req and reads the whole answer.
func (s *Server) Send(t testing.TB, req *http.Request) *Response {
	t.Helper()
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading answer: %v", err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Do is NewRequest then Send.
func (s *Server) Do(t testing.TB, method, path string, body any, token string) *Response {
	t.Helper()
	return s.Send(t, s.NewRequest(t, method, path, body, token))
}

// Must is Do that fails the test unless the answer has status want.
func (s *Server) Must(t testing.TB, want int, method, path string, body any, token string) *Response {
	t.Helper()
	res := s.Do(t, method, path, body, token)
	if res.Status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.Status, want, res.Body)
	}
	return res
}

type tokenUser struct {
	Token string    `json:"token"`
	User  wire.User `json:"user"`
}

// AdminPassword is the password of every user the helpers create.
const AdminPassword = "correct horse battery"

// Setup runs first-run setup and keeps the admin's token in s.
func (s *Server) Setup(t testing.TB) (string, wire.User) {
	t.Helper()
	var tu tokenUser
	s.Must(t, http.StatusCreated, "POST", "/api/v1/setup", map[string]string{
		"account_name": "Test Co", "name": "Ada Admin", "email": "ada@example.com", "password": AdminPassword,
	}, "").JSON(t, &tu)
	s.AdminToken, s.Admin = tu.Token, tu.User
	return tu.Token, tu.User
}

// Join signs a new person up through the join code (Setup first); email
// is derived from the name.
func (s *Server) Join(t testing.TB, name string) (string, wire.User) {
	t.Helper()
	var acct struct {
		JoinCode string `json:"join_code"`
	}
	s.Must(t, http.StatusOK, "GET", "/api/v1/account", nil, s.AdminToken).JSON(t, &acct)
	email := emailFor(name)
	var tu tokenUser
	s.Must(t, http.StatusCreated, "POST", "/api/v1/join/"+acct.JoinCode, map[string]string{
		"name": name, "email": email, "password": AdminPassword,
	}, "").JSON(t, &tu)
	return tu.Token, tu.User
}

// emailFor derives an address from a name: "Bea Member" →
// bea.member@example.com; characters an address can't hold are dropped.
func emailFor(name string) string {
	local := strings.Join(strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}), ".")
	if local == "" {
		local = "someone"
	}
	return local + "@example.com"
}

// Recorder keeps the events the broker delivered.
type Recorder struct {
	mu      sync.Mutex
	events  []broker.Event
	changed chan struct{} // closed and replaced on every event
}

func (r *Recorder) record(e broker.Event) {

	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	close(r.changed)
	r.changed = make(chan struct{})
}

// Wait returns the first event with type typ for which match (nil: any)
// holds, waiting up to d for it.
func (r *Recorder) Wait(t testing.TB, d time.Duration, typ string, match func(broker.Event) bool) broker.Event {
	t.Helper()
	deadline := time.After(d)
	for {
		r.mu.Lock()
		for _, e := range r.events {
			if e.Type == typ && (match == nil || match(e)) {
				r.mu.Unlock()
				return e
			}
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no %s event within %s", typ, d)
			return broker.Event{}
		}
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
