package main

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/client"
)

// personRate is the posting rate the tool gives one person or bot: under
// the server's limit of 30 posts per 10 s (3/s), so no post is refused and
// the limit stays the production one.
const personRate = 2.8

// load is one run: the world, its sockets, the posting engine and what
// they measured.
type load struct {
	cfg      *config
	sc       *scenario
	w        *world
	hc       *http.Client
	members  []*member
	dialer   *websocket.Dialer
	logf     func(format string, args ...any)
	progress io.Writer // nil: no live line

	latency    *recorder // post → delivery, per member
	postLat    *recorder // post → ack/201
	connectLat *recorder // dial → subscribed
	timeline   *timeline
	errs       errCounter

	expectDrops atomic.Bool // storm: disconnections are the point
	connected   atomic.Int64
	posted      atomic.Int64 // posts acknowledged
	postFailed  atomic.Int64
	late        atomic.Int64 // posts sent more than a poster's interval late
	postRetried atomic.Int64 // posts retried across a restart
	phase       atomic.Pointer[string]
}

func (l *load) setPhase(s string) { l.phase.Store(&s) }

// poster posts into one room through one path.
type poster struct {
	kind     string
	room     *room
	do       func(ctx context.Context, body string) (seq int64, err error)
	left     int
	interval time.Duration
	next     time.Time
	hidx     int
}

type posterHeap []*poster

func (h posterHeap) Len() int           { return len(h) }
func (h posterHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h posterHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].hidx = i; h[j].hidx = j }
func (h *posterHeap) Push(x any)        { p := x.(*poster); p.hidx = len(*h); *h = append(*h, p) }
func (h *posterHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	*h = old[:len(old)-1]
	return p
}

// engine posts on schedule: one goroutine keeps every poster's next post
// time in a heap and hands due posts to a fixed pool of workers, so the
// goroutines do not grow with posters or rate. It is open loop: when every
// worker is busy the schedule slips, which the achieved rate shows.
type engine struct {
	l       *load
	add     chan *poster
	jobs    chan *poster
	workers sync.WaitGroup
	done    chan struct{}
	started atomic.Int64 // unix ns of the first post
	lastAck atomic.Int64 // unix ns of the last answer
}

func (l *load) startEngine(ctx context.Context) *engine {
	e := &engine{l: l, add: make(chan *poster, 1024), jobs: make(chan *poster), done: make(chan struct{})}
	for range l.cfg.inflight {
		e.workers.Go(func() {
			for p := range e.jobs {
				e.post(ctx, p)
			}
		})
	}
	go e.schedule(ctx)
	return e
}

// addPoster schedules p; safe until close. It gives up if the scheduler
// has stopped (the run was interrupted).
func (e *engine) addPoster(p *poster) {
	if p.left > 0 {
		select {
		case e.add <- p:
		case <-e.done:
		}
	}
}

// close says no poster will be added; wait returns once every post is
// answered.
func (e *engine) close() { close(e.add) }
func (e *engine) wait()  { <-e.done; e.workers.Wait() }

func (e *engine) schedule(ctx context.Context) {
	defer close(e.done)
	defer close(e.jobs)
	var h posterHeap
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	adds := e.add
	for {
		var due <-chan time.Time
		if h.Len() > 0 {
			if d := time.Until(h[0].next); d > 0 {
				timer.Reset(d)
				due = timer.C
			} else {
				p := h[0]
				select {
				case e.jobs <- p:
				case <-ctx.Done():
					return
				}
				p.left--
				if p.left > 0 {
					// A late post does not make the next one early: a
					// poster that fell behind (every worker busy) never
					// posts faster than its pace, so it never goes past
					// the server's per-person limit. The slip shows in the
					// achieved rate and in posts_late.
					now := time.Now()
					if now.Sub(p.next) > p.interval {
						e.l.late.Add(1)
					}
					p.next = later(p.next, now).Add(p.interval)
					heap.Fix(&h, 0)
				} else {
					heap.Pop(&h)
				}
				continue
			}
		} else if adds == nil {
			return
		}
		select {
		case p, ok := <-adds:
			if !ok {
				adds = nil
				continue
			}
			heap.Push(&h, p)
		case <-due:
		case <-ctx.Done():
			return
		}
	}
}

