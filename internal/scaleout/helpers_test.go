package scaleout_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/testbin"
	"github.com/campfire-go/campfire/internal/testenv"
)

// signal wakes every waiter whenever something a test waits on changed:
// a frame arrived, a post was acknowledged, a socket closed. Waiters take
// the channel before checking their condition, so no change is missed.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

func (s *signal) C() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *signal) notify() {
	s.mu.Lock()
	close(s.ch)
	s.ch = make(chan struct{})
	s.mu.Unlock()
}

// await reports whether cond holds within d, re-checking it on every
// change sig announces (and no more often).
func await(sig *signal, d time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		ch := sig.C()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return cond()
		}
	}
}

// waitFor is await that fails the test when the deadline passes.
func waitFor(t testing.TB, sig *signal, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !await(sig, d, cond) {
		t.Fatalf("%s: not within %v", what, d)
	}
}

func randomName() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- the cluster ----

// backends are the database and Redis a cluster's instances share.
type backends struct {
	db, redis, prefix string
	// maxConns is DATABASE_MAX_CONNS per instance ("" = the default).
	maxConns string
}

// sharedBackends is a fresh schema on the machine's PostgreSQL and a fresh
// key prefix on its Redis (skipping when they are not configured).
func sharedBackends(t testing.TB) backends {
	t.Helper()
	return backends{db: testenv.PostgresSchema(t), redis: testenv.RedisURL(t), prefix: "scaleout:" + randomName() + ":", maxConns: "10"}
}

// cluster is n campfire processes on one database and one Redis prefix,
// with the same SECRET_KEY_BASE, behind one nginx (when started with a
// proxy), and the account the tests set up on it.
type cluster struct {
	t     *testing.T
	be    backends
	insts []*testbin.Server
	proxy string // nginx's base URL; "" without one
	sig   *signal

	ips      atomic.Int32 // client addresses handed out (X-Forwarded-For)
	admin    person
	joinCode string
	allTalk  int64
}

// person is a signed-up user and one of their sessions.
type person struct {
	id              int64
	name, email     string
	password, token string
}

// needProxy skips (or fails, under CAMPFIRE_TEST_STRICT=1) before anything
// is started when there is no nginx.
func needProxy(t testing.TB) { testenv.BinaryEnv(t, "CAMPFIRE_TEST_NGINX", "nginx") }

// startCluster starts n instances on be (TRUST_PROXY=1, distinct
// INSTANCE_IDs), nginx in front of them when proxy is set, and sets up the
// account through the first entry point.
func startCluster(t *testing.T, n int, be backends, proxy bool) *cluster {
	t.Helper()
	if proxy {
		needProxy(t)
	}
	c := &cluster{t: t, be: be, sig: newSignal()}
	env := []string{
		"DATABASE_URL=" + be.db, "REDIS_URL=" + be.redis, "REDIS_PREFIX=" + be.prefix,
		"SECRET_KEY_BASE=" + strings.Repeat("s", 40), "TRUST_PROXY=1", "LOG_LEVEL=warn",
	}
	if be.maxConns != "" {
		env = append(env, "DATABASE_MAX_CONNS="+be.maxConns, "DATABASE_MIN_CONNS=2")
	}
	var upstreams []string
	for i := range n {
		s := testbin.New(t, t.TempDir(), append(env, fmt.Sprintf("INSTANCE_ID=scale-%d", i+1))...)
		s.Start()
		c.insts = append(c.insts, s)
		upstreams = append(upstreams, fmt.Sprintf("127.0.0.1:%d", s.Port))
	}
	if proxy {
		c.proxy = testbin.StartNginx(t, upstreams)
	}
	c.setup()
	return c
}

// entry is where account-wide calls go: nginx, else the first instance.
func (c *cluster) entry() string {
	if c.proxy != "" {
		return c.proxy
	}
	return c.insts[0].Base
}

func (c *cluster) base(i int) string { return c.insts[i].Base }

// nextIP is a client address of its own for the next sign-up or sign-in,
// sent as X-Forwarded-For straight to an instance (which trusts it, as it
// would trust nginx): the sign-in limits are per address, and every test
// client really is 127.0.0.1. Documentation ranges, never dialled.
func (c *cluster) nextIP() string {
	n := int(c.ips.Add(1))
	nets := []string{"192.0.2.", "198.51.100.", "203.0.113."}
	return nets[(n/250)%len(nets)] + strconv.Itoa(n%250+1)
}

