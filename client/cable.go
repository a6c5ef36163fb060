package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Errors of the cable.
var (
	// ErrClosed: the Cable was closed.
	ErrClosed = errors.New("campfire: cable closed")
	// ErrUnauthorized: the server refused the session (HTTP 401 at the
	// handshake, or close code 4001: signed out, deactivated, banned). The
	// Cable stops; reconnecting with the same token cannot work.
	ErrUnauthorized = errors.New("campfire: cable: session refused")
	// ErrDisconnected: the socket dropped while a call waited for its
	// answer. A Post may or may not have been stored: retry it with the
	// same client_message_id, which is safe.
	ErrDisconnected = errors.New("campfire: cable disconnected")
	// ErrNoAck: a Post got no answer within the ack timeout. Retry it with
	// the same client_message_id.
	ErrNoAck = errors.New("campfire: post not acknowledged")
	// ErrSlowConsumer: the Events channel was full, so the Cable dropped
	// the connection rather than an event (it reconnects and resumes).
	ErrSlowConsumer = errors.New("campfire: cable: events not consumed fast enough")
)

// Close codes the server uses (see docs/api.md).
const (
	CloseGoingAway    = websocket.CloseGoingAway // 1001: shutting down; reconnect soon
	CloseUnauthorized = 4001                     // access revoked: stop
	CloseTooSlow      = 4008                     // fell behind: reconnect at once and resume
)

// CableOptions tune a Cable. The zero value is a good default.
type CableOptions struct {
	// Handler, when set, receives every event on the cable's own reader
	// goroutine, in order, and Events returns nil. It must not block for
	// long: while it runs nothing is read from the socket, and a server
	// that cannot send closes the socket as too slow (the Cable then
	// reconnects and resumes, so nothing is lost). It must not call
	// Close, nor wait for an answer of the server (Subscribe, Post, Ping:
	// the answer would be read by the goroutine that is waiting); start a
	// goroutine for those.
	Handler func(Event)
	// EventBuffer is the capacity of the Events channel (default 256).
	EventBuffer int
	// Dialer dials the WebSocket; it may be shared by many cables. nil
	// uses a dialer with 1 KiB read buffers and pooled write buffers (a
	// larger ReadBufferSize reads a busy socket in fewer system calls, at
	// that many bytes per idle socket).
	Dialer *websocket.Dialer
	// LocalAddr, when set, is the local address to dial from, e.g.
	// &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}: a load generator spreads
	// its sockets over several source addresses to get past one
	// address's ephemeral ports.
	LocalAddr net.Addr
	// AckTimeout bounds how long Post and Ping wait for their answer, and
	// Subscribe and Post for a connection (default 10 s).
	AckTimeout time.Duration
	// MinBackoff and MaxBackoff bound the delay between reconnection
	// attempts (default 250 ms and 30 s); it doubles per failed attempt,
	// with jitter.
	MinBackoff, MaxBackoff time.Duration
	// Skim, when set, decodes only what a load generator needs of each
	// MessageCreated: the room and the message's ID, RoomID, Seq, Body,
	// CreatedAt and Creator.ID; every other field stays zero. It costs a
	// fraction of the full decode (see BenchmarkCableReceive). Other
	// events are decoded in full.
	Skim bool
	// ReadTimeout is how long a socket may stay silent before the Cable
	// deems it dead and reconnects (default 60 s; the server pings every
	// 25 s).
	ReadTimeout time.Duration
}

const (
	defaultEventBuffer = 256
	defaultAckTimeout  = 10 * time.Second
	defaultMinBackoff  = 250 * time.Millisecond
	defaultMaxBackoff  = 30 * time.Second
	defaultReadTimeout = 60 * time.Second
	handshakeTimeout   = 10 * time.Second
	writeTimeout       = 10 * time.Second
	// maxFrameBytes bounds one server frame: a maximal message (64 KiB of
	// Markdown) with its HTML and JSON escaping fits many times over.
	maxFrameBytes = 4 << 20
	// healthyAfter: a connection that lived this long (or delivered a
	// message) resets the backoff.
	healthyAfter = 5 * time.Second
	// subscribeRetry is the base delay before asking again for a
	// subscription the server dropped or refused for now.
	subscribeRetry = 500 * time.Millisecond
)

