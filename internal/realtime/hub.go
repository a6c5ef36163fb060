// Package realtime is the cable: the WebSocket endpoint GET /api/v1/cable,
// its protocol (see the contract's real-time section) and the in-process
// hub that hands every committed event to the sockets that should see it.
//
// The shape, in short:
//   - The core commits, then publishes one broker.Event with a frame
//     encoded once by package wire. The hub receives every event through
//     the broker (this instance's own included) in Handle.
//   - Rooms map to their local subscriptions in sharded maps, users to
//     their sockets likewise, so a broadcast touches only the sockets that
//     get it. No lock is held while writing to a socket: delivery appends
//     the shared frame to each socket's bounded queue and never blocks.
//   - Each socket has one reader and one writer goroutine. The writer
//     drains everything queued and flushes it in one write, framing the
//     messages itself; a socket written to within FlushInterval waits out
//     the interval first, so a stream of events costs fewer writes. A
//     socket whose queue is full is closed with 4008 and resumes by seq.
//   - message.created is delivered per room in seq order with no gap: the
//     hub holds events that arrive early for GapWait, then reads the
//     missing seqs from the database. Each subscription drops seqs it has
//     already sent, so replay after subscribe and live delivery meet
//     without duplicates.
package realtime

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/presence"
	"github.com/campfire-go/campfire/internal/wire"
)

// Close codes the server uses.
const (
	// CloseGoingAway (1001): the server is shutting down; reconnect.
	CloseGoingAway = websocket.CloseGoingAway
	// ClosePolicy (1008): the client kept breaking the rate limits or the
	// protocol after error frames.
	ClosePolicy = websocket.ClosePolicyViolation
	// CloseTooBig (1009): a frame over 4× the read limit.
	CloseTooBig = websocket.CloseMessageTooBig
	// CloseUnauthorized (4001): the user was deactivated or banned, or the
	// session revoked; reconnecting with the same credentials will fail.
	CloseUnauthorized = 4001
	// CloseTooSlow (4008): the socket's queue overflowed; reconnect and
	// subscribe with the last seen seq.
	CloseTooSlow = 4008
	// CloseTryAgain (1013): the server could not serve a subscribe (its
	// database was too busy or failing); reconnect after a backoff and
	// subscribe with the last seen seq. A socket is closed rather than left
	// open without the subscription the client asked for.
	CloseTryAgain = websocket.CloseTryAgainLater
)

const shards = 64

// Hub owns every local socket. Create it with New.
type Hub struct {
	cfg      Config
	backend  Backend
	broker   broker.Broker
	presence presence.Presence
	log      *slog.Logger
	upgrader websocket.Upgrader

	ctx    context.Context // cancelled when Shutdown finishes
	cancel context.CancelFunc

	rooms [shards]roomShard
	users [shards]userShard

	// mu orders opening sockets against Shutdown.
	mu       sync.Mutex
	stopping bool
	conns    sync.WaitGroup // every socket goroutine
	bg       sync.WaitGroup // gap fills and other short background work

	nextID atomic.Uint64

	typingMu sync.Mutex
	typing   map[typingKey]*typingState

	presenceMu    sync.Mutex
	presenceDirty map[int64]struct{}

	resyncMu               sync.Mutex
	resyncing, resyncAgain bool

	// subscribing admits subscribes' database work: a reconnect storm
	// queues here, in arrival order, instead of piling every socket's reads
	// onto the database at once until they time out.
	subscribing chan struct{}

	stats stats

	// onSlow, when set (tests), is called when a socket overflows.
	onSlow func(userID int64)
}

type roomShard struct {
	mu sync.RWMutex
	m  map[int64]*room
}

type userShard struct {
	mu sync.RWMutex
	m  map[int64]map[*conn]struct{}
	// slots counts each user's sockets from reservation (before the
	// upgrade) to removal, so the per-account cap is checked and taken in
	// one step; a user with no socket has no entry.
	slots map[int64]int
}

// New builds a hub and subscribes it to b, so it must be called before b's
// Run. p may be nil (no presence). The hub's own loop is Run; its sockets
// come from ServeCable; Shutdown ends them.
func New(cfg Config, backend Backend, b broker.Broker, p presence.Presence, logger *slog.Logger) *Hub {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	h := &Hub{
		cfg:           cfg,
		backend:       backend,
		broker:        b,
		presence:      p,
		log:           logger.With("component", "realtime"),
		typing:        make(map[typingKey]*typingState),
		presenceDirty: make(map[int64]struct{}),
		subscribing:   make(chan struct{}, cfg.SubscribeConcurrency),
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	for i := range h.rooms {
		h.rooms[i].m = make(map[int64]*room)
		h.users[i].m = make(map[int64]map[*conn]struct{})
		h.users[i].slots = make(map[int64]int)
	}
	h.upgrader = newUpgrader(h)
	b.Subscribe(h.Handle)
	return h
}

// Run pings every socket each PingInterval, sweeps typing indicators and
// presence heartbeats, and publishes coalesced presence events, until ctx
// is done. Sockets without Run are never pinged (and so are dropped when
// their read deadline passes).
func (h *Hub) Run(ctx context.Context) error {
	typing := time.NewTicker(max(h.cfg.TypingTTL/5, time.Millisecond))
	defer typing.Stop()
	sweep := time.NewTicker(max(h.cfg.HeartbeatTTL/4, time.Millisecond))
	defer sweep.Stop()
	flush := time.NewTicker(h.cfg.PresenceInterval)
	defer flush.Stop()
	ping := time.NewTicker(h.cfg.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ping.C:
			h.eachConn(func(c *conn) {
				c.pingDue.Store(true)
				c.signal()
			})
		case now := <-typing.C:
			h.expireTyping(now)
		case <-sweep.C:
			if h.presence == nil {
				continue
			}
			rooms, err := h.presence.Sweep(ctx)
			if err != nil {
				h.log.Warn("presence sweep", "err", err)
			}
			for _, id := range rooms {
				h.markPresence(id)
			}
		case <-flush.C:
			h.flushPresence(ctx)
		}
	}
}

