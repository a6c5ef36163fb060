package push

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testP256dh = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	testAuth   = "BTBZMqHH6r4Tts7J_aSIgg"
)

func testPool(t *testing.T, opts Options) (*Pool, func()) {
	t.Helper()
	pub, priv, err := GenerateVAPID()
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseVAPID(pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	opts.AllowLoopback = true
	p := New(v, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	return p, func() { cancel(); <-done }
}

// waitFor polls cond: the pool reports through counters and callbacks.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPoolAnswers(t *testing.T) {
	var calls sync.Map // path → *atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := calls.LoadOrStore(r.URL.Path, new(atomic.Int32))
		c := n.(*atomic.Int32).Add(1)
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(http.StatusCreated)
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		case "/flaky": // fails twice, then takes it
			if c <= 2 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusCreated)
		case "/down":
			w.WriteHeader(http.StatusInternalServerError)
		case "/slowdown": // asks for a wait past MaxWait: dropped at once
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/bad":
			w.WriteHeader(http.StatusBadRequest)
		case "/redirect":
			http.Redirect(w, r, "/ok", http.StatusFound)
		}
	}))
	defer srv.Close()
	var gone sync.Map
	p, stop := testPool(t, Options{RetryDelay: time.Millisecond, Retries: 2,
		Gone: func(_ context.Context, id int64) { gone.Store(id, true) }})
	defer stop()
	for i, path := range []string{"/ok", "/gone", "/missing", "/flaky", "/down", "/slowdown", "/bad", "/redirect"} {
		if !p.Enqueue(Job{SubscriptionID: int64(i + 1), Endpoint: srv.URL + path, P256dh: testP256dh, Auth: testAuth, Payload: []byte(`{}`)}) {
			t.Fatal("queue refused")
		}
	}
	waitFor(t, "every job to finish", func() bool { s := p.Stats(); return s.Sent+s.Gone+s.Failed == 8 })
	s := p.Stats()
	if s.Sent != 2 || s.Gone != 2 || s.Failed != 4 || s.Retried != 4 {
		t.Fatalf("stats %+v, want 2 sent (ok, flaky), 2 gone, 4 failed, 4 retries (flaky 2, down 2)", s)
	}
	for _, id := range []int64{2, 3} {
		if _, ok := gone.Load(id); !ok {
			t.Errorf("subscription %d not reported gone", id)
		}
	}
	count := func(path string) int32 {
		n, ok := calls.Load(path)
		if !ok {
			return 0
		}
		return n.(*atomic.Int32).Load()
	}
	if count("/down") != 3 || count("/slowdown") != 1 || count("/bad") != 1 {
		t.Fatalf("attempts: down %d (want 3), slowdown %d, bad %d (want 1)", count("/down"), count("/slowdown"), count("/bad"))
	}
	if count("/ok") != 1 {
		t.Fatalf("the redirect was followed: /ok got %d calls", count("/ok"))
	}
}

func TestPoolDropsWhenFull(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer srv.Close()
	defer close(release)
	p, stop := testPool(t, Options{Workers: 1, Queue: 2})
	j := Job{Endpoint: srv.URL, P256dh: testP256dh, Auth: testAuth, Payload: []byte(`{}`)}
	p.Enqueue(j) // taken by the worker, which blocks
	waitFor(t, "the worker to take the first job", func() bool { return len(p.jobs) == 0 })
	accepted := 0
	for range 5 {
		if p.Enqueue(j) {
			accepted++
		}
	}
	if accepted != 2 || p.Stats().Dropped != 3 {
		t.Fatalf("accepted %d, dropped %d; want 2 and 3", accepted, p.Stats().Dropped)
	}
	stop() // cancels the blocked request, drops the queued jobs
	if p.Enqueue(j) || p.Plan(func(context.Context) {}) {
		t.Fatal("a stopped pool took work")
	}
	// 3 refused, 1 cut short, 2 left in the queue, 2 after the stop.
	if d := p.Stats().Dropped; d != 8 {
		t.Fatalf("dropped %d after stop, want 8", d)
	}
}

func TestPoolRefusesPrivateAddresses(t *testing.T) {
	pub, priv, _ := GenerateVAPID()
	v, _ := ParseVAPID(pub, priv)
	p := New(v, Options{Retries: -1}) // production: no loopback
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a loopback endpoint was reached")
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	p.Enqueue(Job{Endpoint: srv.URL, P256dh: testP256dh, Auth: testAuth, Payload: []byte(`{}`)})
	waitFor(t, "the refused job", func() bool { return p.Stats().Failed == 1 })
}