// defaultDialer keeps sockets small: a 1 KiB read buffer per socket, and
// write buffers lent from a pool only while a frame is written, so an idle
// socket holds none.
var defaultDialer = &websocket.Dialer{
	Proxy:            http.ProxyFromEnvironment,
	HandshakeTimeout: handshakeTimeout,
	ReadBufferSize:   1024,
	WriteBufferSize:  1024,
	WriteBufferPool:  &sync.Pool{},
}

// readBuffers hold one frame while it is decoded; decoding copies what it
// keeps, so buffers go back at once.
var readBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Cable is a live connection to the server's real-time cable
// (GET /api/v1/cable) that survives disconnections. It is safe for
// concurrent use.
//
// # Delivery
//
// Events arrive in the order the server sent them, on the Events channel
// or through CableOptions.Handler. Per subscribed room, MessageCreated
// events come in strictly increasing seq order without duplicates, and
// without gaps other than seqs the server never delivers (deleted
// messages): the Cable remembers the last seq it delivered per room
// (LastSeq), drops anything at or below it, and after a reconnect asks the
// server to replay everything after it.
//
// # Reconnecting
//
// When the socket drops, the Cable sends Disconnected, reconnects with
// jittered exponential backoff (at once after close code 4008 "too slow",
// within MinBackoff after 1001 "going away"), subscribes again to every
// room from its last seq, sends Reconnected, and delivers the replay. It
// stops only on Close or when the server refuses the session (HTTP 401 or
// close code 4001): then Err returns ErrUnauthorized, Done is closed and so
// is the Events channel. A subscription the server drops or refuses for
// now (errors "internal", "unavailable") is asked for again after a short
// jittered delay; one it refuses for good ("not_found", "forbidden",
// "too_many_subscriptions") is dropped.
//
// # Slow consumers
//
// The reader never waits for a consumer of the Events channel: when the
// channel is full it drops the connection (ErrSlowConsumer) instead of an
// event, then waits until the consumer has taken the Disconnected event
// before reconnecting, and resumes every room from the last seq actually
// delivered. Events other than MessageCreated (edits, boosts, typing,
// presence) that were not delivered are not replayed: refetch edits with
// UpdatedSince after a Reconnected. Disconnected and Reconnected are sent
// waiting for room (until Close), at a moment the Cable holds no unread
// socket data the server is waiting on.
//
// # Cost
//
// One goroutine per Cable (the reader, which also reconnects), a 1 KiB
// read buffer, no timers while connected beyond the socket's read
// deadline. Thousands of Cables in one process are fine.
type Cable struct {
	c       *Client
	opts    CableOptions
	dialer  *websocket.Dialer
	url     string
	events  chan Event // nil with a Handler
	handler func(Event)

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	done   chan struct{} // closed when the reader has stopped
	timers sync.WaitGroup

	wmu sync.Mutex // one writer at a time on the socket

	mu      sync.Mutex
	closed  bool
	err     error           // why the Cable stopped
	ws      *websocket.Conn // nil while disconnected
	ready   chan struct{}   // closed while connected
	rooms   map[int64]*roomState
	posts   map[string]chan postResult
	pings   []pingWaiter
	visible bool
	// delivered is set when the current connection delivered a message
	// (its backoff then resets).
	delivered bool
	// lastExtend is when the read deadline was last pushed back (reader
	// only).
	lastExtend time.Time
}

// roomState is one subscription.
type roomState struct {
	lastSeq   int64 // highest message seq delivered to the user
	known     bool  // lastSeq means something (else: live only)
	fresh     bool  // since came from the user: clamp it to the room's last seq
	confirmed bool  // the server answered subscribed on this connection
	waiters   []chan error
	retry     *time.Timer // pending renewal, nil if none
}

type postResult struct {
	ack Ack
	err error
}

type pingWaiter struct {
	ch   chan time.Duration
	sent time.Time
}

// Ack is the server's answer to a Post: the message is stored and will
// reach every subscriber (this Cable included) as MessageCreated.
type Ack struct {
	ClientMessageID string
	MessageID       int64
	RoomID          int64
	Seq             int64
}