func (c *cluster) setup() {
	t := c.t
	t.Helper()
	ctx := context.Background()
	c.admin = person{name: "Ada", email: "ada@example.com", password: "correct horse battery"}
	r := api{base: c.entry()}.must(t, ctx, "POST", "/api/v1/setup", map[string]string{
		"account_name": "Scale", "name": c.admin.name, "email": c.admin.email, "password": c.admin.password,
	}, http.StatusCreated)
	c.admin.token = str(r, "token")
	c.admin.id = num(r["user"], "id")
	acct := c.as(c.admin).must(t, ctx, "GET", "/api/v1/account", nil, http.StatusOK)
	c.joinCode = str(acct, "join_code")
	rooms := c.as(c.admin).must(t, ctx, "GET", "/api/v1/rooms", nil, http.StatusOK)
	list, _ := rooms["rooms"].([]any)
	if len(list) != 1 {
		t.Fatalf("a new account has rooms %v, want All Talk alone", rooms)
	}
	c.allTalk = num(list[0], "id")
}

// as is the API at the cluster's entry point with p's token.
func (c *cluster) as(p person) api { return api{base: c.entry(), token: p.token} }

// join signs up n people through the join code, spread over the
// instances, each from an address of its own.
func (c *cluster) join(n int, prefix string) []person {
	t := c.t
	t.Helper()
	out := make([]person, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		p := person{name: fmt.Sprintf("%s %d", prefix, i), email: fmt.Sprintf("%s%d-%s@example.com", strings.ToLower(prefix), i, randomName()),
			password: "correct horse battery"}
		a := api{base: c.base(i % len(c.insts)), xff: c.nextIP()}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			r, err := a.do(ctx, "POST", "/api/v1/join/"+c.joinCode, map[string]string{"name": p.name, "email": p.email, "password": p.password})
			if err == nil && r.status != http.StatusCreated {
				err = fmt.Errorf("join: %d %s", r.status, r.raw)
			}
			if err != nil {
				errs[i] = err
				return
			}
			p.token = str(r.body, "token")
			p.id = num(r.body["user"], "id")
			out[i] = p
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return out
}

// signIn makes a new session for p at base (an instance, or nginx when
// base is the proxy).
func (c *cluster) signIn(base string, p person) person {
	c.t.Helper()
	a := api{base: base}
	if base != c.proxy {
		a.xff = c.nextIP()
	}
	r := a.must(c.t, context.Background(), "POST", "/api/v1/session", map[string]string{"email": p.email, "password": p.password}, http.StatusCreated)
	p.token = str(r, "token")
	return p
}

// createRoom makes a closed room of the admin's with members.
func (c *cluster) createRoom(name string, members []person) int64 {
	c.t.Helper()
	ids := []int64{}
	for _, m := range members {
		ids = append(ids, m.id)
	}
	r := c.as(c.admin).must(c.t, context.Background(), "POST", "/api/v1/rooms",
		map[string]any{"name": name, "type": "closed", "user_ids": ids}, http.StatusCreated)
	return num(r, "id")
}

// wsURL is the cable's address at base.
func wsURL(base string) string { return "ws" + strings.TrimPrefix(base, "http") + "/api/v1/cable" }

// ---- HTTP ----

var httpClient = &http.Client{Transport: &http.Transport{
	MaxIdleConnsPerHost: 128, IdleConnTimeout: 30 * time.Second,
	DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
}}

// api calls one entry point (an instance or nginx) as one session.
type api struct {
	base, token string
	xff         string // X-Forwarded-For to send, if any
}

type reply struct {
	status int
	body   map[string]any
	raw    []byte
	ctype  string
	retry  time.Duration // Retry-After
	took   time.Duration
}

func (a api) do(ctx context.Context, method, path string, body any) (reply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return reply{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return reply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if a.xff != "" {
		req.Header.Set("X-Forwarded-For", a.xff)
	}
	start := time.Now()
	res, err := httpClient.Do(req)
	if err != nil {
		return reply{took: time.Since(start)}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	r := reply{status: res.StatusCode, raw: raw, ctype: res.Header.Get("Content-Type"), took: time.Since(start)}
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil {
		r.retry = time.Duration(ra) * time.Second
	}
	if err != nil {
		return r, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &r.body)
	}
	return r, nil
}

// must is do that fails the test unless the answer has status want.
func (a api) must(t testing.TB, ctx context.Context, method, path string, body any, want int) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	r, err := a.do(ctx, method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != want {
		t.Fatalf("%s %s%s: %d %s, want %d", method, a.base, path, r.status, r.raw, want)
	}
	return r.body
}

func num(v any, key string) int64 {
	m, _ := v.(map[string]any)
	f, _ := m[key].(float64)
	return int64(f)
}

func str(v any, key string) string {
	m, _ := v.(map[string]any)
	s, _ := m[key].(string)
	return s
}

// errorShape checks a failure answer is the contract's JSON error and
// returns its code.
func errorShape(r reply) (string, error) {
	if !strings.HasPrefix(r.ctype, "application/json") {
		return "", fmt.Errorf("status %d with Content-Type %q: %q", r.status, r.ctype, r.raw)
	}
	e, _ := r.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	if code == "" || msg == "" {
		return code, fmt.Errorf("status %d without an error code and message: %s", r.status, r.raw)
	}
	return code, nil
}

// stored is one message as the database has it.
type stored struct {
	id, seq int64
	cmid    string
}

// history reads every message of room, oldest first, through base as p.
func history(t testing.TB, base string, p person, room int64) []stored {
	t.Helper()
	var out []stored
	after := int64(0)
	for range 10_000 { // bounded: a page at a time
		r := api{base: base, token: p.token}.must(t, context.Background(), "GET",
			fmt.Sprintf("/api/v1/rooms/%d/messages?after_seq=%d&limit=100", room, after), nil, http.StatusOK)
		ms, _ := r["messages"].([]any)
		for _, m := range ms {
			out = append(out, stored{id: num(m, "id"), seq: num(m, "seq"), cmid: str(m, "client_message_id")})
			after = num(m, "seq")
		}
		if len(ms) < 100 {
			return out
		}
	}
	t.Fatalf("room %d: history does not end", room)
	return nil
}

// ---- posting ----

// ledger records what posters were told: every acknowledged message by
// client_message_id, and every failure answer.
type ledger struct {
	sig *signal

	mu       sync.Mutex
	acked    map[string]int64 // client_message_id → message id
	rooms    map[string]int64 // client_message_id → room
	given    []string         // posts given up on (never acknowledged)
	statuses map[int]int      // failure answers by status (0: no answer)
	codes    map[string]int   // failure answers by error code
	bad      []string         // failure answers that break the contract
	slowest  time.Duration    // the slowest failure answer
	slowOK   time.Duration    // the slowest acknowledgement
}

func newLedger(sig *signal) *ledger {
	return &ledger{sig: sig, acked: map[string]int64{}, rooms: map[string]int64{}, statuses: map[int]int{}, codes: map[string]int{}}
}

func (l *ledger) ack(room int64, cmid string, id int64) { l.ackIn(room, cmid, id, 0) }

// ackIn is ack for an attempt that took took.
func (l *ledger) ackIn(room int64, cmid string, id int64, took time.Duration) {
	l.mu.Lock()
	l.acked[cmid], l.rooms[cmid] = id, room
	l.slowOK = max(l.slowOK, took)
	l.mu.Unlock()
	l.sig.notify()
}

func (l *ledger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// failure records a failed attempt (r.status 0: no answer at all).
func (l *ledger) failure(r reply, err error, code string, contract error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.statuses[r.status]++
	if code != "" {
		l.codes[code]++
	}
	if contract != nil {
		l.bad = append(l.bad, contract.Error())
	}
	if r.status != 0 {
		l.slowest = max(l.slowest, r.took)
	}
}

func (l *ledger) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d acknowledged (slowest %v), failures by status %v, by code %v, slowest failure %v, given up %d",
		len(l.acked), l.slowOK.Round(time.Millisecond), l.statuses, l.codes, l.slowest.Round(time.Millisecond), len(l.given))
}

// poster posts a numbered series of messages to one room, each with a
// client_message_id of its own, retried with the same id until
// acknowledged (a client's duty after a failure; the server stores it once).
type poster struct {
	name string
	room int64
	// send makes one attempt; retry says whether another is worth making.
	send func(ctx context.Context, cmid, body string) (id int64, retry bool, wait time.Duration, err error)
}

// httpPoster posts through base (an instance or nginx) as p.
func httpPoster(name string, base string, p person, room int64, l *ledger) poster {
	a := api{base: base, token: p.token}
	path := fmt.Sprintf("/api/v1/rooms/%d/messages", room)
	return poster{name: name, room: room, send: func(ctx context.Context, cmid, body string) (int64, bool, time.Duration, error) {
		r, err := a.do(ctx, "POST", path, map[string]string{"body": body, "client_message_id": cmid})
		switch {
		case err != nil:
			l.failure(reply{}, err, "", nil)
			return 0, true, 0, err
		case r.status == http.StatusCreated || r.status == http.StatusOK:
			if num(r.body, "room_id") != room || str(r.body, "client_message_id") != cmid || num(r.body, "seq") <= 0 {
				return 0, false, 0, fmt.Errorf("%d answer describes another message: %s", r.status, r.raw)
			}
			return num(r.body, "id"), false, 0, nil
		}
		code, contract := errorShape(r)
		if r.status >= 500 && r.status != http.StatusServiceUnavailable && r.status != http.StatusBadGateway {
			contract = errors.Join(contract, fmt.Errorf("%s via %s: %d %s", cmid, base, r.status, r.raw))
		}
		if r.status == http.StatusBadGateway {
			contract = nil // nginx's own page: the instance it tried died
		}
		l.failure(r, nil, code, contract)
		err = fmt.Errorf("%d %s", r.status, r.raw)
		switch r.status {
		case http.StatusTooManyRequests:
			return 0, true, min(max(r.retry, time.Second), 3*time.Second), err
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusInternalServerError:
			return 0, true, 0, err
		}
		return 0, false, 0, err
	}}
}

// cablePoster posts through s's socket (a cable "post" frame, answered by
// an "ack"), resending after a reconnect.
func cablePoster(name string, s *subscriber, room int64, l *ledger) poster {
	return cablePosterHook(name, s, room, l, nil)
}

// cablePosterHook is cablePoster with a hook that runs after each post
// frame is written, before its ack is awaited (nil: none).
func cablePosterHook(name string, s *subscriber, room int64, l *ledger, afterWrite func()) poster {
	return poster{name: name, room: room, send: func(ctx context.Context, cmid, body string) (int64, bool, time.Duration, error) {
		id, code, err := s.post(ctx, room, cmid, body, afterWrite)
		if err == nil {
			return id, false, 0, nil
		}
		l.failure(reply{}, err, code, nil)
		return 0, code == "" || code == "unavailable" || code == "internal" || code == "rate_limited", 0, err
	}}
}

// postAll runs every poster at once, each sending n messages one every
// `every`, and waits until all are acknowledged (failing the test past
// within).
func postAll(t testing.TB, l *ledger, posters []poster, n int, every, within time.Duration) {
	t.Helper()
	startPosters(t, l, posters, n, every)(t, within)
}

// startPosters starts the posters and returns the wait for their end,
// which fails the test past within or when a post was given up on (each
// is retried for up to 45 s). If the test ends first, they are stopped.
func startPosters(t testing.TB, l *ledger, posters []poster, n int, every time.Duration) (wait func(t testing.TB, within time.Duration)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range posters {
		wg.Go(func() { runPoster(ctx, p, n, every, l) })
	}
	go func() { wg.Wait(); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return func(t testing.TB, within time.Duration) {
		t.Helper()
		defer cancel()
		select {
		case <-done:
		case <-time.After(within):
			cancel()
			<-done
			t.Fatalf("posters not done within %v: %s", within, l.summary())
		}
		l.mu.Lock()
		given := l.given
		l.mu.Unlock()
		if len(given) > 0 {
			t.Fatalf("posts never acknowledged: %v (%s)", given, l.summary())
		}
	}
}

func runPoster(ctx context.Context, p poster, n int, every time.Duration, l *ledger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for k := range n {
		cmid := fmt.Sprintf("%s-%d-%s", p.name, k, randomName())
		body := fmt.Sprintf("%s #%d", p.name, k)
		giveUp := time.Now().Add(45 * time.Second)
		var lastErr error
		acked := false
		for attempt := 0; attempt < 500 && time.Now().Before(giveUp) && ctx.Err() == nil; attempt++ {
			actx, cancel := context.WithTimeout(ctx, 10*time.Second)
			sent := time.Now()
			id, retry, wait, err := p.send(actx, cmid, body)
			cancel()
			if err == nil {
				l.ackIn(p.room, cmid, id, time.Since(sent))
				acked = true
				break
			}
			lastErr = err
			if !retry {
				break
			}
			select { // a client's retry pace, not synchronisation
			case <-time.After(max(wait, 250*time.Millisecond)):
			case <-ctx.Done():
			}
		}
		if !acked {
			l.mu.Lock()
			l.given = append(l.given, fmt.Sprintf("%s: %v", cmid, lastErr))
			l.mu.Unlock()
			return
		}
		if k < n-1 {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}
}

// ---- the cable ----

// subscriber is one client of the cable, across the sockets it opens: it
// subscribes to its rooms from seq 0, follows each room's seqs (any
// message.created that is not exactly the next seq of a room it follows
// is a problem), resumes with since = the last seq it saw when it
// reconnects, and can post through its socket.
type subscriber struct {
	t     testing.TB
	name  string
	p     person
	sig   *signal
	dial  []string // cable URLs: the first connect uses dial[0], reconnects the next ones in turn
	retry bool     // reconnect after a close other than 4001

	wmu sync.Mutex // one writer at a time

	mu         sync.Mutex
	ws         *websocket.Conn
	gen        int // sockets opened so far
	rooms      map[int64]*roomView
	acks       map[string]int64  // client_message_id → message id
	postErrs   map[string]string // client_message_id → error code of the latest error frame
	closes     []int             // close codes of the sockets that ended
	closedAt   time.Time         // when the latest socket ended
	down       bool              // the latest socket ended and no other replaced it
	problems   []string
	reported   int // problems already reported
	reconnects int
	stopping   bool
	done       chan struct{}
}

// roomView is what a subscriber saw of one room.
type roomView struct {
	last       int64   // the last seq seen
	ids        []int64 // message ids by seq-1
	subscribed int     // "subscribed" frames since the latest socket opened
	subSeq     int64   // the seq of the latest "subscribed" frame
	deleted    bool    // room.deleted seen
}

// subscribe opens s's first socket at dial[0] and subscribes it to rooms
// from their beginning.
func subscribe(t testing.TB, sig *signal, name string, p person, rooms []int64, retry bool, dial ...string) *subscriber {
	t.Helper()
	s := &subscriber{t: t, name: name, p: p, sig: sig, dial: dial, retry: retry, rooms: map[int64]*roomView{},
		acks: map[string]int64{}, postErrs: map[string]string{}, done: make(chan struct{})}
	for _, r := range rooms {
		s.rooms[r] = &roomView{}
	}
	ws, err := s.open(dial[0])
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go s.run(ws)
	t.Cleanup(s.stop)
	return s
}

// resume is a new client that carries on from what s saw, as a reconnect
// does: its socket at url subscribes to s's rooms with since = s's last
// seqs. s is stopped first.
func resume(t testing.TB, s *subscriber, url string) *subscriber {
	t.Helper()
	s.stop()
	n := &subscriber{t: t, name: s.name + "/resumed", p: s.p, sig: s.sig, dial: []string{url}, rooms: map[int64]*roomView{},
		acks: map[string]int64{}, postErrs: map[string]string{}, done: make(chan struct{})}
	s.mu.Lock()
	for id, v := range s.rooms {
		n.rooms[id] = &roomView{last: v.last, ids: append([]int64(nil), v.ids...)}
	}
	s.mu.Unlock()
	ws, err := n.open(url)
	if err != nil {
		t.Fatalf("%s: %v", n.name, err)
	}
	go n.run(ws)
	t.Cleanup(n.stop)
	return n
}

// open dials url and subscribes to every room from the last seq seen.
func (s *subscriber) open(url string) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.Dial(url, http.Header{"Authorization": {"Bearer " + s.p.token}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return nil, fmt.Errorf("dialling %s: %v (status %d)", url, err, status)
	}
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		ws.Close()
		return nil, errors.New("stopped")
	}
	s.ws, s.down = ws, false
	s.gen++
	frames := make([][]byte, 0, len(s.rooms))
	for id, v := range s.rooms {
		v.subscribed = 0
		b, _ := json.Marshal(map[string]any{"type": "subscribe", "room_id": id, "since": v.last})
		frames = append(frames, b)
	}
	s.mu.Unlock()
	for _, f := range frames {
		if err := s.write(ws, f); err != nil {
			ws.Close()
			return nil, fmt.Errorf("subscribing at %s: %w", url, err)
		}
	}
	s.sig.notify()
	return ws, nil
}

func (s *subscriber) write(ws *websocket.Conn, frame []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return ws.WriteMessage(websocket.TextMessage, frame)
}

// run reads ws until it ends, then reconnects when s.retry says so.
func (s *subscriber) run(ws *websocket.Conn) {
	defer close(s.done)
	for ws != nil {
		code := s.read(ws)
		s.mu.Lock()
		s.closes = append(s.closes, code)
		s.closedAt = time.Now()
		s.ws, s.down = nil, true
		stopping := s.stopping
		s.mu.Unlock()
		s.sig.notify()
		if stopping || !s.retry || code == 4001 {
			return
		}
		ws = s.reconnect()
	}
}

// reconnect dials the next addresses in turn, a bounded number of times.
func (s *subscriber) reconnect() *websocket.Conn {
	deadline := time.Now().Add(30 * time.Second)
	for attempt := 0; attempt < 300 && time.Now().Before(deadline); attempt++ {
		s.mu.Lock()
		stopping := s.stopping
		s.mu.Unlock()
		if stopping {
			return nil
		}
		ws, err := s.open(s.dial[(attempt+1)%len(s.dial)])
		if err == nil {
			s.mu.Lock()
			s.reconnects++
			s.mu.Unlock()
			return ws
		}
		time.Sleep(100 * time.Millisecond) // a client's reconnect pace, not synchronisation
	}
	s.problem("could not reconnect within 30s")
	return nil
}

// read handles ws's frames until it ends and returns its close code (1006
// when it ended without one).
func (s *subscriber) read(ws *websocket.Conn) int {
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			ws.Close()
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			return websocket.CloseAbnormalClosure
		}
		s.handle(data)
	}
}