func (e *engine) post(ctx context.Context, p *poster) {
	l := e.l
	start := time.Now()
	e.started.CompareAndSwap(0, start.UnixNano())
	body := "lt " + strconv.FormatInt(start.UnixNano(), 10) + " " + p.kind
	seq, err := p.do(ctx, body)
	// Across a restart (-restart-cmd) a post finds the server gone or
	// shutting down: retry it until the grace is spent. A refusal that is
	// the post's own (4xx) is not retried.
	for err != nil && l.cfg.restartCmd != "" && ctx.Err() == nil && retryable(err) && time.Since(start) < l.cfg.grace {
		l.postRetried.Add(1)
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
		seq, err = p.do(ctx, body)
	}
	now := time.Now()
	e.lastAck.Store(now.UnixNano())
	if err != nil {
		if ctx.Err() == nil {
			l.postFailed.Add(1)
			l.errs.add("post " + p.kind + ": " + errKind(err))
		}
		return
	}
	l.postLat.record(int(seq), now.Sub(start))
	l.posted.Add(1)
	l.timeline.add(now, 0, 1)
	p.room.acked.note(seq)
}

// retryable reports whether a failed post may succeed later: the server
// was unreachable, shutting down or failing, not refusing the post itself.
func retryable(err error) bool {
	var ce *client.Error
	if errors.As(err, &ce) {
		return ce.Status == 0 || ce.Status >= 500
	}
	return true
}

// cablePoster posts over m's own socket.
func cablePoster(m *member) *poster {
	return &poster{kind: "cable", room: m.room, do: func(ctx context.Context, body string) (int64, error) {
		ack, err := m.cable.Post(ctx, m.room.id, body, "")
		return ack.Seq, err
	}}
}

// httpPoster posts as m's person over HTTP (POST /api/v1/rooms/{id}/messages).
func httpPoster(m *member) *poster {
	return &poster{kind: "http", room: m.room, do: func(ctx context.Context, body string) (int64, error) {
		msg, err := m.person.c.PostMessage(ctx, m.room.id, body, "")
		if err != nil {
			return 0, err
		}
		return msg.Seq, nil
	}}
}

// botPoster posts through the bot API (POST /rooms/{id}/{key}/messages).
func botPoster(b *bot) *poster {
	return &poster{kind: "bot", room: b.room, do: func(ctx context.Context, body string) (int64, error) {
		msg, err := b.b.Post(ctx, b.room.id, body)
		if err != nil {
			return 0, err
		}
		return msg.Seq, nil
	}}
}

// connect opens m's Cable and subscribes it to its room, retrying a
// refused or failed dial a few times (a listen backlog overflows, a
// person's sockets from a storm are not yet gone).
func (l *load) connect(ctx context.Context, m *member) error {
	start := time.Now()
	opts := &client.CableOptions{
		Handler:    m.handle,
		Skim:       true,
		Dialer:     m.dialer(l.dialer),
		MinBackoff: l.cfg.minBackoff,
		AckTimeout: 30 * time.Second,
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(200 * time.Millisecond << attempt):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		m.cable, err = m.person.c.Dial(ctx, opts)
		if err == nil {
			break
		}
		l.errs.add("dial retried: " + errKind(err))
	}
	if err != nil {
		l.errs.add("dial: " + errKind(err))
		return err
	}
	if err := m.cable.Subscribe(ctx, m.room.id); err != nil {
		l.errs.add("subscribe: " + errKind(err))
		return err
	}
	l.connectLat.record(m.idx, time.Since(start))
	l.connected.Add(1)
	return nil
}