// Dial connects to the cable as the client's user. ctx bounds the first
// connection only; the Cable lives until Close. The first connection's
// failure is returned (an *Error for a refused handshake, such as 401 or
// 429 too_many_connections); later ones are retried.
func (c *Client) Dial(ctx context.Context, opts *CableOptions) (*Cable, error) {
	var o CableOptions
	if opts != nil {
		o = *opts
	}
	if o.EventBuffer <= 0 {
		o.EventBuffer = defaultEventBuffer
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = defaultAckTimeout
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = defaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(defaultMaxBackoff, o.MinBackoff)
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = defaultReadTimeout
	}
	d := o.Dialer
	if d == nil {
		d = defaultDialer
	}
	if o.LocalAddr != nil {
		dc := *d
		nd := &net.Dialer{LocalAddr: o.LocalAddr, Timeout: handshakeTimeout}
		dc.NetDialContext = nd.DialContext
		d = &dc
	}
	u := *c.base
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	u.Path += "/api/v1/cable"
	cb := &Cable{
		c: c, opts: o, dialer: d, url: u.String(),
		handler: o.Handler,
		done:    make(chan struct{}),
		ready:   make(chan struct{}),
		rooms:   map[int64]*roomState{},
		posts:   map[string]chan postResult{},
		visible: true,
	}
	if cb.handler == nil {
		cb.events = make(chan Event, o.EventBuffer)
	}
	cb.ctx, cb.cancel = context.WithCancel(context.Background())

	ws, err := cb.dial(ctx)
	if err != nil {
		cb.cancel()
		return nil, err
	}
	cb.connected(ws)
	go cb.run(ws)
	return cb, nil
}

// Events is the channel of events, closed when the Cable stops; nil when
// CableOptions.Handler is set.
func (cb *Cable) Events() <-chan Event { return cb.events }

// Done is closed when the Cable has stopped (Close, or a refused session).
func (cb *Cable) Done() <-chan struct{} { return cb.done }

// Err says why the Cable stopped: ErrClosed, ErrUnauthorized, or nil while
// it runs.
func (cb *Cable) Err() error {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return cb.err
}

// Close stops the Cable: it closes the socket (code 1000), stops the
// reader and every timer, fails the calls in flight with ErrClosed, and
// closes the Events channel. It waits for all of it; it must not be called
// from a Handler.
func (cb *Cable) Close() error {
	cb.stop(ErrClosed)
	<-cb.done
	cb.timers.Wait()
	return nil
}

// stop marks the Cable stopped for reason and closes its socket; the
// reader notices and exits.
func (cb *Cable) stop(reason error) {
	cb.mu.Lock()
	if cb.closed {
		cb.mu.Unlock()
		return
	}
	cb.closed = true
	cb.err = reason
	ws := cb.ws
	for id, rs := range cb.rooms {
		cb.stopRetry(rs)
		failWaiters(rs, reason)
		delete(cb.rooms, id)
	}
	cb.mu.Unlock()
	cb.cancel()
	if ws != nil {
		_ = ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = ws.Close()
	}
}

// dial opens one socket.
func (cb *Cable) dial(ctx context.Context) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	// The header is built per dial, not kept: thousands of idle cables
	// would each hold one.
	h := http.Header{"User-Agent": {cb.c.ua}}
	if cb.c.token != "" {
		h["Authorization"] = []string{"Bearer " + cb.c.token}
	}
	ws, res, err := cb.dialer.DialContext(ctx, cb.url, h)
	if err != nil {
		if res != nil && res.StatusCode >= 400 {
			e := decodeError(res)
			if e.Status == http.StatusUnauthorized {
				return nil, fmt.Errorf("%w: %w", ErrUnauthorized, e)
			}
			return nil, e
		}
		return nil, fmt.Errorf("campfire: dialing the cable: %w", err)
	}
	ws.SetReadLimit(maxFrameBytes)
	return ws, nil
}

// connected makes ws the current socket and asks again for every
// subscription. It runs on the reader goroutine (or in Dial, before it
// starts).
func (cb *Cable) connected(ws *websocket.Conn) {
	cb.mu.Lock()
	if cb.closed {
		cb.mu.Unlock()
		_ = ws.Close()
		return
	}
	cb.ws = ws
	cb.delivered = false
	close(cb.ready)
	var frames [][]byte
	if !cb.visible {
		frames = append(frames, visibilityFrame(false))
	}
	for id, rs := range cb.rooms {
		cb.stopRetry(rs)
		rs.confirmed = false
		frames = append(frames, subscribeFrame(id, rs))
	}
	cb.mu.Unlock()
	cb.lastExtend = time.Now()
	_ = ws.SetReadDeadline(cb.lastExtend.Add(cb.opts.ReadTimeout))
	ws.SetPingHandler(func(data string) error {
		cb.extend(ws)
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeTimeout))
		if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil
			}
		}
		return err
	})
	for _, f := range frames {
		if cb.write(ws, f) != nil {
			return // the reader sees the broken socket
		}
	}
}

