package scaleout_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/testenv"
)

// load is the steady work every fault test runs across a cluster: people
// whose sockets are spread over the instances and nginx, each following
// All Talk and reconnecting (next through nginx) with since = the last seq
// it saw whenever a socket ends; and posters over HTTP (through instances
// and nginx) and the cable.
type load struct {
	c      *cluster
	people []person
	subs   []*subscriber
	l      *ledger
}

// newLoad signs up people and opens their sockets: person i straight to
// instance i%n, plus two through nginx.
func newLoad(t *testing.T, c *cluster, people int) *load {
	t.Helper()
	ld := &load{c: c, people: c.join(people, "Member"), l: newLedger(c.sig)}
	for i, p := range ld.people {
		ld.subs = append(ld.subs, subscribe(t, c.sig, fmt.Sprintf("%s@%d", p.name, i%len(c.insts)+1), p,
			[]int64{c.allTalk}, true, wsURL(c.base(i%len(c.insts))), wsURL(c.proxy)))
	}
	ld.subs = append(ld.subs,
		subscribe(t, c.sig, "admin@nginx", c.admin, []int64{c.allTalk}, true, wsURL(c.proxy)),
		subscribe(t, c.sig, "member0@nginx", ld.people[0], []int64{c.allTalk}, true, wsURL(c.proxy)))
	waitSubscribed(t, c.sig, ld.subs)
	return ld
}

// posters: one HTTP poster straight to each instance in `direct`, one
// over the cable from a socket on each instance in `cable`, and the rest
// of the people, but those in skip, through nginx. Each poster is a person
// of its own (the post limits are per person).
func (ld *load) posters(direct, cable []int, skip ...int) []poster {
	c, room := ld.c, ld.c.allTalk
	var out []poster
	used := map[int]bool{}
	for _, i := range skip {
		used[i] = true
	}
	pick := func(inst int) int { // a person whose direct socket is on inst
		for i := range ld.people {
			if i%len(c.insts) == inst && !used[i] {
				used[i] = true
				return i
			}
		}
		panic("not enough people")
	}
	for _, inst := range direct {
		i := pick(inst)
		out = append(out, httpPoster(fmt.Sprintf("http%d", inst+1), c.base(inst), ld.people[i], room, ld.l))
	}
	for _, inst := range cable {
		i := pick(inst)
		out = append(out, cablePoster(fmt.Sprintf("cable%d", inst+1), ld.subs[i], room, ld.l))
	}
	for i := range ld.people {
		if !used[i] {
			out = append(out, httpPoster(fmt.Sprintf("nginx%d", i), c.proxy, ld.people[i], room, ld.l))
		}
	}
	return out
}

// finish checks nothing acknowledged was lost or stored twice and every
// subscriber, live, has every message in order; then that each one,
// reconnecting through nginx with since = its last seq, is told it is up
// to date.
func (ld *load) finish(t *testing.T, within time.Duration) {
	t.Helper()
	hist := checkRoom(t, ld.c, ld.c.allTalk, ld.l, ld.subs, within)
	if t.Failed() {
		t.Fatalf("ledger: %s", ld.l.summary())
	}
	reconcile(t, ld.c.sig, ld.subs, wsURL(ld.c.proxy), ld.c.allTalk, hist)
	t.Logf("%d messages, %s; socket reconnects %d", len(hist), ld.l.summary(), ld.reconnects())
}

func (ld *load) reconnects() int {
	n := 0
	for _, s := range ld.subs {
		s.mu.Lock()
		n += s.reconnects
		s.mu.Unlock()
	}
	return n
}

