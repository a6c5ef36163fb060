package scaleout_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The fan-out figures' load: sockets spread evenly over the instances, all
// following All Talk, and posts at a steady rate over HTTP, spread over the
// instances too, by posters enough that no one meets the post limit.
const (
	benchSockets  = 300
	benchPosters  = 50
	benchRate     = 100 // posts per second, all posters together
	benchDuration = 10 * time.Second
)

// TestFanoutFigures measures what docs/scaling.md quotes: one instance and
// then three, on PostgreSQL + Redis (the machine's, a fresh schema and key
// prefix each), with the load generator on the same machine. It prints
// post→delivery latency (from just before the HTTP post is sent to the
// frame read off a socket) at p50/p99/max and deliveries per second. Not a
// check, so it runs only when asked:
//
//	CAMPFIRE_SCALEOUT_BENCH=1 go test -run TestFanoutFigures -v -count 1 ./internal/scaleout
func TestFanoutFigures(t *testing.T) {
	if os.Getenv("CAMPFIRE_SCALEOUT_BENCH") != "1" {
		t.Skip("set CAMPFIRE_SCALEOUT_BENCH=1 to measure the fan-out figures")
	}
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprintf("instances=%d", n), func(t *testing.T) { fanout(t, n) })
	}
}

func fanout(t *testing.T, n int) {
	be := sharedBackends(t)
	be.maxConns = "" // the shipped pool settings
	c := startCluster(t, n, be, false)
	people := c.join(benchPosters, "Bench")

	// Sockets: socket j is person j%posters's, on instance j%n.
	var (
		delivered atomic.Int64
		target    atomic.Int64 // deliveries expected; set once posting ends
		all       = make(chan struct{})
		allOnce   sync.Once
		lastAt    atomic.Int64 // unix nanoseconds of the latest delivery
	)
	check := func() {
		if tg := target.Load(); tg > 0 && delivered.Load() >= tg {
			allOnce.Do(func() { close(all) })
		}
	}
	socks := make([]*benchSock, benchSockets)
	for j := range socks {
		s, err := dialBench(wsURL(c.base(j%n)), people[j%benchPosters].token, c.allTalk)
		if err != nil {
			t.Fatal(err)
		}
		s.onDelivery = func(now int64) {
			delivered.Add(1)
			lastAt.Store(now)
			check()
		}
		socks[j] = s
		go s.run()
	}
	defer func() {
		for _, s := range socks {
			s.ws.Close()
		}
		for _, s := range socks {
			<-s.done
		}
	}()
	deadline := time.After(20 * time.Second)
	for _, s := range socks {
		select {
		case <-s.subscribed:
		case <-deadline:
			t.Fatal("not every socket subscribed within 20s")
		}
	}

	// Posts: each poster one every posters/rate seconds, staggered.
	every := time.Duration(benchPosters) * time.Second / benchRate
	perPoster := int(benchDuration / every)
	var (
		wg       sync.WaitGroup
		acked    atomic.Int64
		failed   atomic.Int64
		postMu   sync.Mutex
		postLats []time.Duration
	)
	start := time.Now()
	for k, p := range people {
		a := api{base: c.base(k % n), token: p.token}
		path := fmt.Sprintf("/api/v1/rooms/%d/messages", c.allTalk)
		offset := time.Duration(k) * every / benchPosters
		wg.Go(func() {
			next := start.Add(offset)
			lats := make([]time.Duration, 0, perPoster)
			for i := range perPoster {
				time.Sleep(time.Until(next)) // the generator's schedule
				next = next.Add(every)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				sent := time.Now()
				r, err := a.do(ctx, "POST", path, map[string]string{
					"body": "b " + strconv.FormatInt(sent.UnixNano(), 10), "client_message_id": fmt.Sprintf("b%d-%d", k, i)})
				cancel()
				if err != nil || r.status != http.StatusCreated {
					failed.Add(1)
					continue
				}
				lats = append(lats, time.Since(sent))
				acked.Add(1)
			}
			postMu.Lock()
			postLats = append(postLats, lats...)
			postMu.Unlock()
		})
	}
	wg.Wait()
	posting := time.Since(start)
	target.Store(acked.Load() * benchSockets)
	check()
	select {
	case <-all:
	case <-time.After(30 * time.Second):
		t.Errorf("%d of %d deliveries within 30s of the last post", delivered.Load(), target.Load())
	}

	var lats []int64
	for _, s := range socks {
		s.mu.Lock()
		lats = append(lats, s.lats...)
		s.mu.Unlock()
	}
	slices.Sort(lats)
	slices.Sort(postLats)
	q := func(p float64) time.Duration {
		if len(lats) == 0 {
			return 0
		}
		return time.Duration(lats[min(int(p*float64(len(lats))), len(lats)-1)])
	}
	pq := func(p float64) time.Duration {
		if len(postLats) == 0 {
			return 0
		}
		return postLats[min(int(p*float64(len(postLats))), len(postLats)-1)]
	}
	span := time.Duration(lastAt.Load() - start.UnixNano())
	line := fmt.Sprintf("instances=%d sockets=%d posts=%d (%.0f/s, %d failed) deliveries=%d (%.0f/s) "+
		"post→delivery p50=%v p99=%v max=%v; HTTP post p50=%v p99=%v",
		n, benchSockets, acked.Load(), float64(acked.Load())/posting.Seconds(), failed.Load(),
		delivered.Load(), float64(delivered.Load())/span.Seconds(),
		q(0.50).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), q(1).Round(10*time.Microsecond),
		pq(0.50).Round(10*time.Microsecond), pq(0.99).Round(10*time.Microsecond))
	t.Log(line)
	fmt.Println("FANOUT " + line)
}