type inFrame struct {
	Type            string          `json:"type"`
	RoomID          int64           `json:"room_id"`
	Seq             int64           `json:"seq"`
	ClientMessageID string          `json:"client_message_id"`
	MessageID       int64           `json:"message_id"`
	Code            string          `json:"code"`
	Message         json.RawMessage `json:"message"`
}

type inMessage struct {
	ID              int64  `json:"id"`
	RoomID          int64  `json:"room_id"`
	Seq             int64  `json:"seq"`
	ClientMessageID string `json:"client_message_id"`
}

func (s *subscriber) handle(data []byte) {
	var f inFrame
	if err := json.Unmarshal(data, &f); err != nil {
		s.problem(fmt.Sprintf("unreadable frame %q", data))
		return
	}
	s.mu.Lock()
	switch f.Type {
	case "message.created":
		var m inMessage
		_ = json.Unmarshal(f.Message, &m)
		v := s.rooms[f.RoomID]
		switch {
		case v == nil:
			s.problems = append(s.problems, fmt.Sprintf("message seq %d of room %d, which it never subscribed to", m.Seq, f.RoomID))
		case m.RoomID != f.RoomID:
			s.problems = append(s.problems, fmt.Sprintf("room %d frame carries a message of room %d", f.RoomID, m.RoomID))
		case m.Seq <= v.last:
			s.problems = append(s.problems, fmt.Sprintf("room %d: seq %d again after %d (duplicate or out of order)", f.RoomID, m.Seq, v.last))
		case m.Seq != v.last+1:
			s.problems = append(s.problems, fmt.Sprintf("room %d: seq %d after %d (a gap)", f.RoomID, m.Seq, v.last))
			fallthrough // record it anyway, so later frames are judged from here
		default:
			for int64(len(v.ids)) < m.Seq-1 {
				v.ids = append(v.ids, 0)
			}
			v.ids = append(v.ids, m.ID)
			v.last = m.Seq
		}
	case "subscribed":
		if v := s.rooms[f.RoomID]; v != nil {
			v.subscribed++
			v.subSeq = f.Seq
		}
	case "ack":
		s.acks[f.ClientMessageID] = f.MessageID
	case "error":
		if f.ClientMessageID != "" {
			s.postErrs[f.ClientMessageID] = f.Code
		} else {
			s.problems = append(s.problems, fmt.Sprintf("error frame %s", data))
		}
	case "room.deleted":
		if v := s.rooms[f.RoomID]; v != nil {
			v.deleted = true
		}
	}
	s.mu.Unlock()
	s.sig.notify()
}