// connectAll connects every member: batch at a time every stagger (the
// seed's 10 per 100 ms), or as fast as connectParallel dials allow. ready
// is called for each connected member.
func (l *load) connectAll(ctx context.Context, ready func(*member)) (took time.Duration, failed int) {
	start := time.Now()
	var wg sync.WaitGroup
	var nfail atomic.Int64
	sem := make(chan struct{}, l.cfg.connectParallel)
	for i, m := range l.members {
		if l.cfg.staggerBatch > 0 && i > 0 && i%l.cfg.staggerBatch == 0 {
			select {
			case <-time.After(time.Until(start.Add(time.Duration(i/l.cfg.staggerBatch) * l.cfg.staggerEvery))):
			case <-ctx.Done():
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := l.connect(ctx, m); err != nil {
				nfail.Add(1)
				return
			}
			if ready != nil {
				ready(m)
			}
		})
	}
	wg.Wait()
	return time.Since(start), int(nfail.Load())
}

// closeAll closes every Cable, a few at a time.
func (l *load) closeAll() {
	_ = parallel(context.Background(), len(l.members), 64, func(_ context.Context, i int) error {
		if cb := l.members[i].cable; cb != nil {
			_ = cb.Close()
		}
		return nil
	})
}

// finalSeqs reads each room's last seq from the server, so that posts
// whose answer was lost are counted too: expectations come from the
// database, not from what the tool believes it posted.
func (l *load) finalSeqs(ctx context.Context) error {
	return parallel(ctx, len(l.w.rooms), 16, func(ctx context.Context, i int) error {
		r := l.w.rooms[i]
		got, err := r.people[0].c.Room(ctx, r.id)
		if err != nil {
			return fmt.Errorf("reading room %d: %w", r.id, err)
		}
		r.final = max(got.LastSeq, r.acked.load())
		return nil
	})
}

// missing is how many messages connected members still lack.
func (l *load) missing() int64 {
	var n int64
	for _, m := range l.members {
		if m.cable == nil || !m.subscribed.Load() {
			continue
		}
		n += max(0, m.room.final-m.start.Load()-m.got.Load())
	}
	return n
}

// waitDelivered waits until every connected member has every message, or
// grace passes.
func (l *load) waitDelivered(ctx context.Context, grace time.Duration) bool {
	deadline := time.Now().Add(grace)
	for {
		if l.missing() == 0 {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lastDelivery is when the last new message arrived anywhere.
func (l *load) lastDelivery() time.Time {
	var last int64
	for _, m := range l.members {
		last = max(last, m.lastAt.Load())
	}
	if last == 0 {
		return time.Time{}
	}
	return time.Unix(0, last)
}

// progressLoop prints a live line on a terminal until ctx ends.
func (l *load) progressLoop(ctx context.Context) {
	if l.progress == nil {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var prevD, prevP int64
	for {
		select {
		case <-ctx.Done():
			fmt.Fprint(l.progress, "\r\033[K")
			return
		case <-t.C:
		}
		d, p := l.latency.count(), l.posted.Load()
		phase := ""
		if s := l.phase.Load(); s != nil {
			phase = *s
		}
		fmt.Fprintf(l.progress, "\r\033[K%-10s sockets %d/%d  posts %d (%d/s)  deliveries %d (%d/s)  p99 %.1f ms  errors %d",
			phase, l.connected.Load(), len(l.members), p, p-prevP, d, d-prevD, ms(l.latency.snapshot().quantile(0.99)), l.errs.total())
		prevD, prevP = d, p
	}
}

// sourceAddr is the local address member i dials from (nil: any).
func (l *load) sourceAddr(i int) net.Addr {
	if len(l.cfg.sourceIPs) == 0 {
		return nil
	}
	return &net.TCPAddr{IP: l.cfg.sourceIPs[i%len(l.cfg.sourceIPs)]}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