// TestKillInstance: kill -9 one of three instances under load. Posts
// through the others and through nginx go on (a post in flight on the dead
// one is retried with its client_message_id), its sockets reconnect
// through nginx with since = their last seq, and nobody misses or repeats
// anything.
func TestKillInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three servers, nginx, PostgreSQL and Redis")
	}
	c := startCluster(t, 3, sharedBackends(t), true)
	ld := newLoad(t, c, 9)
	// A cable poster on the instance that dies (person 2's socket is
	// there), which dies with one of its posts written and not yet
	// acknowledged.
	posters := ld.posters([]int{0, 1}, []int{0}, 2)
	var (
		armed    = make(chan struct{})
		inFlight = make(chan struct{})
		killed   = make(chan struct{})
		once     sync.Once
	)
	onVictim := ld.subs[2]
	posters = append(posters, cablePosterHook("cable3", onVictim, c.allTalk, ld.l, func() {
		select {
		case <-armed:
			once.Do(func() {
				close(inFlight)
				<-killed
			})
		default:
		}
	}))
	const perPoster = 24
	wait := startPosters(t, ld.l, posters, perPoster, 80*time.Millisecond)
	var release sync.Once
	t.Cleanup(func() { release.Do(func() { close(killed) }) }) // runs before the posters' cleanup
	waitFor(t, c.sig, 20*time.Second, "a third of the posts acknowledged", func() bool {
		return ld.l.count() >= len(posters)*perPoster/3
	})
	close(armed)
	select {
	case <-inFlight:
	case <-time.After(10 * time.Second):
		t.Fatal("the poster on instance 3 sent nothing within 10s")
	}
	c.insts[2].Kill()
	release.Do(func() { close(killed) })
	t.Logf("killed instance 3 with %d messages acknowledged and a cable post in flight", ld.l.count())
	wait(t, 60*time.Second)
	ld.finish(t, 20*time.Second)
	ld.l.mu.Lock()
	inFlightFailed := ld.l.statuses[0]
	ld.l.mu.Unlock()
	if inFlightFailed == 0 {
		t.Error("the post in flight on the killed instance was acknowledged: the kill came too late to test anything")
	}

	for i, s := range ld.subs[:len(ld.people)] {
		s.mu.Lock()
		n := s.reconnects
		s.mu.Unlock()
		if i%3 == 2 && n == 0 {
			t.Errorf("%s was on the killed instance and never reconnected", s.name)
		}
	}
}

// TestRedisRestart: Redis (the test's own) dies under load and comes back
// empty. Posting goes on meanwhile; once Redis is back every instance
// delivers again by itself (its broker resubscribes and emits
// control.resync, and the hub catches each room up from the database), so
// every socket, never reconnected, ends with every message.
func TestRedisRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three servers, nginx, PostgreSQL and redis-server")
	}
	needProxy(t)
	db := testenv.PostgresSchema(t)
	rs := testenv.StartRedis(t)
	be := backends{db: db, redis: rs.URL(), prefix: "scaleout:" + randomName() + ":", maxConns: "10"}
	c := startCluster(t, 3, be, true)
	ld := newLoad(t, c, 11)
	posters := ld.posters([]int{0, 1, 2}, []int{0, 1})
	const perPoster = 25
	wait := startPosters(t, ld.l, posters, perPoster, 100*time.Millisecond)
	waitFor(t, c.sig, 20*time.Second, "a quarter of the posts acknowledged", func() bool {
		return ld.l.count() >= len(posters)*perPoster/4
	})
	rs.Kill()
	before := ld.l.count()
	t.Logf("killed Redis with %d messages acknowledged", before)
	// Posting does not need Redis: posts keep being acknowledged while it
	// is away. It stays away 1.5 s at least.
	down := time.Now()
	if !await(c.sig, 10*time.Second, func() bool { return ld.l.count() >= before+20 }) {
		t.Errorf("with Redis down, posts stopped: %s", ld.l.summary())
	}
	if d := 1500*time.Millisecond - time.Since(down); d > 0 {
		time.Sleep(d) // the outage's length, not synchronisation
	}
	rs.Start()
	t.Logf("Redis back after %v with %d messages acknowledged", time.Since(down).Round(time.Millisecond), ld.l.count())
	wait(t, 60*time.Second)
	ld.finish(t, 20*time.Second)
	// Without Redis a post is slower (each Redis call fails first), but
	// never a hang.
	ld.l.mu.Lock()
	slowest := ld.l.slowOK
	ld.l.mu.Unlock()
	if slowest > 5*time.Second {
		t.Errorf("with Redis down a post took %v to be acknowledged; want a few seconds at most", slowest)
	}
	for _, s := range ld.subs {
		s.mu.Lock()
		n, closes := s.reconnects, s.closes
		s.mu.Unlock()
		if n > 0 {
			t.Errorf("%s: the server closed its socket (codes %v): a Redis restart must not cost sockets", s.name, closes)
		}
	}
}