// extend pushes the read deadline back, at most every eighth of the
// timeout (a deadline change per frame would cost more than it buys).
func (cb *Cable) extend(ws *websocket.Conn) {
	now := time.Now()
	if now.Sub(cb.lastExtend) < cb.opts.ReadTimeout/8 {
		return
	}
	cb.lastExtend = now
	_ = ws.SetReadDeadline(now.Add(cb.opts.ReadTimeout))
}

// run is the reader: it serves one socket after another until the Cable
// stops.
func (cb *Cable) run(ws *websocket.Conn) {
	defer func() {
		if cb.events != nil {
			close(cb.events)
		}
		close(cb.done)
	}()
	attempt := 0
	for {
		start := time.Now()
		err := cb.serve(ws)
		cb.disconnected(ws)
		if closeCode(err) == CloseUnauthorized {
			cb.stop(ErrUnauthorized)
		}
		if cb.ctx.Err() != nil {
			return
		}
		cb.mu.Lock()
		healthy := cb.delivered || time.Since(start) >= healthyAfter
		cb.mu.Unlock()
		if healthy {
			attempt = 0
		}
		if !cb.deliverWait(Disconnected{Err: err}) {
			return
		}
		down := time.Now()
		dials := 0
		for {
			if !cb.sleep(cb.backoff(err, attempt)) {
				return
			}
			attempt++
			dials++
			ws, err = cb.dial(cb.ctx)
			if err == nil {
				break
			}
			if errors.Is(err, ErrUnauthorized) {
				cb.stop(ErrUnauthorized)
				return
			}
			if cb.ctx.Err() != nil {
				return
			}
		}
		cb.connected(ws)
		if !cb.deliverWait(Reconnected{Attempts: dials, Downtime: time.Since(down)}) {
			return
		}
	}
}

// closeCode is the WebSocket close code in err, 0 if none.
func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

