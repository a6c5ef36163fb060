package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/client"
)

// member is one socket: a person's Cable subscribed to one room. Its
// events are handled on the Cable's own reader goroutine (a Handler), so
// a socket costs the tool one goroutine and no channel.
type member struct {
	idx    int
	person *person
	room   *room
	cable  *client.Cable
	src    net.Addr // the source address its connections come from
	run    *load

	conn atomic.Pointer[net.Conn] // the current TCP connection (storm drops it)

	// Written by the reader only; read after the Cable is closed.
	chk seqCheck

	// Read while the run goes on.
	got          atomic.Int64 // distinct seqs above the start
	start        atomic.Int64 // the start seq, once subscribed
	subscribed   atomic.Bool
	lastAt       atomic.Int64 // unix ns of the last new message
	reconnects   atomic.Int64
	resubAt      atomic.Int64 // unix ns of the last confirmation after a reconnect
	caughtUpAt   atomic.Int64 // storm: unix ns when it had everything acked before the drop
	disconnected atomic.Bool
}

// dialer is a copy of the run's dialer whose connections come from the
// member's source address and are remembered, so the storm scenario can
// cut them under the Cable, which then reconnects by itself.
func (m *member) dialer(base *websocket.Dialer) *websocket.Dialer {
	d := *base
	nd := &net.Dialer{LocalAddr: m.src, Timeout: 30 * time.Second}
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := nd.DialContext(ctx, network, addr)
		if err == nil {
			m.conn.Store(&c)
		}
		return c, err
	}
	return &d
}

// drop cuts the member's TCP connection as a network failure would.
func (m *member) drop() {
	if c := m.conn.Load(); c != nil {
		_ = (*c).Close()
	}
}

// newDialer is the dialer the members' dialers copy. readBuffer is each
// socket's read buffer: when the server coalesces several frames into one
// write, a buffer that holds them all takes them in one read system call
// instead of one per frame.
func newDialer(readBuffer int) *websocket.Dialer {
	return &websocket.Dialer{
		HandshakeTimeout: 30 * time.Second,
		ReadBufferSize:   readBuffer,
		WriteBufferSize:  1024,
		WriteBufferPool:  &sync.Pool{},
		Proxy:            http.ProxyFromEnvironment,
	}
}

// handle is the Cable's Handler: it runs on the reader goroutine, in
// order, and must stay short.
func (m *member) handle(ev client.Event) {
	switch ev := ev.(type) {
	case client.MessageCreated:
		now := time.Now()
		if ev.RoomID != m.room.id {
			m.run.errs.add("message from a room not subscribed")
			return
		}
		if !m.chk.add(ev.Message.Seq) {
			return
		}
		m.got.Store(m.chk.got)
		m.lastAt.Store(now.UnixNano())
		if sent, ok := stamp(ev.Message.Body); ok {
			m.run.latency.record(m.idx, now.Sub(time.Unix(0, sent)))
		}
		m.run.timeline.add(now, 1, 0)
		m.checkCaughtUp(now)
	case client.Subscribed:
		if ev.RoomID != m.room.id {
			return
		}
		m.chk.begin(ev.Seq)
		m.start.Store(m.chk.start)
		m.subscribed.Store(true)
		if m.reconnects.Load() > 0 {
			now := time.Now()
			m.resubAt.Store(now.UnixNano())
			m.checkCaughtUp(now)
		}
	case client.Disconnected:
		m.disconnected.Store(true)
		if !m.run.expectDrops.Load() {
			m.run.errs.add("disconnected: " + errKind(ev.Err))
		}
	case client.Reconnected:
		m.reconnects.Add(1)
		m.disconnected.Store(false)
	case client.ErrorEvent:
		m.run.errs.add("cable error: " + ev.Code)
	}
}

// checkCaughtUp notes when a reconnected member has, without a gap,
// everything acknowledged in its room before the sockets were dropped.
func (m *member) checkCaughtUp(now time.Time) {
	if m.reconnects.Load() == 0 || m.caughtUpAt.Load() != 0 {
		return
	}
	if c := &m.chk; c.got == c.max-c.start && c.max >= m.room.dropSeq.load() {
		m.caughtUpAt.Store(now.UnixNano())
	}
}

// stamp reads the posting time from a body "lt <unix ns> …" without
// allocating.
func stamp(body string) (int64, bool) {
	if len(body) < 4 || body[:3] != "lt " {
		return 0, false
	}
	var n int64
	i := 3
	for ; i < len(body) && body[i] >= '0' && body[i] <= '9'; i++ {
		n = n*10 + int64(body[i]-'0')
	}
	return n, i > 3
}

// atomicMax is an int64 that only grows.
type atomicMax struct{ v atomic.Int64 }

func (a *atomicMax) note(x int64) {
	for {
		cur := a.v.Load()
		if x <= cur || a.v.CompareAndSwap(cur, x) {
			return
		}
	}
}

func (a *atomicMax) load() int64 { return a.v.Load() }

// errKind reduces an error to a short, bounded label for the errors table.
func errKind(err error) string {
	if err == nil {
		return "none"
	}
	if code := client.ErrorCode(err); code != "" {
		return code
	}
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		return "close " + itoa(int64(ce.Code))
	case errors.Is(err, client.ErrNoAck):
		return "no ack"
	case errors.Is(err, client.ErrSlowConsumer):
		return "slow consumer"
	case errors.Is(err, client.ErrUnauthorized):
		return "unauthorized"
	case errors.Is(err, client.ErrDisconnected):
		return "disconnected"
	case errors.Is(err, client.ErrClosed):
		return "closed"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &ne) && ne.Timeout():
		return "network timeout"
	case errors.As(err, &ne):
		return "network"
	}
	return "other"
}

// errCounter counts errors by kind. Kinds are short labels from a small
// set; past maxKinds they are lumped as "other", so it cannot grow.
type errCounter struct {
	mu sync.Mutex
	m  map[string]int64
}

const maxKinds = 64

func (e *errCounter) add(kind string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[string]int64{}
	}
	if _, ok := e.m[kind]; !ok && len(e.m) >= maxKinds {
		kind = "other"
	}
	e.m[kind]++
}

func (e *errCounter) snapshot() map[string]int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int64, len(e.m))
	for k, v := range e.m {
		out[k] = v
	}
	return out
}

func (e *errCounter) total() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var n int64
	for _, v := range e.m {
		n += v
	}
	return n
}

// timeline counts deliveries and posts per second of the run.
type timeline struct {
	start      time.Time
	deliveries []atomic.Int64
	posts      []atomic.Int64
}

// newTimeline starts a timeline at start, seconds long.
func newTimeline(start time.Time, seconds int) *timeline {
	seconds = min(max(seconds, 10), 86400)
	return &timeline{start: start, deliveries: make([]atomic.Int64, seconds), posts: make([]atomic.Int64, seconds)}
}

func (t *timeline) add(now time.Time, deliveries, posts int64) {
	i := int(now.Sub(t.start) / time.Second)
	if i < 0 || i >= len(t.deliveries) {
		return
	}
	if deliveries != 0 {
		t.deliveries[i].Add(deliveries)
	}
	if posts != 0 {
		t.posts[i].Add(posts)
	}
}

// points returns the counts up to second n.
func (t *timeline) points(n int) (deliveries, posts []int64) {
	n = min(n, len(t.deliveries))
	for i := range n {
		deliveries = append(deliveries, t.deliveries[i].Load())
		posts = append(posts, t.posts[i].Load())
	}
	return deliveries, posts
}
