package realtime

import (
	"context"
	"errors"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// transport is how a socket's writer reaches its client: a WebSocket in
// production, a counting sink in the hub benchmarks.
type transport interface {
	// writeFrames sends each frame as one text message, in as few writes
	// as possible (one, unless the batch is large).
	writeFrames(frames [][]byte) error
	ping() error
	// closeFrame sends a close frame, bounded by the close grace.
	closeFrame(code int, reason string) error
	// hurry bounds the write in progress, and later ones, to d from now.
	hurry(d time.Duration)
	// abandon ends the batch being written at the next frame boundary
	// (the write in progress completes), so a close frame can follow.
	abandon()
	close() error
}

// conn is one socket. Its reader goroutine owns the protocol state; its
// writer goroutine owns the transport's writes; anyone may push.
type conn struct {
	hub  *Hub
	id   string // unique per socket (presence records)
	user chat.User
	// session is the token hash of the session that opened the socket
	// (closed when that session is revoked); "" for test sockets.
	session string
	t       transport
	ws      *websocket.Conn // nil for benchmark sockets, which have no reader

	// The send queue: a slice of shared frames, bounded by QueueSize. It is
	// nil while idle, so an idle socket holds no queue memory.
	qmu     sync.Mutex
	q       [][]byte
	spare   [][]byte
	closing bool

	wake       chan struct{} // a frame was queued or a ping is due (capacity 1)
	woken      atomic.Bool   // a wake-up was sent that the writer has not acted on
	pingDue    atomic.Bool
	drained    chan struct{} // the writer flushed (capacity 1), for replays
	done       chan struct{} // closed by stop
	readerDone chan struct{}
	stopOnce   sync.Once
	code       int // close code to send; 0: none. Written before done closes.
	reason     string

	mu      sync.Mutex // guards subs, visible, closed
	subs    map[int64]*subscription
	visible bool
	closed  bool

	// Reader-only state.
	lastRefresh                   time.Time
	frameRate, postRate, typeRate bucket
	strikes                       bucket
}

func (h *Hub) newConn(u chat.User, t transport, ws *websocket.Conn) *conn {
	cfg := h.cfg
	c := &conn{
		hub:        h,
		id:         h.connID(),
		user:       u,
		t:          t,
		ws:         ws,
		wake:       make(chan struct{}, 1),
		drained:    make(chan struct{}, 1),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
		subs:       make(map[int64]*subscription),
		visible:    true,
		frameRate:  bucket{rate: cfg.FrameRate, burst: float64(cfg.FrameBurst)},
		postRate:   bucket{rate: cfg.PostRate, burst: float64(cfg.PostBurst)},
		typeRate:   bucket{rate: cfg.TypingRate, burst: float64(cfg.TypingBurst)},
		strikes:    bucket{rate: 1, burst: float64(cfg.Strikes)},
	}
	return c
}

// push queues a frame without blocking. A full queue closes the socket
// with 4008: the client resumes by seq, and nobody else waits for it.
func (c *conn) push(frame []byte) {
	c.qmu.Lock()
	if c.closing {
		c.qmu.Unlock()
		return
	}
	if len(c.q) >= c.hub.cfg.QueueSize {
		c.qmu.Unlock()
		c.slow()
		return
	}
	c.q = append(c.q, frame)
	c.qmu.Unlock()
	c.signal()
}

// signal wakes the writer. Only the first signal after the writer last
// took its queue sends: the frames pushed after it are in the queue the
// writer has yet to take, so they need no wake-up of their own.
func (c *conn) signal() {
	if !c.woken.CompareAndSwap(false, true) {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// pushWait queues a replayed frame, waiting while the queue is over half
// full so that a long replay paces itself to the client instead of
// overflowing the queue. Only the reader calls it (it blocks that socket
// alone). It reports false when the socket is closing.
func (c *conn) pushWait(frame []byte) bool {
	for {
		c.qmu.Lock()
		if c.closing {
			c.qmu.Unlock()
			return false
		}
		if len(c.q) < c.hub.cfg.QueueSize/2 {
			c.q = append(c.q, frame)
			c.qmu.Unlock()
			c.signal()
			return true
		}
		c.qmu.Unlock()
		select {
		case <-c.drained:
		case <-c.done:
			return false
		}
	}
}

func (c *conn) slow() {
	c.stopWith(CloseTooSlow, "too slow: reconnect and resume from your last seq", func() {
		c.hub.stats.slow.Add(1)
		if c.hub.onSlow != nil {
			c.hub.onSlow(c.user.ID)
		}
	})
}

// stop begins closing: nothing more is queued; the writer flushes what is
// (within CloseGrace; a slow socket's backlog is dropped instead), sends the
// close frame (code 0: none) and closes the socket.
func (c *conn) stop(code int, reason string) { c.stopWith(code, reason, nil) }

func (c *conn) stopWith(code int, reason string, first func()) {
	c.stopOnce.Do(func() {
		c.qmu.Lock()
		c.closing = true
		if code == CloseTooSlow {
			// The client cannot keep up: drop its backlog, it resumes by seq.
			c.q, c.spare = nil, nil
		}
		c.qmu.Unlock()
		c.code, c.reason = code, reason
		close(c.done)
		if code == CloseTooSlow {
			// Cutting the blocked write short would end the stream inside
			// a frame and leave no way to send 4008: the client would see
			// a dropped connection (1006) and could not tell slowness from
			// a network failure. The write in progress may finish (within
			// WriteTimeout), the rest of the batch is dropped, then 4008.
			c.t.abandon()
		} else {
			c.t.hurry(c.hub.cfg.CloseGrace)
		}
		if first != nil {
			first()
		}
	})
}

// kill drops the socket at once (Shutdown past its deadline).
func (c *conn) kill() {
	c.stop(0, "")
	c.t.close()
}

// writeLoop is the socket's only writer. Pings are asked for by the hub's
// sweep (pingDue), so an idle socket holds no timer of its own.
func (c *conn) writeLoop() {
	defer c.hub.conns.Done()
	every := c.hub.cfg.FlushInterval
	var last time.Time  // the last flush, with FlushInterval
	var nap *time.Timer // made when first needed: idle sockets hold none
	for {
		select {
		case <-c.done:
			c.finish()
			return
		default:
		}
		select {
		case <-c.done:
			c.finish()
			return
		case <-c.wake:
			if every > 0 {
				// Written to within the interval: let the frames that
				// follow join this write, unless a backlog is already
				// there to write (a replay, a slow client).
				if d := every - time.Since(last); d > 0 && !c.backlogged() {
					if nap == nil {
						nap = time.NewTimer(d)
					} else {
						nap.Reset(d)
					}
					select {
					case <-nap.C:
					case <-c.done:
						nap.Stop()
					}
				}
				last = time.Now()
			}
			err := c.flush()
			if err == nil && c.pingDue.Swap(false) {
				err = c.t.ping()
			}
			if err != nil {
				c.stop(0, "")
			}
		}
	}
}

// backlogged reports whether a quarter of the queue is in use.
func (c *conn) backlogged() bool {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return len(c.q) >= c.hub.cfg.QueueSize/4
}

// flush writes everything queued in one go.
func (c *conn) flush() error {
	// From here on, a push must wake the writer again: what it queues may
	// miss the queue taken below. (Cleared before the take, so a frame is
	// never left without a wake-up; at worst one comes with nothing new.)
	c.woken.Store(false)
	c.qmu.Lock()
	frames := c.q
	c.q, c.spare = c.spare, nil
	c.qmu.Unlock()
	if len(frames) == 0 {
		return nil
	}
	err := c.t.writeFrames(frames)
	c.hub.stats.frames.Add(uint64(len(frames)))
	c.hub.stats.flushes.Add(1)
	clear(frames) // drop the references to shared frames
	c.qmu.Lock()
	if !c.closing && cap(frames) <= 64 {
		c.spare = frames[:0]
	}
	c.qmu.Unlock()
	select {
	case c.drained <- struct{}{}:
	default:
	}
	return err
}

// finish sends the close frame, gives the client CloseGrace to answer it
// (closing a socket with unread input resets it, which can destroy the
// close frame before the client reads it), and closes.
func (c *conn) finish() {
	if err := c.flush(); err != nil && !errors.Is(err, errAbandoned) {
		c.code = 0 // the socket is broken: no close frame either
	}
	if c.code != 0 {
		c.t.closeFrame(c.code, c.reason)
		t := time.NewTimer(c.hub.cfg.CloseGrace)
		select {
		case <-c.readerDone:
		case <-t.C:
		}
		t.Stop()
	}
	c.t.close()
}

// readLoop reads client frames until the socket fails or closes, then
// takes the socket out of the hub.
func (c *conn) readLoop() {
	defer c.hub.conns.Done()
	defer c.cleanup()
	defer close(c.readerDone)
	defer c.stop(0, "")
	cfg := &c.hub.cfg
	c.ws.SetReadLimit(4 * cfg.ReadLimit)
	c.ws.SetPongHandler(func(string) error { c.beat(); return nil })
	c.beat()
	for {
		typ, r, err := c.ws.NextReader()
		if err != nil {
			return
		}
		c.beat()
		select {
		case <-c.done:
			continue // closing: read on to see the client's close frame
		default:
		}
		data, err := io.ReadAll(io.LimitReader(r, cfg.ReadLimit+1))
		if err != nil {
			return
		}
		if int64(len(data)) > cfg.ReadLimit {
			// Drain the rest of the message through its own reader, so
			// gorilla counts the whole message against the 4× limit and
			// closes with 1009 past it, however it is fragmented (left to
			// NextReader, the rest would be counted from zero).
			if _, err := io.Copy(io.Discard, r); err != nil {
				return
			}
			c.reject(codeFrameTooLarge, "frame is larger than the read limit", 0, "")
			continue
		}
		if typ != websocket.TextMessage {
			c.reject(codeBadFrame, "frames are text, one JSON object each", 0, "")
			continue
		}
		// Handle the frame on a short-lived goroutine: subscribing and
		// posting go deep (JSON, the core, the database), and the reader's
		// own stack, which an idle socket keeps for its life, stays small.
		handled := make(chan struct{})
		go func() {
			defer close(handled)
			c.handle(data)
		}()
		<-handled
	}
}

// beat records a heartbeat: it extends the read deadline and, at most every
// third of the heartbeat TTL, refreshes the socket's presence.
func (c *conn) beat() {
	cfg := &c.hub.cfg
	now := time.Now()
	c.ws.NetConn().SetReadDeadline(now.Add(cfg.PingInterval + cfg.PongWait))
	if now.Sub(c.lastRefresh) < cfg.HeartbeatTTL/3 {
		return
	}
	c.lastRefresh = now
	if c.hub.presence == nil {
		return
	}
	c.mu.Lock()
	var rooms []int64
	if c.visible {
		for id := range c.subs {
			rooms = append(rooms, id)
		}
	}
	c.mu.Unlock()
	if len(rooms) == 0 {
		return
	}
	// Presence goes deep (a Redis round trip in production), and beat runs
	// on the reader, often inside gorilla's pong handler: do it on a
	// short-lived goroutine, as handle does, so the stack an idle reader
	// keeps for its life does not grow to fit it.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, id := range rooms {
			c.hub.join(id, c)
		}
	}()
	<-done
}

// reject answers a bad frame with an error frame and costs a strike.
func (c *conn) reject(code, message string, roomID int64, clientID string) {
	c.push(wire.ErrorFrame(code, message, roomID, clientID))
	if !c.strikes.allow(time.Now()) {
		c.stop(ClosePolicy, "too many rejected frames")
	}
}

func (c *conn) handle(data []byte) {
	now := time.Now()
	if !c.frameRate.allow(now) {
		c.reject(codeRateLimited, messageRateLimited, 0, "")
		return
	}
	f, err := decodeFrame(data)
	if err != nil {
		var fe *frameError
		errors.As(err, &fe)
		c.reject(fe.code, fe.message, fe.roomID, fe.clientID)
		return
	}
	switch f.Type {
	case typePing:
		c.push(wire.PongFrame)
	case typeSubscribe:
		c.subscribe(f.RoomID, f.Since)
	case typeUnsubscribe:
		c.unsubscribe(f.RoomID)
	case typePost:
		if !c.postRate.allow(now) {
			c.reject(codeRateLimited, messageRateLimited, f.RoomID, f.ClientMessageID)
			return
		}
		c.post(f)
	case typeTyping:
		// Over its rate a typing start is dropped, not refused: a fast
		// typist's page must not collect strikes toward a close, and an
		// indicator already showing says the same. A stop is always
		// applied, so an indicator never outlives the typing.
		if !c.typeRate.allow(now) && *f.Active {
			return
		}
		c.typing(f.RoomID, *f.Active)
	case typeVisibility:
		c.setVisible(*f.Visible)
	}
}

// subscribe registers first, then replays from the database, so nothing
// committed in between falls in a gap; live events that arrive meanwhile
// wait in the subscription and are released after the replay, skipping
// seqs it sent.
func (c *conn) subscribe(roomID int64, since *int64) {
	h := c.hub
	if !c.admitSubscribe() {
		return
	}
	defer func() { <-h.subscribing }()
	ctx, cancel := h.backendCtx()
	view, err := h.backend.RoomForUser(ctx, c.user, roomID)
	cancel()
	if err != nil {
		c.failSubscribe(err, roomID)
		return
	}
	last := view.LastSeq
	from := last // live only: what the subscribed frame announces
	if since != nil {
		from = min(*since, last)
	}

	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if old := c.subs[roomID]; old != nil {
		// A repeated subscribe starts over from the new since.
		delete(c.subs, roomID)
		h.removeSub(old)
	} else if len(c.subs) >= h.cfg.MaxSubscriptions {
		c.mu.Unlock()
		c.reject(codeTooManySubs, "a socket may subscribe to at most "+strconv.Itoa(h.cfg.MaxSubscriptions)+" rooms", roomID, "")
		return
	}
	s := &subscription{c: c, lastSeq: from, replaying: true}
	delivered := h.addSub(s, roomID, last, wire.SubscribedFrame(roomID, last))
	c.subs[roomID] = s
	visible := c.visible
	c.mu.Unlock()

	// Replay what the socket lacks: seqs after since, and seqs the hub
	// delivered to the room before this subscription was registered.
	if from < max(last, delivered) {
		err := h.readMessages(roomID, from, 0, func(seq int64, frame []byte) bool {
			s.mu.Lock()
			if s.gone {
				s.mu.Unlock()
				return false
			}
			s.lastSeq = max(s.lastSeq, seq)
			s.mu.Unlock()
			return c.pushWait(frame)
		})
		if err != nil {
			c.unsubscribe(roomID)
			c.failSubscribe(err, roomID)
			return
		}
	}
	s.endReplay()

	if h.presence != nil {
		if visible {
			h.join(roomID, c)
		}
		ctx, cancel := h.backendCtx()
		online, err := h.presence.Online(ctx, roomID)
		cancel()
		if err == nil {
			c.push(wire.PresenceFrame(roomID, online))
		}
	}
}

// admitSubscribe waits for a turn at the subscribes' database work. A
// socket that waits longer than SubscribeWait is closed with CloseTryAgain
// (the client retries after a backoff) rather than left without its
// subscription.
func (c *conn) admitSubscribe() bool {
	h := c.hub
	select {
	case h.subscribing <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(h.cfg.SubscribeWait)
	defer t.Stop()
	select {
	case h.subscribing <- struct{}{}:
		return true
	case <-t.C:
		h.stats.busyClosed.Add(1)
		c.stop(CloseTryAgain, "server busy: reconnect and subscribe again")
	case <-c.done:
	case <-h.ctx.Done():
	}
	return false
}

// failSubscribe answers a subscribe that could not be served. A refusal
// the client caused (not a member, a bad request) is an error frame; a
// server-side failure (the database busy or down) closes the socket with
// CloseTryAgain, so the client reconnects and resumes instead of staying
// open, unsubscribed and silent.
func (c *conn) failSubscribe(err error, roomID int64) {
	h := c.hub
	if e, ok := chat.AsError(err); ok && e.Kind != chat.KindInternal && e.Kind != chat.KindUnavailable {
		c.push(h.errorFrame(err, roomID, ""))
		return
	}
	h.log.Warn("subscribe failed; closing the socket so the client retries", "room_id", roomID, "user_id", c.user.ID, "err", err)
	h.stats.busyClosed.Add(1)
	c.stop(CloseTryAgain, "server busy: reconnect and subscribe again")
}

// endReplay releases the live events that arrived during the replay.
func (s *subscription) endReplay() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.buffer {
		if p.seq > 0 {
			if p.seq <= s.lastSeq {
				continue
			}
			s.lastSeq = p.seq
		}
		s.c.push(p.frame)
	}
	s.buffer = nil
	s.replaying = false
}

func (c *conn) unsubscribe(roomID int64) {
	if had, visible := c.dropSub(roomID); had && visible {
		c.hub.leave(c.hub.ctx, roomID, c)
	}
}

// leave drops the subscription to roomID on the hub's word (membership
// lost). It runs in the broker's callback, so presence is updated in the
// background.
func (c *conn) leave(roomID int64) {
	if had, visible := c.dropSub(roomID); had && visible && c.hub.presence != nil {
		c.hub.async(func(ctx context.Context) { c.hub.leave(ctx, roomID, c) })
	}
}

// dropSub removes the subscription to roomID and its typing state, and
// reports whether there was one and whether the socket counted for
// presence (visible).
func (c *conn) dropSub(roomID int64) (had, visible bool) {
	c.mu.Lock()
	s := c.subs[roomID]
	if s == nil {
		c.mu.Unlock()
		return false, false
	}
	delete(c.subs, roomID)
	c.hub.removeSub(s)
	visible = c.visible
	c.mu.Unlock()
	c.hub.stopTyping(roomID, c)
	return true, visible
}

func (c *conn) post(f clientFrame) {
	h := c.hub
	ctx, cancel := h.backendCtx()
	m, _, err := h.backend.PostMessage(ctx, c.user, f.RoomID, f.Body, f.ClientMessageID)
	cancel()
	if err != nil {
		c.push(h.errorFrame(err, f.RoomID, f.ClientMessageID))
		return
	}
	c.push(wire.AckFrame(f.ClientMessageID, m.ID, m.RoomID, m.Seq))
}

func (c *conn) typing(roomID int64, active bool) {
	c.mu.Lock()
	_, ok := c.subs[roomID]
	c.mu.Unlock()
	if !ok {
		c.reject(codeNotSubscribed, messageNotSubscribed, roomID, "")
		return
	}
	c.hub.setTyping(roomID, c, active)
}

// setVisible applies the visibility extension: a hidden tab's socket does
// not count as connected.
func (c *conn) setVisible(v bool) {
	c.mu.Lock()
	if c.visible == v {
		c.mu.Unlock()
		return
	}
	c.visible = v
	rooms := make([]int64, 0, len(c.subs))
	for id := range c.subs {
		rooms = append(rooms, id)
	}
	c.mu.Unlock()
	slices.Sort(rooms)
	for _, id := range rooms {
		if v {
			c.hub.join(id, c)
		} else {
			c.hub.leave(c.hub.ctx, id, c)
		}
	}
}

// cleanup takes a closed socket out of every index.
func (c *conn) cleanup() {
	c.mu.Lock()
	c.closed = true
	subs := c.subs
	c.subs = nil
	visible := c.visible
	c.mu.Unlock()
	for id, s := range subs {
		c.hub.removeSub(s)
		c.hub.stopTyping(id, c)
		if visible {
			c.hub.leave(c.hub.ctx, id, c)
		}
	}
	c.hub.removeConn(c)
}

// join and leave record presence and mark the room for a presence event
// when its online set changed.
func (h *Hub) join(roomID int64, c *conn) {
	if h.presence == nil {
		return
	}
	ctx, cancel := h.backendCtx()
	changed, err := h.presence.Join(ctx, roomID, c.user.ID, c.id)
	cancel()
	if err != nil {
		h.log.Warn("presence join", "room_id", roomID, "err", err)
	}
	if changed {
		h.markPresence(roomID)
	}
}

func (h *Hub) leave(ctx context.Context, roomID int64, c *conn) {
	if h.presence == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.BackendTimeout)
	changed, err := h.presence.Leave(ctx, roomID, c.user.ID, c.id)
	cancel()
	if err != nil {
		h.log.Warn("presence leave", "room_id", roomID, "err", err)
	}
	if changed {
		h.markPresence(roomID)
	}
}

// bucket is a token bucket, used by one goroutine.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *bucket) allow(now time.Time) bool {
	if b.last.IsZero() {
		b.tokens = b.burst
	} else {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