// backoff is the delay before reconnection attempt number attempt (0 for
// the first) after err.
func (cb *Cable) backoff(err error, attempt int) time.Duration {
	if attempt == 0 {
		switch closeCode(err) {
		case CloseTooSlow:
			return 0
		case CloseGoingAway:
			return rand.N(cb.opts.MinBackoff)
		}
		if errors.Is(err, ErrSlowConsumer) {
			return 0
		}
	}
	d := cb.opts.MaxBackoff
	if attempt < 30 {
		d = min(cb.opts.MinBackoff<<attempt, cb.opts.MaxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d, or returns false when the Cable is closed first.
func (cb *Cable) sleep(d time.Duration) bool {
	if d <= 0 {
		return cb.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-cb.ctx.Done():
		return false
	}
}

// disconnected forgets ws and fails the calls waiting on it.
func (cb *Cable) disconnected(ws *websocket.Conn) {
	_ = ws.Close()
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if cb.ws == ws {
		cb.ws = nil
		cb.ready = make(chan struct{})
	}
	reason := ErrDisconnected
	if cb.closed {
		reason = cb.err
	}
	for id, ch := range cb.posts {
		ch <- postResult{err: reason}
		delete(cb.posts, id)
	}
	for _, p := range cb.pings {
		close(p.ch)
	}
	cb.pings = nil
	for _, rs := range cb.rooms {
		cb.stopRetry(rs)
		rs.confirmed = false
	}
}

// serve reads ws until it fails. It returns the reason.
func (cb *Cable) serve(ws *websocket.Conn) error {
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			return err
		}
		buf := readBuffers.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(r)
		if err == nil {
			cb.extend(ws)
			err = cb.handle(ws, buf.Bytes())
		}
		if buf.Cap() <= 64<<10 {
			readBuffers.Put(buf)
		}
		if err != nil {
			return err
		}
	}
}

// handle acts on one frame. An error ends the connection.
func (cb *Cable) handle(ws *websocket.Conn, raw []byte) error {
	if cb.opts.Skim && bytes.HasPrefix(raw, createdPrefix) {
		if roomID, m, ok := skimCreated(raw); ok {
			return cb.messageCreated(roomID, m)
		}
	}
	if bytes.HasPrefix(raw, createdPrefix) {
		// The hot path: one decoding pass instead of two (frame, then
		// message). The server writes "type" first; anything else takes
		// the general path below.
		var mc struct {
			RoomID  int64   `json:"room_id"`
			Message Message `json:"message"`
		}
		if err := json.Unmarshal(raw, &mc); err != nil {
			return cb.deliver(ErrorEvent{Code: "bad_frame", Message: "undecodable message: " + err.Error()})
		}
		return cb.messageCreated(mc.RoomID, mc.Message)
	}
	var f frame
	if err := json.Unmarshal(raw, &f); err != nil {
		// Not the contract: tell the user, keep the connection.
		return cb.deliver(ErrorEvent{Code: "bad_frame", Message: "undecodable frame from the server: " + err.Error()})
	}
	switch f.Type {
	case typeMessageCreated:
		var m Message
		if err := json.Unmarshal(f.Message, &m); err != nil {
			return cb.deliver(ErrorEvent{Code: "bad_frame", Message: "undecodable message: " + err.Error(), RoomID: f.RoomID})
		}
		return cb.messageCreated(f.RoomID, m)
	case typeSubscribed:
		cb.mu.Lock()
		rs := cb.rooms[f.RoomID]
		if rs == nil {
			cb.mu.Unlock()
			return nil // unsubscribed meanwhile
		}
		if !rs.known {
			rs.lastSeq, rs.known = f.Seq, true
		} else if rs.fresh && rs.lastSeq > f.Seq {
			rs.lastSeq = f.Seq // the server clamps since to the room's last seq
		}
		rs.fresh = false
		rs.confirmed = true
		for _, ch := range rs.waiters {
			ch <- nil
		}
		rs.waiters = nil
		cb.mu.Unlock()
		return cb.deliver(Subscribed{RoomID: f.RoomID, Seq: f.Seq})
	case typeAck:
		cb.mu.Lock()
		if ch, ok := cb.posts[f.ClientMessageID]; ok {
			delete(cb.posts, f.ClientMessageID)
			ch <- postResult{ack: Ack{ClientMessageID: f.ClientMessageID, MessageID: f.MessageID, RoomID: f.RoomID, Seq: f.Seq}}
		}
		cb.mu.Unlock()
		return nil
	case typePong:
		cb.mu.Lock()
		if len(cb.pings) > 0 {
			p := cb.pings[0]
			cb.pings = cb.pings[1:]
			p.ch <- time.Since(p.sent)
		}
		cb.mu.Unlock()
		return nil
	case typeError:
		return cb.handleError(ws, &f)
	case typeRoomDeleted:
		cb.mu.Lock()
		if rs := cb.rooms[f.RoomID]; rs != nil {
			cb.stopRetry(rs)
			failWaiters(rs, &Error{Code: "not_found", Message: "the room was deleted"})
			delete(cb.rooms, f.RoomID)
		}
		cb.mu.Unlock()
	}
	ev, err := f.event(raw)
	if err != nil {
		return cb.deliver(ErrorEvent{Code: "bad_frame", Message: "undecodable " + f.Type + ": " + err.Error(), RoomID: f.RoomID})
	}
	return cb.deliver(ev)
}

var createdPrefix = []byte(`{"type":"message.created"`)

// messageCreated delivers a new message unless it was delivered already.
// LastSeq advances before the user can see the event (so the two agree),
// and goes back if the event could not be delivered.
func (cb *Cable) messageCreated(roomID int64, m Message) error {
	cb.mu.Lock()
	rs := cb.rooms[roomID]
	if rs == nil || rs.known && m.Seq <= rs.lastSeq {
		cb.mu.Unlock()
		return nil // a replay overlapping live delivery, or a room given up
	}
	prevSeq, prevKnown := rs.lastSeq, rs.known
	rs.lastSeq, rs.known = m.Seq, true
	cb.delivered = true // a hint for the backoff; harmless if delivery fails
	cb.mu.Unlock()
	if err := cb.deliver(MessageCreated{RoomID: roomID, Message: m}); err != nil {
		cb.mu.Lock()
		if cb.rooms[roomID] == rs && rs.lastSeq == m.Seq {
			rs.lastSeq, rs.known = prevSeq, prevKnown
		}
		cb.mu.Unlock()
		return err
	}
	return nil
}

// transientCodes are subscription errors worth asking again for: the
// server was busy, or it no longer has the subscription we think we have.
var transientCodes = map[string]bool{"internal": true, "unavailable": true, "not_subscribed": true}

// permanentCodes are subscribe refusals that will not change.
var permanentCodes = map[string]bool{"not_found": true, "forbidden": true, "too_many_subscriptions": true}

// handleError routes an error frame to the call it answers and renews a
// subscription the server dropped.
func (cb *Cable) handleError(ws *websocket.Conn, f *frame) error {
	e := &Error{Code: f.Code, Message: f.errorText()}
	cb.mu.Lock()
	if f.ClientMessageID != "" {
		if ch, ok := cb.posts[f.ClientMessageID]; ok {
			delete(cb.posts, f.ClientMessageID)
			ch <- postResult{err: e}
			cb.mu.Unlock()
			return nil
		}
	}
	switch rs := cb.rooms[f.RoomID]; {
	case f.ClientMessageID != "":
	case rs != nil && transientCodes[f.Code]:
		rs.confirmed = false
		cb.renew(ws, f.RoomID, rs)
	case rs != nil && !rs.confirmed && permanentCodes[f.Code]:
		failWaiters(rs, e)
		cb.stopRetry(rs)
		delete(cb.rooms, f.RoomID)
	case f.RoomID == 0 && f.Code == "rate_limited":
		// The frame limit refused something, maybe a subscribe: ask again
		// for every subscription not yet confirmed.
		for id, rs := range cb.rooms {
			if !rs.confirmed {
				cb.renew(ws, id, rs)
			}
		}
	}
	cb.mu.Unlock()
	return cb.deliver(ErrorEvent{Code: f.Code, Message: e.Message, RoomID: f.RoomID, ClientMessageID: f.ClientMessageID})
}

// renew asks again for the subscription rs to roomID on ws after a
// jittered delay, unless a renewal is pending. cb.mu is held.
func (cb *Cable) renew(ws *websocket.Conn, roomID int64, rs *roomState) {
	if rs.retry != nil || cb.closed {
		return
	}
	d := subscribeRetry/2 + rand.N(subscribeRetry)
	cb.timers.Add(1)
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		defer cb.timers.Done()
		cb.mu.Lock()
		if rs.retry != t || cb.rooms[roomID] != rs || cb.ws != ws || cb.closed {
			cb.mu.Unlock()
			return
		}
		rs.retry = nil
		f := subscribeFrame(roomID, rs)
		cb.mu.Unlock()
		_ = cb.write(ws, f)
	})
	rs.retry = t
}