func (s *subscriber) problem(p string) {
	s.mu.Lock()
	s.problems = append(s.problems, p)
	s.mu.Unlock()
	s.sig.notify()
}

// post sends a cable post and waits for its ack (or an error frame for
// it, or the socket's end). afterWrite, if not nil, runs once the frame is
// written.
func (s *subscriber) post(ctx context.Context, room int64, cmid, body string, afterWrite func()) (id int64, code string, err error) {
	s.mu.Lock()
	ws, gen := s.ws, s.gen
	delete(s.postErrs, cmid)
	s.mu.Unlock()
	if ws == nil {
		// Reconnecting: wait for the next socket (or the attempt's end).
		await(s.sig, time.Until(deadlineOf(ctx)), func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.ws != nil || s.stopping
		})
		return 0, "", errors.New("no socket")
	}
	frame, _ := json.Marshal(map[string]any{"type": "post", "room_id": room, "body": body, "client_message_id": cmid})
	if err := s.write(ws, frame); err != nil {
		return 0, "", err
	}
	if afterWrite != nil {
		afterWrite()
	}
	var ended bool
	await(s.sig, time.Until(deadlineOf(ctx)), func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		id = s.acks[cmid]
		code = s.postErrs[cmid]
		ended = s.gen != gen || s.ws == nil
		return id != 0 || code != "" || ended
	})
	switch {
	case id != 0:
		return id, "", nil
	case code != "":
		return 0, code, fmt.Errorf("error frame %s", code)
	case ended:
		return 0, "", errors.New("the socket ended before the ack")
	}
	return 0, "", errors.New("no ack in time")
}