// Shutdown closes every socket with 1001 and waits, until ctx is done, for
// their goroutines and the hub's background work to end. Call it after the
// HTTP server has stopped accepting (hijacked sockets are not the HTTP
// server's to close) and before the broker and the store are closed.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.stopping = true
	h.mu.Unlock()
	h.eachConn(func(c *conn) { c.stop(CloseGoingAway, "server shutting down") })
	done := make(chan struct{})
	go func() {
		h.conns.Wait()
		h.bg.Wait()
		close(done)
	}()
	defer h.cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		// Past the deadline: drop the sockets without ceremony, so their
		// goroutines end now rather than after their write timeouts.
		h.eachConn(func(c *conn) { c.kill() })
		h.cancel()
		<-done
		return ctx.Err()
	}
}

// Handle receives every event from the broker. It never blocks on a
// socket: it appends shared frames to bounded queues.
func (h *Hub) Handle(e broker.Event) {
	switch {
	case e.Type == broker.ControlCloseUser:
		for _, id := range e.UserIDs {
			h.eachUserConn(id, func(c *conn) { c.stop(CloseUnauthorized, "access revoked") })
		}
	case e.Type == broker.ControlCloseSession:
		for _, id := range e.UserIDs {
			h.eachUserConn(id, func(c *conn) {
				if c.session != "" && slices.Contains(e.Sessions, c.session) {
					c.stop(CloseUnauthorized, "signed out")
				}
			})
		}
	case e.Type == broker.ControlResync:
		h.resync()
	case e.Type == broker.ControlLeaveRoom:
		for _, id := range e.UserIDs {
			h.eachUserConn(id, func(c *conn) { c.leave(e.RoomID) })
		}
	case e.AllUsers:
		h.eachConn(func(c *conn) { c.push(e.Frame) })
	case len(e.UserIDs) > 0:
		for _, id := range e.UserIDs {
			h.eachUserConn(id, func(c *conn) { c.push(e.Frame) })
		}
	case e.RoomID != 0:
		rm := h.room(e.RoomID)
		if rm == nil {
			return // no local subscriber
		}
		if e.Type == wire.TypeMessageCreated && e.Seq > 0 {
			h.sequence(rm, e.Seq, e.Frame)
		} else {
			rm.lockAndDeliver(e.Frame, 0)
		}
	}
}

// BroadcastRooms delivers frame once to every local socket subscribed to
// any of roomIDs (Campfire's broadcast_to_multiple_rooms), e.g. a user's
// new name shown in every room they are in. It is for events without a seq.
func (h *Hub) BroadcastRooms(roomIDs []int64, frame []byte) {
	seen := make(map[*conn]struct{})
	for _, id := range roomIDs {
		rm := h.room(id)
		if rm == nil {
			continue
		}
		rm.mu.Lock()
		for _, s := range rm.subs {
			if _, ok := seen[s.c]; !ok {
				seen[s.c] = struct{}{}
				s.deliver(frame, 0)
			}
		}
		rm.mu.Unlock()
	}
}

// Stats is a snapshot of the hub's counters, for metrics.
type Stats struct {
	Connections   int64  // open sockets
	Subscriptions int64  // room subscriptions of open sockets
	Frames        uint64 // frames written to sockets
	Flushes       uint64 // writes that carried them (frames/flushes = batching)
	SlowClosed    uint64 // sockets closed with 4008
	GapFills      uint64 // gaps filled from the database
	Resyncs       uint64 // catch-ups after a broker reconnect
	BusyClosed    uint64 // sockets closed with 1013 because a subscribe could not be served
	Deliveries    uint64 // message events queued to subscribed sockets (one per socket per message)
}

type stats struct {
	conns, subs                                       atomic.Int64
	frames, flushes, slow, fills, resyncs, busyClosed atomic.Uint64
	deliveries                                        atomic.Uint64
}