// TestPostgresOutage: PostgreSQL (the test's own) stops for 5 s under
// load. Meanwhile writes fail fast with 503 and the contract's JSON error
// (never a 500, never a hang), /ready says 503; nothing is half-written (a
// post that failed is absent until its retry with the same
// client_message_id stores it once); afterwards service resumes by itself.
func TestPostgresOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three servers, nginx, PostgreSQL and Redis")
	}
	needProxy(t)
	redisURL := testenv.RedisURL(t)
	pg := testenv.StartPostgres(t)
	be := backends{db: pg.URL(), redis: redisURL, prefix: "scaleout:" + randomName() + ":", maxConns: "10"}
	c := startCluster(t, 3, be, true)
	ld := newLoad(t, c, 9)
	posters := ld.posters([]int{0, 1, 2}, []int{0, 2})
	const perPoster = 20
	wait := startPosters(t, ld.l, posters, perPoster, 120*time.Millisecond)
	waitFor(t, c.sig, 20*time.Second, "a fifth of the posts acknowledged", func() bool {
		return ld.l.count() >= len(posters)*perPoster/5
	})

	pg.Stop()
	down := time.Now()
	t.Logf("stopped PostgreSQL with %d messages acknowledged", ld.l.count())
	for i := range c.insts {
		if !pollReady(c.base(i), http.StatusServiceUnavailable, 5*time.Second) {
			t.Errorf("instance %d: /ready did not turn 503 within 5s of the database stopping", i+1)
		}
	}
	// A write and a read of our own while it is down: 503 with the
	// contract's error, at once.
	ctx := context.Background()
	probe := "outage-probe-" + randomName()
	path := fmt.Sprintf("/api/v1/rooms/%d/messages", c.allTalk)
	admin := api{base: c.base(0), token: c.admin.token}
	for _, call := range []struct{ method, path string }{{"POST", path}, {"GET", path}, {"GET", "/api/v1/rooms"}} {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		r, err := admin.do(rctx, call.method, call.path, map[string]string{"body": "during the outage", "client_message_id": probe})
		cancel()
		if err != nil {
			t.Fatalf("%s %s with the database down: %v", call.method, call.path, err)
		}
		code, shapeErr := errorShape(r)
		if r.status != http.StatusServiceUnavailable || code != "unavailable" || shapeErr != nil || r.took > 5*time.Second {
			t.Errorf("%s %s with the database down: %d %s in %v (%v); want 503 unavailable within seconds",
				call.method, call.path, r.status, r.raw, r.took, shapeErr)
		}
	}
	if d := 5*time.Second - time.Since(down); d > 0 {
		time.Sleep(d) // the outage's length, not synchronisation
	}
	failuresDuring := ld.l.summary()
	pg.Start()
	up := time.Now()
	for i := range c.insts {
		if !pollReady(c.base(i), http.StatusOK, 15*time.Second) {
			t.Errorf("instance %d: /ready not 200 within 15s of the database returning", i+1)
		}
	}
	t.Logf("outage: %s; /ready 200 everywhere %v after the restart", failuresDuring, time.Since(up).Round(time.Millisecond))
	// The refused post is not stored; retried with its client_message_id
	// it is stored once.
	for _, m := range history(t, c.entry(), c.admin, c.allTalk) {
		if m.cmid == probe {
			t.Errorf("a post answered 503 was stored (seq %d)", m.seq)
		}
	}
	r := admin.must(t, ctx, "POST", path, map[string]string{"body": "during the outage", "client_message_id": probe}, http.StatusCreated)
	ld.l.ack(c.allTalk, probe, num(r, "id"))
	admin.must(t, ctx, "POST", path, map[string]string{"body": "during the outage", "client_message_id": probe}, http.StatusOK)
	wait(t, 60*time.Second)

	ld.l.mu.Lock()
	bad, statuses, codes, slowest := ld.l.bad, ld.l.statuses, ld.l.codes, ld.l.slowest
	ld.l.mu.Unlock()
	for _, b := range bad {
		t.Errorf("during the outage: %s", b)
	}
	if statuses[http.StatusServiceUnavailable] == 0 {
		t.Errorf("no write failed with 503 during a 5 s outage: %v", statuses)
	}
	if codes["internal"] > 0 || codes["internal_error"] > 0 {
		t.Errorf("failures with an internal error code during the outage: %v", codes)
	}
	if slowest > 5*time.Second {
		t.Errorf("a failing write took %v to answer; want a few seconds at most", slowest)
	}
	ld.finish(t, 20*time.Second)
}

// pollReady asks base's /ready until it answers want, for up to d. The
// instance is a process of its own: there is nothing to wait on but its
// answers.
func pollReady(base string, want int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		r, err := api{base: base}.do(ctx, "GET", "/ready", nil)
		cancel()
		if err == nil && r.status == want {
			return true
		}
		<-tick.C
	}
	return false
}