func deadlineOf(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(10 * time.Second)
}

// stop closes the socket and waits for s's goroutine.
func (s *subscriber) stop() {
	s.mu.Lock()
	s.stopping = true
	ws := s.ws
	s.mu.Unlock()
	if ws != nil {
		ws.Close()
	}
	select {
	case <-s.done:
	case <-time.After(35 * time.Second):
		s.t.Errorf("%s: its reader did not stop within 35s", s.name)
	}
}

// last is the last seq s saw in room.
func (s *subscriber) last(room int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.rooms[room]; v != nil {
		return v.last
	}
	return 0
}

// subscribedAll reports whether the current socket had "subscribed" for
// every room.
func (s *subscriber) subscribedAll() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws == nil {
		return false
	}
	for _, v := range s.rooms {
		if v.subscribed == 0 {
			return false
		}
	}
	return true
}

// closedWith reports the code the latest socket ended with (0: open).
func (s *subscriber) closedWith() (code int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.down || len(s.closes) == 0 {
		return 0, time.Time{}
	}
	return s.closes[len(s.closes)-1], s.closedAt
}

func (s *subscriber) saw(room, msgID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.rooms[room]
	if v == nil {
		return false
	}
	for _, id := range v.ids {
		if id == msgID {
			return true
		}
	}
	return false
}