// benchSock is a lean cable reader for the figures: it decodes only the
// send time a post's body carries and keeps the latency, so the generator
// spends little of the machine it shares with the servers.
type benchSock struct {
	ws         *websocket.Conn
	subscribed chan struct{}
	done       chan struct{}
	onDelivery func(now int64)

	mu   sync.Mutex
	lats []int64 // nanoseconds
}

func dialBench(url, token string, room int64) (*benchSock, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	ws, _, err := d.Dial(url, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		return nil, fmt.Errorf("dialling %s: %w", url, err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"type":"subscribe","room_id":%d}`, room)); err != nil {
		ws.Close()
		return nil, err
	}
	return &benchSock{ws: ws, subscribed: make(chan struct{}), done: make(chan struct{}),
		lats: make([]int64, 0, int(benchRate*benchDuration/time.Second))}, nil
}

var (
	bodyMark       = []byte(`"body":"b `)
	createdMark    = []byte(`"type":"message.created"`)
	subscribedMark = []byte(`"type":"subscribed"`)
)

func (s *benchSock) run() {
	defer close(s.done)
	var once sync.Once
	for {
		_, data, err := s.ws.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now().UnixNano()
		if bytes.Contains(data, createdMark) {
			i := bytes.Index(data, bodyMark)
			if i < 0 {
				continue
			}
			rest := data[i+len(bodyMark):]
			j := bytes.IndexByte(rest, '"')
			sent, err := strconv.ParseInt(string(rest[:max(j, 0)]), 10, 64)
			if err != nil {
				continue
			}
			s.mu.Lock()
			s.lats = append(s.lats, now-sent)
			s.mu.Unlock()
			s.onDelivery(now)
		} else if bytes.Contains(data, subscribedMark) {
			once.Do(func() { close(s.subscribed) })
		}
	}
}

// TestPostsFigures measures persisted posts per second over HTTP for one
// and three instances on PostgreSQL + Redis: 64 concurrent posters, spread
// over the instances, each post by one of 256 people (25 each: inside the
// per-person burst, so the rate limit is not what is measured).
//
//	CAMPFIRE_SCALEOUT_BENCH=1 go test -run TestPostsFigures -v -count 1 ./internal/scaleout
func TestPostsFigures(t *testing.T) {
	if os.Getenv("CAMPFIRE_SCALEOUT_BENCH") != "1" {
		t.Skip("set CAMPFIRE_SCALEOUT_BENCH=1 to measure the posting figures")
	}
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprintf("instances=%d", n), func(t *testing.T) { posts(t, n) })
	}
}

func posts(t *testing.T, n int) {
	const (
		people  = 256
		each    = 25
		workers = 64
	)
	be := sharedBackends(t)
	be.maxConns = ""
	c := startCluster(t, n, be, false)
	ps := c.join(people, "Poster")
	path := fmt.Sprintf("/api/v1/rooms/%d/messages", c.allTalk)
	jobs := make(chan int, people*each)
	for i := range people * each {
		jobs <- i
	}
	close(jobs)
	var (
		wg     sync.WaitGroup
		failed atomic.Int64
		mu     sync.Mutex
		lats   []time.Duration
	)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			var mine []time.Duration
			for i := range jobs {
				p := ps[i%people]
				a := api{base: c.base((i + w) % n), token: p.token}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				sent := time.Now()
				r, err := a.do(ctx, "POST", path, map[string]string{"body": "p", "client_message_id": "p" + strconv.Itoa(i)})
				cancel()
				if err != nil || r.status != http.StatusCreated {
					failed.Add(1)
					continue
				}
				mine = append(mine, time.Since(sent))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	took := time.Since(start)
	slices.Sort(lats)
	q := func(p float64) time.Duration {
		if len(lats) == 0 {
			return 0
		}
		return lats[min(int(p*float64(len(lats))), len(lats)-1)].Round(10 * time.Microsecond)
	}
	line := fmt.Sprintf("instances=%d posts=%d failed=%d in %v: %.0f posts/s; post p50=%v p99=%v",
		n, len(lats), failed.Load(), took.Round(time.Millisecond), float64(len(lats))/took.Seconds(), q(0.5), q(0.99))
	t.Log(line)
	fmt.Println("POSTS " + line)
}