// stopRetry cancels a pending renewal. cb.mu is held.
func (cb *Cable) stopRetry(rs *roomState) {
	if rs.retry != nil && rs.retry.Stop() {
		cb.timers.Done()
	}
	rs.retry = nil
}

func failWaiters(rs *roomState, err error) {
	for _, ch := range rs.waiters {
		ch <- err
	}
	rs.waiters = nil
}

// deliver hands ev to the user without waiting: a full channel ends the
// connection (ErrSlowConsumer), never the event.
func (cb *Cable) deliver(ev Event) error {
	if cb.handler != nil {
		cb.handler(ev)
		return nil
	}
	select {
	case cb.events <- ev:
		return nil
	default:
		return ErrSlowConsumer
	}
}

// deliverWait hands ev to the user, waiting for room until the Cable is
// closed; it reports whether ev was delivered.
func (cb *Cable) deliverWait(ev Event) bool {
	if cb.handler != nil {
		cb.handler(ev)
		return cb.ctx.Err() == nil
	}
	select {
	case cb.events <- ev:
		return true
	case <-cb.ctx.Done():
		return false
	}
}

// write sends one text frame on ws; a failure closes ws, so the reader
// moves on to reconnect.
func (cb *Cable) write(ws *websocket.Conn, frame []byte) error {
	cb.wmu.Lock()
	_ = ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	err := ws.WriteMessage(websocket.TextMessage, frame)
	cb.wmu.Unlock()
	if err != nil {
		_ = ws.Close()
		return fmt.Errorf("%w: %w", ErrDisconnected, err)
	}
	return nil
}