// ---- checks ----

// waitSubscribed waits until every subscriber's socket has "subscribed"
// for each of its rooms.
func waitSubscribed(t testing.TB, sig *signal, subs []*subscriber) {
	t.Helper()
	waitFor(t, sig, 10*time.Second, "every socket subscribed", func() bool {
		for _, s := range subs {
			if !s.subscribedAll() {
				return false
			}
		}
		return true
	})
}

// checkRoom checks room's stored history against what the posters were
// told and what every subscriber saw: seqs 1..N with no gap, each
// client_message_id stored once, every acknowledged message stored (with
// the id its poster was given) and nothing stored that no poster was
// acknowledged; and, within `within`, every subscriber in subs has every
// message exactly once in seq order (the reader checked order as frames
// came), matching the stored ids. It returns the history.
func checkRoom(t testing.TB, c *cluster, room int64, l *ledger, subs []*subscriber, within time.Duration) []stored {
	t.Helper()
	hist := history(t, c.entry(), c.admin, room)
	byCmid := map[string]stored{}
	for i, m := range hist {
		if m.seq != int64(i+1) {
			t.Fatalf("room %d: the %dth stored message has seq %d: a gap or a half-written post", room, i+1, m.seq)
		}
		if prev, dup := byCmid[m.cmid]; dup {
			t.Errorf("room %d: client_message_id %q stored twice (ids %d and %d)", room, m.cmid, prev.id, m.id)
		}
		byCmid[m.cmid] = m
	}
	l.mu.Lock()
	acked := 0
	for cmid, id := range l.acked {
		if l.rooms[cmid] != room {
			continue
		}
		acked++
		m, ok := byCmid[cmid]
		switch {
		case !ok:
			t.Errorf("room %d: acknowledged message %q (id %d) is lost", room, cmid, id)
		case m.id != id:
			t.Errorf("room %d: %q acknowledged as id %d, stored as %d", room, cmid, id, m.id)
		}
	}
	for _, m := range hist {
		if _, ok := l.acked[m.cmid]; !ok {
			t.Errorf("room %d: seq %d (%q) is stored but no poster was acknowledged for it", room, m.seq, m.cmid)
		}
	}
	l.mu.Unlock()
	if acked != len(hist) {
		t.Errorf("room %d: %d acknowledged, %d stored", room, acked, len(hist))
	}

	n := int64(len(hist))
	if !await(c.sig, within, func() bool {
		for _, s := range subs {
			if s.last(room) < n {
				return false
			}
		}
		return true
	}) {
		var behind []string
		for _, s := range subs {
			if got := s.last(room); got < n {
				behind = append(behind, fmt.Sprintf("%s at %d", s.name, got))
			}
		}
		t.Errorf("room %d: within %v not every subscriber reached seq %d: %v", room, within, n, behind)
	}
	for _, s := range subs {
		checkSaw(t, s, room, hist, true)
	}
	return hist
}