// Stats returns the current counters.
func (h *Hub) Stats() Stats {
	return Stats{
		Connections:   h.stats.conns.Load(),
		Subscriptions: h.stats.subs.Load(),
		Frames:        h.stats.frames.Load(),
		Flushes:       h.stats.flushes.Load(),
		SlowClosed:    h.stats.slow.Load(),
		GapFills:      h.stats.fills.Load(),
		Resyncs:       h.stats.resyncs.Load(),
		BusyClosed:    h.stats.busyClosed.Load(),
		Deliveries:    h.stats.deliveries.Load(),
	}
}

func (h *Hub) room(id int64) *room {
	s := &h.rooms[uint64(id)%shards]
	s.mu.RLock()
	rm := s.m[id]
	s.mu.RUnlock()
	return rm
}

func (h *Hub) eachUserConn(userID int64, f func(*conn)) {
	s := &h.users[uint64(userID)%shards]
	s.mu.RLock()
	defer s.mu.RUnlock()
	for c := range s.m[userID] {
		f(c)
	}
}

// reserveSlot takes one of userID's MaxConnsPerUser socket slots on this
// instance, or reports that none is left. Taking the slot before the
// upgrade (rather than counting sockets and registering after it) is what
// keeps concurrent opens from exceeding the cap. Every reserved slot is
// given back by releaseSlot: on a failed upgrade, or when the socket is
// removed.
func (h *Hub) reserveSlot(userID int64) bool {
	s := &h.users[uint64(userID)%shards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.slots[userID] >= h.cfg.MaxConnsPerUser {
		return false
	}
	s.slots[userID]++
	return true
}

func (h *Hub) releaseSlot(userID int64) {
	s := &h.users[uint64(userID)%shards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.slots[userID]; n > 1 {
		s.slots[userID] = n - 1
	} else {
		delete(s.slots, userID)
	}
}

func (h *Hub) eachConn(f func(*conn)) {
	for i := range h.users {
		s := &h.users[i]
		s.mu.RLock()
		for _, cs := range s.m {
			for c := range cs {
				f(c)
			}
		}
		s.mu.RUnlock()
	}
}

// addConn indexes c under its user and accounts for its two goroutines; it
// fails once Shutdown has begun.
func (h *Hub) addConn(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopping {
		return false
	}
	h.conns.Add(2)
	s := &h.users[uint64(c.user.ID)%shards]
	s.mu.Lock()
	cs := s.m[c.user.ID]
	first := cs == nil
	if first {
		cs = make(map[*conn]struct{}, 1)
		s.m[c.user.ID] = cs
	}
	cs[c] = struct{}{}
	s.mu.Unlock()
	h.stats.conns.Add(1)
	if first {
		h.broker.WatchUser(c.user.ID, true)
	}
	return true
}

func (h *Hub) removeConn(c *conn) {
	s := &h.users[uint64(c.user.ID)%shards]
	s.mu.Lock()
	cs := s.m[c.user.ID]
	delete(cs, c)
	last := cs != nil && len(cs) == 0
	if last {
		delete(s.m, c.user.ID)
	}
	s.mu.Unlock()
	h.releaseSlot(c.user.ID)
	h.stats.conns.Add(-1)
	if last {
		h.broker.WatchUser(c.user.ID, false)
	}
}

func (h *Hub) connID() string {
	n := strconv.FormatUint(h.nextID.Add(1), 36)
	if h.cfg.InstanceID != "" {
		return h.cfg.InstanceID + ":" + n
	}
	return n
}

// publish sends a hub-made event (typing, presence) through the broker, so
// other instances see it too.
func (h *Hub) publish(e broker.Event) {
	ctx, cancel := context.WithTimeout(h.ctx, h.cfg.BackendTimeout)
	defer cancel()
	if err := h.broker.Publish(ctx, e); err != nil {
		h.log.Debug("publish", "type", e.Type, "room_id", e.RoomID, "err", err)
	}
}

// async runs f in the background, accounted for by Shutdown. It is how a
// broker callback, which must not block, gets blocking work (presence
// calls to a remote store) done.
func (h *Hub) async(f func(ctx context.Context)) {
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		ctx, cancel := context.WithTimeout(h.ctx, h.cfg.BackendTimeout)
		defer cancel()
		f(ctx)
	}()
}

// backendCtx bounds one Backend call.
func (h *Hub) backendCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(h.ctx, h.cfg.BackendTimeout)
}

// errorFrame turns a Backend error into the error frame a client sees: a
// client-facing chat.Error as it is; a dependency out of reach (the store's
// chat.ErrUnavailable, a deadline) as "unavailable", the code the API
// answers with its 503, so a client retries instead of giving up; anything
// else is logged and reported as internal.
func (h *Hub) errorFrame(err error, roomID int64, clientID string) []byte {
	if e, ok := chat.AsError(err); ok {
		return wire.ErrorFrame(e.Code, e.Message, roomID, clientID)
	}
	if errors.Is(err, chat.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		h.log.Warn("cable backend unavailable", "room_id", roomID, "err", err)
		return wire.ErrorFrame(codeUnavailable, messageUnavailable, roomID, clientID)
	}
	if !errors.Is(err, context.Canceled) {
		h.log.Error("cable backend call", "room_id", roomID, "err", err)
	}
	return wire.ErrorFrame(codeInternal, messageInternal, roomID, clientID)
}