// current waits (within ctx) for a connection and returns it.
func (cb *Cable) current(ctx context.Context) (*websocket.Conn, error) {
	for {
		cb.mu.Lock()
		ws, ready, closed, err := cb.ws, cb.ready, cb.closed, cb.err
		cb.mu.Unlock()
		if closed {
			return nil, err
		}
		if ws != nil {
			return ws, nil
		}
		select {
		case <-ready:
		case <-cb.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ErrDisconnected, ctx.Err())
		}
	}
}

// Client → server frames.

func subscribeFrame(roomID int64, rs *roomState) []byte {
	f := struct {
		Type   string `json:"type"`
		RoomID int64  `json:"room_id"`
		Since  *int64 `json:"since,omitempty"`
	}{Type: "subscribe", RoomID: roomID}
	if rs.known {
		since := rs.lastSeq
		f.Since = &since
	}
	b, _ := json.Marshal(f)
	return b
}

func visibilityFrame(visible bool) []byte {
	if visible {
		return []byte(`{"type":"visibility","visible":true}`)
	}
	return []byte(`{"type":"visibility","visible":false}`)
}

// Subscribe subscribes to a room's live events from now on, and keeps the
// subscription across reconnects (resuming from the last seq delivered).
// It waits until the server confirms; an *Error (code "not_found" for a
// room the user is not in) means it refused. If ctx ends first the
// subscription stays requested; Unsubscribe drops it. Subscribing to a
// room already subscribed only waits for its confirmation.
func (cb *Cable) Subscribe(ctx context.Context, roomID int64) error {
	return cb.subscribe(ctx, roomID, nil)
}

// SubscribeSince subscribes to a room and first replays every message
// with a seq above since (0: the whole room), oldest first. On a room
// already subscribed it starts over from since.
func (cb *Cable) SubscribeSince(ctx context.Context, roomID, since int64) error {
	return cb.subscribe(ctx, roomID, &since)
}

func (cb *Cable) subscribe(ctx context.Context, roomID int64, since *int64) error {
	ctx, cancel := context.WithTimeout(ctx, cb.opts.AckTimeout)
	defer cancel()
	ch := make(chan error, 1)
	cb.mu.Lock()
	if cb.closed {
		err := cb.err
		cb.mu.Unlock()
		return err
	}
	rs := cb.rooms[roomID]
	send := false
	switch {
	case rs == nil:
		rs = &roomState{}
		cb.rooms[roomID] = rs
		send = true
	case since != nil:
		send = true
	case rs.confirmed:
		cb.mu.Unlock()
		return nil
	}
	if since != nil {
		rs.lastSeq, rs.known, rs.fresh = *since, true, true
	}
	if send {
		rs.confirmed = false
		cb.stopRetry(rs)
	}
	rs.waiters = append(rs.waiters, ch)
	ws := cb.ws
	var f []byte
	if send && ws != nil {
		f = subscribeFrame(roomID, rs)
	}
	cb.mu.Unlock()
	if f != nil {
		_ = cb.write(ws, f) // on failure, the reconnect asks again
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return fmt.Errorf("campfire: subscribing to room %d: %w", roomID, ctx.Err())
	}
}

// Unsubscribe stops the subscription to a room.
func (cb *Cable) Unsubscribe(ctx context.Context, roomID int64) error {
	cb.mu.Lock()
	rs := cb.rooms[roomID]
	if rs != nil {
		cb.stopRetry(rs)
		failWaiters(rs, fmt.Errorf("campfire: room %d unsubscribed", roomID))
		delete(cb.rooms, roomID)
	}
	ws := cb.ws
	cb.mu.Unlock()
	if ws == nil {
		return nil // nothing to tell a server we are not connected to
	}
	b, _ := json.Marshal(struct {
		Type   string `json:"type"`
		RoomID int64  `json:"room_id"`
	}{"unsubscribe", roomID})
	return cb.write(ws, b)
}

// LastSeq is the seq of the last message of a room delivered to the user
// (or, for a live-only subscription with none yet, the room's last seq
// when it was confirmed); ok is false when the room is not subscribed or
// not yet confirmed.
func (cb *Cable) LastSeq(roomID int64) (seq int64, ok bool) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	rs := cb.rooms[roomID]
	if rs == nil || !rs.known {
		return 0, false
	}
	return rs.lastSeq, true
}