// checkSaw checks what s saw of room matches hist: the same message at
// every seq it saw, and (full) all of them. Order and duplicates were
// checked frame by frame.
func checkSaw(t testing.TB, s *subscriber, room int64, hist []stored, full bool) {
	t.Helper()
	s.mu.Lock()
	problems := s.problems[s.reported:]
	s.reported = len(s.problems)
	s.mu.Unlock()
	for _, p := range problems {
		t.Errorf("%s: %s", s.name, p)
	}
	s.mu.Lock()
	ids := append([]int64(nil), s.rooms[room].ids...)
	s.mu.Unlock()
	if full && len(ids) != len(hist) {
		t.Errorf("%s: saw %d messages of room %d, %d are stored", s.name, len(ids), room, len(hist))
	}
	if len(ids) > len(hist) {
		t.Errorf("%s: saw %d messages of room %d, more than the %d stored", s.name, len(ids), room, len(hist))
		return
	}
	for i, id := range ids {
		if id != hist[i].id {
			t.Errorf("%s: room %d seq %d was message %d, stored is %d", s.name, room, i+1, id, hist[i].id)
			return
		}
	}
}

// reconcile has every subscriber reconnect through url with since = the
// last seq it saw, and checks each is told it is up to date at seq n with
// nothing missing (a client that resumes misses nothing).
func reconcile(t testing.TB, sig *signal, subs []*subscriber, url string, room int64, hist []stored) {
	t.Helper()
	var resumed []*subscriber
	for _, s := range subs {
		resumed = append(resumed, resume(t, s, url))
	}
	waitSubscribed(t, sig, resumed)
	for _, s := range resumed {
		s.mu.Lock()
		subSeq := s.rooms[room].subSeq
		s.mu.Unlock()
		if subSeq != int64(len(hist)) {
			t.Errorf("%s: resumed at seq %d, the room is at %d", s.name, subSeq, len(hist))
		}
		checkSaw(t, s, room, hist, true)
	}
}