// Post posts body in a room over the cable and waits for the server's ack.
// clientMessageID makes it idempotent ("" uses a fresh one): after
// ErrNoAck or ErrDisconnected, post again with the same id; the server
// stores the message once and acks the original. A refusal is an *Error
// with the contract's code ("rate_limited", "body_blank", "not_found"…).
// Post waits for a connection, within ctx and the ack timeout.
func (cb *Cable) Post(ctx context.Context, roomID int64, body, clientMessageID string) (Ack, error) {
	if clientMessageID == "" {
		clientMessageID = NewClientMessageID()
	}
	ctx, cancel := context.WithTimeout(ctx, cb.opts.AckTimeout)
	defer cancel()
	ws, err := cb.current(ctx)
	if err != nil {
		return Ack{}, err
	}
	ch := make(chan postResult, 1)
	cb.mu.Lock()
	if cb.ws != ws {
		cb.mu.Unlock()
		return Ack{}, ErrDisconnected
	}
	if _, busy := cb.posts[clientMessageID]; busy {
		cb.mu.Unlock()
		return Ack{}, fmt.Errorf("campfire: a post with client_message_id %q is already waiting for its ack", clientMessageID)
	}
	cb.posts[clientMessageID] = ch
	cb.mu.Unlock()
	b, _ := json.Marshal(struct {
		Type            string `json:"type"`
		RoomID          int64  `json:"room_id"`
		Body            string `json:"body"`
		ClientMessageID string `json:"client_message_id"`
	}{"post", roomID, body, clientMessageID})
	if err := cb.write(ws, b); err != nil {
		cb.forgetPost(clientMessageID, ch)
		return Ack{}, err
	}
	select {
	case r := <-ch:
		return r.ack, r.err
	case <-ctx.Done():
		cb.forgetPost(clientMessageID, ch)
		return Ack{}, fmt.Errorf("%w: %w", ErrNoAck, ctx.Err())
	}
}

func (cb *Cable) forgetPost(id string, ch chan postResult) {
	cb.mu.Lock()
	if cb.posts[id] == ch {
		delete(cb.posts, id)
	}
	cb.mu.Unlock()
}

// Typing tells a subscribed room the user is typing (active) or stopped.
// The server expires an active state not refreshed within 5 s.
func (cb *Cable) Typing(ctx context.Context, roomID int64, active bool) error {
	b, _ := json.Marshal(struct {
		Type   string `json:"type"`
		RoomID int64  `json:"room_id"`
		Active bool   `json:"active"`
	}{"typing", roomID, active})
	return cb.send(ctx, b)
}

// SetVisible says whether the user is looking (sockets start visible). A
// hidden socket does not count as connected for presence, so the person
// gets unread marks as if away. It is kept across reconnects.
func (cb *Cable) SetVisible(ctx context.Context, visible bool) error {
	cb.mu.Lock()
	cb.visible = visible
	cb.mu.Unlock()
	return cb.send(ctx, visibilityFrame(visible))
}

// send writes one frame once connected.
func (cb *Cable) send(ctx context.Context, frame []byte) error {
	ctx, cancel := context.WithTimeout(ctx, cb.opts.AckTimeout)
	defer cancel()
	ws, err := cb.current(ctx)
	if err != nil {
		return err
	}
	return cb.write(ws, frame)
}

// Ping sends an application ping and returns the round trip to its pong.
func (cb *Cable) Ping(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, cb.opts.AckTimeout)
	defer cancel()
	ws, err := cb.current(ctx)
	if err != nil {
		return 0, err
	}
	ch := make(chan time.Duration, 1)
	cb.mu.Lock()
	if cb.ws != ws {
		cb.mu.Unlock()
		return 0, ErrDisconnected
	}
	// The waiter is queued under the same lock as the write's order is
	// decided, so pongs (answered in order) match their pings.
	cb.pings = append(cb.pings, pingWaiter{ch: ch, sent: time.Now()})
	cb.mu.Unlock()
	if err := cb.write(ws, []byte(`{"type":"ping"}`)); err != nil {
		return 0, err
	}
	select {
	case rtt, ok := <-ch:
		if !ok {
			return 0, ErrDisconnected
		}
		return rtt, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("campfire: ping: %w", ctx.Err())
	}
}
