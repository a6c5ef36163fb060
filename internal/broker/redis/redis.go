// Package redis is the broker.Broker of N instances, on Redis pub/sub
// (go-redis/v9).
//
// # Delivery
//
// Publish hands the event to this instance's handler in-process at once (no
// round trip through Redis) and PUBLISHes it once; every other instance
// that listens to its channel delivers it to its handler. A broker ignores
// its own echo: every payload carries the publishing broker's random nonce
// (not INSTANCE_ID, so that two processes misconfigured with the same name
// still hear each other). The handler is called from one goroutine, through
// a bounded queue: a handler that falls behind loses events (counted in
// Stats.Dropped), never blocks a publisher or the Redis reader.
//
// Guarantees, as the broker contract states them: at-most-once; events of
// one room published by one goroutine arrive at every instance in publish
// order (Publish returns after Redis executed the PUBLISH, and a broker
// reads all its channels on one connection, which Redis writes in execution
// order). Publish fails after PublishTimeout (2 s) when Redis does not
// answer, so a post never hangs on a dead Redis.
//
// # Channels
//
// Room events go to one of 16 room channels by room id; user-scoped events
// (UserIDs) and AllUsers events go to one channel each. Every broker
// subscribes to all 18 once, when Run starts, and never changes its
// subscriptions: WatchRoom and WatchUser only count this instance's
// interest, and a received event for no watched room or user is dropped
// before the handler (Stats.Filtered). An event naming 300 users is one
// PUBLISH.
//
// Chosen by measurement (BenchmarkChannels, BenchmarkUserEvents: 3
// brokers on one Redis, 2,000 rooms, each instance watching half of them;
// 3 interleaved rounds on this 2-core machine under other load):
//
//	layout        published/s      remote p50 µs / p99  with 6,000 watch changes/s
//	per-room      30k–37k          124–165 / 0.8–2.7 ms  289–509 / 2.6–6.5 ms, 3.4k SUBSCRIBE/s
//	16 shards     18k–40k          124–153 / 0.5–0.8 ms   97–162 / 0.5–1.1 ms, none
//	one channel   25k–39k          128–131 / 0.9–1.2 ms  141–151 / 0.9–2.2 ms, none
//
//	users: PUBLISH per 300-user event  per-user 285 (1.2–1.5 ms), 64 shards 63 (0.47 ms), one 1 (0.11–0.15 ms)
//
// Throughput is the same within the noise; what per-room channels save
// (each instance decoded ~1 event per publish it then dropped) costs a
// SUBSCRIBE or UNSUBSCRIBE whenever the first local socket joins a room or
// the last leaves, which doubled latency under churn. Worse, a subscription
// takes effect a round trip after WatchRoom, and an event published in
// between is lost with no reconnect to signal it (a quiet room would show
// it only after its next message): with fixed channels that window does
// not exist. The cost of this layout is that every instance receives every
// room event of the deployment (Redis sends N copies of each): dropping one
// costs 60-70 ns and no allocation here (BenchmarkReceiveFiltered) on top
// of go-redis reading it, small beside the ~40k events/s one Redis carried
// above. Per-room channels (or sharded pub/sub on Redis Cluster) are the
// next step past that, with a per-room resync to close the window; the
// code keeps that layout for the benchmark. 16 channels rather than one,
// though they measure the same here, so that sharded pub/sub can spread
// them over a Cluster's nodes without a change to the wire format.
//
// # Reconnects and ControlResync
//
// The subscriber reconnects by itself (go-redis redials and resubscribes
// every channel; a connection that stops answering pings is replaced).
// Whenever the subscriber connection was lost, the first subscription
// confirmed afterwards makes the broker deliver broker.ControlResync to the
// handler: events published meanwhile are gone, and the hub recovers them
// from the database by seq and re-checks its sockets. A resync is never
// dropped, even when the queue is full (several coalesce into one).
//
// # Sentinel and Cluster
//
// NewClient accepts every form go-redis understands, so a Sentinel
// (master_name=…) or Cluster (several addresses) deployment works by URL.
// With Sentinel, a failover breaks the connections: events published to
// the old primary in between are lost, and every instance resyncs. With
// Cluster, classic PUBLISH reaches subscribers on every node through the
// cluster bus, so delivery holds, but go-redis sends each PUBLISH to any
// node: two events of one room may reach another instance out of order
// (message.created is put back in seq order by the hub; an edit or a boost
// may swap with its neighbour). Every node carries every message, so
// pub/sub throughput does not grow with the cluster; sharded pub/sub
// (SPUBLISH on the 16 room channels) is what would.
package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/campfire-go/campfire/internal/broker"
)

// Defaults.
const (
	DefaultPrefix         = "campfire:"
	DefaultPublishTimeout = 2 * time.Second
	DefaultQueue          = 4096
	// defaultRoomShards and defaultUserShards are the numbers of room and
	// user channels. Every instance must agree on them (publishers and
	// subscribers hash the same way), so they are part of the wire
	// format, not options.
	defaultRoomShards = 16
	defaultUserShards = 1
	// healthInterval is how long the subscriber waits for traffic before
	// it pings; a ping unanswered for another interval means the
	// connection died without saying so.
	healthInterval = time.Second
	maxBackoff     = time.Second
)

// Errors.
var (
	// ErrClosed means the broker was closed.
	ErrClosed = errors.New("redis broker: closed")
	// ErrFull means this instance's handler is behind and the event was
	// not delivered locally (other instances may still have it).
	ErrFull = errors.New("redis broker: local queue full, event dropped")
	// ErrNotConnected is Healthy's answer while the subscriber is down.
	ErrNotConnected = errors.New("redis broker: subscriber not connected")
)

// Options configure a Broker.
type Options struct {
	// URL is used when Client is nil; see NewClient for its forms. The
	// broker then owns the client and closes it.
	URL string
	// Client is a shared client (the caller closes it after the broker).
	Client goredis.UniversalClient
	// Prefix starts every channel name, so deployments (and tests) can
	// share a Redis: pub/sub ignores the database number. Default
	// DefaultPrefix.
	Prefix string
	// InstanceID names this instance in logs and CLIENT LIST.
	InstanceID string
	// PublishTimeout bounds one Publish. Default DefaultPublishTimeout.
	PublishTimeout time.Duration
	// Queue is how many events may wait for the handler. Default
	// DefaultQueue.
	Queue int
	// Logger; nil discards.
	Logger *slog.Logger

	// roomShards and userShards override the channel layout for
	// BenchmarkChannels and BenchmarkUserEvents: > 0 that many channels,
	// all subscribed from the start; < 0 one channel per room (user),
	// subscribed while watched.
	roomShards, userShards int
	// health overrides healthInterval (tests).
	health time.Duration
}

// Stats are the broker's counters, for metrics.
type Stats struct {
	Published uint64 // events sent to Redis
	Received  uint64 // events from other instances handed to the queue
	Dropped   uint64 // events dropped because the queue was full
	Filtered  uint64 // events from other instances for no local room or user
	Malformed uint64 // payloads that did not decode
	Resyncs   uint64 // ControlResync events emitted
	Repairs   uint64 // resync requests sent to the others after a lost publish
	// RemoteResyncs counts ControlResync emitted because another instance
	// asked (it had lost a publish).
	RemoteResyncs uint64
}

// Broker is the Redis broker. Create it with New.
type Broker struct {
	client    goredis.UniversalClient
	ownClient bool
	prefix    string
	id        string
	nonce     nonce
	timeout   time.Duration
	health    time.Duration
	shards    int                 // room channels; 0: one per room, subscribed while watched
	userSh    int                 // user channels; 0: one per user, subscribed while watched
	fixed     map[string]struct{} // channels subscribed for as long as Run runs
	log       *slog.Logger

	queue  chan broker.Event
	resync chan struct{} // capacity 1: pending resyncs coalesce
	// publishLost is set when a Publish failed; repair (capacity 1) wakes
	// repairLoop to ask the other instances to resync.
	publishLost atomic.Bool
	repair      chan struct{}

	handleMu sync.Mutex // guards handle
	handle   func(broker.Event)

	// mu guards the watch counts and the desired channel set. Counts, not
	// flags, so that a hub's "on" and "off" for the same room arriving in
	// either order (they are made outside its locks) still net out right.
	mu       sync.Mutex
	rooms    map[int64]int
	users    map[int64]int
	channels map[string]int // desired channel -> watched rooms/users on it
	kick     chan struct{}  // capacity 1: the desired set changed

	// psMu guards ps and applied: the subscription goroutine changes them,
	// the receiver replaces ps when its connection stops answering.
	psMu    sync.Mutex
	ps      *goredis.PubSub
	applied map[string]struct{}

	connected atomic.Bool // the subscriber's subscriptions are live
	lost      atomic.Bool // the subscriber connection broke since the last confirmation

	life    sync.Mutex // orders Run against Close
	started bool
	closed  bool
	done    chan struct{} // closed by Close
	running chan struct{} // closed when Run returns

	published, received, filtered, dropped, malformed, resyncs, repairs, remoteResyncs atomic.Uint64
	lastBadLog                                                                         atomic.Int64
	// subscribeCmds counts SUBSCRIBE/UNSUBSCRIBE commands sent for watch
	// changes (BenchmarkChannels).
	subscribeCmds atomic.Uint64
}

var _ broker.Broker = (*Broker)(nil)

// New returns a broker; nothing connects before Run (and Healthy).
func New(opts Options) (*Broker, error) {
	b := &Broker{
		client:   opts.Client,
		prefix:   orDefault(opts.Prefix, DefaultPrefix),
		id:       opts.InstanceID,
		timeout:  orDefaultDur(opts.PublishTimeout, DefaultPublishTimeout),
		health:   orDefaultDur(opts.health, healthInterval),
		shards:   layout(opts.roomShards, defaultRoomShards),
		userSh:   layout(opts.userShards, defaultUserShards),
		fixed:    make(map[string]struct{}),
		log:      opts.Logger,
		resync:   make(chan struct{}, 1),
		repair:   make(chan struct{}, 1),
		rooms:    make(map[int64]int),
		users:    make(map[int64]int),
		channels: make(map[string]int),
		kick:     make(chan struct{}, 1),
		applied:  make(map[string]struct{}),
		done:     make(chan struct{}),
		running:  make(chan struct{}),
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	b.log = b.log.With("component", "broker")
	q := opts.Queue
	if q <= 0 {
		q = DefaultQueue
	}
	b.queue = make(chan broker.Event, q)
	b.fixed[b.prefix+"bus:all"] = struct{}{}
	for i := range b.shards {
		b.fixed[b.roomChannel(int64(i))] = struct{}{}
	}
	for i := range b.userSh {
		b.fixed[b.userChannel(int64(i))] = struct{}{}
	}
	if _, err := rand.Read(b.nonce[:]); err != nil {
		return nil, fmt.Errorf("redis broker: nonce: %w", err)
	}
	if b.client == nil {
		c, err := NewClient(opts.URL)
		if err != nil {
			return nil, err
		}
		b.client, b.ownClient = c, true
	}
	return b, nil
}

// NewClient makes a client from a URL in any form go-redis parses:
//
//	redis://[user:pass@]host:port/db, rediss://…, unix:///path.sock
//	redis://h1:26379,h2:26379/0?master_name=mymaster   Sentinel
//	redis://h1:7000,h2:7000,h3:7000                     Cluster
//
// Several hosts are the same as addr= query parameters. master_name
// selects Sentinel; otherwise several addresses select Cluster.
//
// Every Redis seam should share one client made here (the composition root
// makes it and closes it last).
func NewClient(rawURL string) (goredis.UniversalClient, error) {
	if rawURL == "" {
		return nil, errors.New("redis: empty URL")
	}
	u, hosts := splitHosts(rawURL)
	switch {
	case strings.Contains(u, "master_name="):
		o, err := goredis.ParseFailoverURL(u)
		if err != nil {
			return nil, fmt.Errorf("redis: sentinel URL: %w", err)
		}
		o.ContextTimeoutEnabled, o.DialerRetries, o.DialTimeout, o.MaxRetries = true, dialRetries, dialTimeout, maxRetries
		o.ReadTimeout, o.WriteTimeout = ioTimeout, ioTimeout
		return goredis.NewFailoverClient(o), nil
	case hosts > 1 || strings.Contains(u, "addr="):
		o, err := goredis.ParseClusterURL(u)
		if err != nil {
			return nil, fmt.Errorf("redis: cluster URL: %w", err)
		}
		o.ContextTimeoutEnabled, o.DialerRetries, o.DialTimeout, o.MaxRetries = true, dialRetries, dialTimeout, maxRetries
		o.ReadTimeout, o.WriteTimeout = ioTimeout, ioTimeout
		return goredis.NewClusterClient(o), nil
	default:
		o, err := goredis.ParseURL(u)
		if err != nil {
			return nil, fmt.Errorf("redis: URL: %w", err)
		}
		o.ContextTimeoutEnabled, o.DialerRetries, o.DialTimeout, o.MaxRetries = true, dialRetries, dialTimeout, maxRetries
		o.ReadTimeout, o.WriteTimeout = ioTimeout, ioTimeout
		return goredis.NewClient(o), nil
	}
}

// Client settings every seam relies on: a call's context deadline bounds
// its socket reads and writes too (go-redis ignores it otherwise, and a
// stalled Redis would hold a post for the 3 s read timeout), and a dead
// Redis is given up on after one dial and one retry: go-redis's defaults
// (5 dials × 4 tries) made every command take 1.7 s to fail while Redis was
// down, and posting fell from 110 to 9 a second (internal/scaleout).
//
// A Redis that stops answering without closing its connections (paused,
// overloaded) is given up on after a second per read or write, so a
// request that touches Redis twice waits seconds, not go-redis's default
// 3 s per try (an attack test saw 12 s per request during a 12 s stall).
const (
	dialRetries = 1
	maxRetries  = 1
	dialTimeout = 2 * time.Second
	ioTimeout   = time.Second
)

// splitHosts rewrites redis://h1,h2,h3/… as redis://h1/…?addr=h2&addr=h3,
// the form go-redis's Sentinel and Cluster parsers take, and counts the
// hosts.
func splitHosts(raw string) (string, int) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || scheme == "unix" {
		return raw, 1
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, hostlist := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hostlist = authority[:i+1], authority[i+1:]
	}
	hosts := strings.Split(hostlist, ",")
	if len(hosts) == 1 {
		return raw, 1
	}
	path, query, _ := strings.Cut(tail, "?")
	var extra []string
	for _, h := range hosts[1:] {
		extra = append(extra, "addr="+h)
	}
	if query != "" {
		extra = append(extra, query)
	}
	return scheme + "://" + userinfo + hosts[0] + path + "?" + strings.Join(extra, "&"), len(hosts)
}

// Publish delivers e to this instance's handler and sends it once to
// Redis. It returns ErrFull when the local handler is behind (Redis still
// got the event) and a wrapped error when Redis did not take it within
// PublishTimeout.
func (b *Broker) Publish(ctx context.Context, e broker.Event) error {
	select {
	case <-b.done:
		return ErrClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	local := b.enqueue(e)

	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	var err error
	switch {
	case e.AllUsers || (len(e.UserIDs) == 0 && e.RoomID == 0):
		err = b.client.Publish(ctx, b.prefix+"bus:all", encode(make([]byte, 0, encodedLen(e)), b.nonce, e)).Err()
		b.published.Add(1)
	case len(e.UserIDs) > 0:
		err = b.publishUsers(ctx, e)
	default:
		err = b.client.Publish(ctx, b.roomChannel(e.RoomID), encode(make([]byte, 0, encodedLen(e)), b.nonce, e)).Err()
		b.published.Add(1)
	}
	if err != nil {
		b.publishLost.Store(true)
		b.kickRepair()
		return fmt.Errorf("redis broker: publishing %s: %w", e.Type, err)
	}
	return local
}

// An event that could not be published is committed but reached no other
// instance, and nothing tells them: their subscribers may never have lost
// their connection, and the room's next message (which would reveal the
// gap) may never come. So once Redis answers again, the instance that
// failed to publish asks every other to resync: ControlResync on the
// all-instances channel, re-sent until it goes out.
func (b *Broker) kickRepair() {
	select {
	case b.repair <- struct{}{}:
	default:
	}
}

// repairLoop publishes the resync request while a publish was lost,
// retrying every health interval until it succeeds.
func (b *Broker) repairLoop(ctx context.Context) {
	t := time.NewTicker(b.health)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.repair:
		case <-t.C:
		}
		if !b.publishLost.Swap(false) {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, b.timeout)
		e := broker.Event{Type: broker.ControlResync, AllUsers: true}
		err := b.client.Publish(pctx, b.prefix+"bus:all", encode(make([]byte, 0, encodedLen(e)), b.nonce, e)).Err()
		cancel()
		if err != nil {
			b.publishLost.Store(true) // Redis still away: the ticker tries again
			continue
		}
		b.repairs.Add(1)
		b.log.Info("redis answers again after a lost publish; asked every instance to resync")
	}
}

// publishUsers sends one PUBLISH per user shard the event's users fall in,
// each naming only that shard's users, in one round trip.
func (b *Broker) publishUsers(ctx context.Context, e broker.Event) error {
	byShard := make(map[string][]int64)
	for _, id := range e.UserIDs {
		ch := b.userChannel(id)
		byShard[ch] = append(byShard[ch], id)
	}
	if len(byShard) == 1 {
		b.published.Add(1)
		return b.client.Publish(ctx, b.userChannel(e.UserIDs[0]), encode(make([]byte, 0, encodedLen(e)), b.nonce, e)).Err()
	}
	pipe := b.client.Pipeline()
	for ch, ids := range byShard {
		part := e
		part.UserIDs = ids
		pipe.Publish(ctx, ch, encode(make([]byte, 0, encodedLen(part)), b.nonce, part))
	}
	b.published.Add(uint64(len(byShard)))
	_, err := pipe.Exec(ctx)
	return err
}

func (b *Broker) roomChannel(id int64) string {
	if b.shards > 0 {
		return b.prefix + "bus:rooms:" + strconv.Itoa(int(uint64(id)%uint64(b.shards)))
	}
	return b.prefix + "bus:room:" + strconv.FormatInt(id, 10)
}

func (b *Broker) userChannel(id int64) string {
	if b.userSh > 0 {
		return b.prefix + "bus:users:" + strconv.Itoa(int(uint64(id)%uint64(b.userSh)))
	}
	return b.prefix + "bus:user:" + strconv.FormatInt(id, 10)
}

// enqueue hands e to the handler's queue without blocking.
func (b *Broker) enqueue(e broker.Event) error {
	select {
	case b.queue <- e:
		return nil
	default:
		b.dropped.Add(1)
		return ErrFull
	}
}

// Subscribe sets the handler. Call it before Run.
func (b *Broker) Subscribe(handle func(broker.Event)) {
	b.handleMu.Lock()
	b.handle = handle
	b.handleMu.Unlock()
}

// WatchRoom counts this instance's interest in a room: the room's channel
// is subscribed while the count is above zero. It never blocks; the
// subscription follows within a round trip to Redis, and delivery of the
// room stops at once when the count reaches zero.
func (b *Broker) WatchRoom(roomID int64, on bool) {
	ch := ""
	if b.shards == 0 {
		ch = b.roomChannel(roomID)
	}
	b.watch(b.rooms, roomID, on, ch)
}

// WatchUser is WatchRoom for a user's events.
func (b *Broker) WatchUser(userID int64, on bool) {
	ch := ""
	if b.userSh == 0 {
		ch = b.userChannel(userID)
	}
	b.watch(b.users, userID, on, ch)
}

// watch counts id on or off and, when channel is not "" (one channel per
// room or user), subscribes it on the first count and unsubscribes it
// after the last.
func (b *Broker) watch(counts map[int64]int, id int64, on bool, channel string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := counts[id]
	switch {
	case on:
		counts[id] = n + 1
		if n > 0 || channel == "" {
			return
		}
		b.channels[channel]++
		if b.channels[channel] > 1 {
			return
		}
	case n == 0:
		return // an "off" without an "on": ignore rather than go negative
	case n > 1:
		counts[id] = n - 1
		return
	default:
		delete(counts, id)
		if channel == "" {
			return
		}
		if b.channels[channel]--; b.channels[channel] > 0 {
			return
		}
		delete(b.channels, channel)
	}
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

func (b *Broker) watching(e broker.Event) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case e.AllUsers:
		return true
	case len(e.UserIDs) > 0:
		for _, id := range e.UserIDs {
			if b.users[id] > 0 {
				return true
			}
		}
		return false
	case e.RoomID != 0:
		return b.rooms[e.RoomID] > 0
	}
	return true
}

// Healthy reports whether Redis answers a PING and the subscriber is
// connected with its subscriptions live (for /ready).
func (b *Broker) Healthy(ctx context.Context) error {
	if err := b.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis broker: ping: %w", err)
	}
	if !b.connected.Load() {
		return ErrNotConnected
	}
	return nil
}

// Stats returns the counters.
func (b *Broker) Stats() Stats {
	return Stats{
		Published:     b.published.Load(),
		Received:      b.received.Load(),
		Dropped:       b.dropped.Load(),
		Filtered:      b.filtered.Load(),
		Malformed:     b.malformed.Load(),
		Resyncs:       b.resyncs.Load(),
		Repairs:       b.repairs.Load(),
		RemoteResyncs: b.remoteResyncs.Load(),
	}
}

// Run subscribes and delivers events until ctx is done or Close is
// called. It may be called once.
func (b *Broker) Run(ctx context.Context) error {
	b.life.Lock()
	if b.started {
		b.life.Unlock()
		return errors.New("redis broker: Run called twice")
	}
	if b.closed {
		b.life.Unlock()
		return nil
	}
	b.started = true
	b.life.Unlock()
	defer close(b.running)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	b.psMu.Lock()
	b.ps = b.newPubSub(ctx)
	b.psMu.Unlock()

	var wg sync.WaitGroup
	wg.Go(func() { b.deliver(ctx) })
	wg.Go(func() { b.receive(ctx) })
	wg.Go(func() { b.manage(ctx) })
	wg.Go(func() { b.repairLoop(ctx) })
	select {
	case <-ctx.Done():
	case <-b.done:
	}
	cancel()
	b.psMu.Lock()
	_ = b.ps.Close() // unblocks the receiver
	b.psMu.Unlock()
	wg.Wait()
	b.connected.Store(false)
	return nil
}

// newPubSub opens a subscriber connection to every channel of the
// desired set. psMu is held.
func (b *Broker) newPubSub(ctx context.Context) *goredis.PubSub {
	b.mu.Lock()
	var want []string
	for ch := range b.fixed {
		want = append(want, ch)
	}
	for ch := range b.channels {
		want = append(want, ch)
	}
	b.mu.Unlock()
	clear(b.applied)
	for _, ch := range want {
		b.applied[ch] = struct{}{}
	}
	// Subscribe dials now; when Redis is down it returns a PubSub that
	// dials again on the receiver's next read.
	return b.client.Subscribe(ctx, want...)
}

// Close stops delivery and waits for Run to return, so the handler is
// never called after Close returns. It closes the client if the broker
// made it.
func (b *Broker) Close() error {
	b.life.Lock()
	if b.closed {
		b.life.Unlock()
		return nil
	}
	b.closed = true
	close(b.done)
	started := b.started
	b.life.Unlock()
	if started {
		<-b.running
	}
	if b.ownClient {
		return b.client.Close()
	}
	return nil
}

// deliver is the only goroutine that calls the handler.
func (b *Broker) deliver(ctx context.Context) {
	b.handleMu.Lock()
	handle := b.handle
	b.handleMu.Unlock()
	if handle == nil {
		handle = func(broker.Event) {}
	}
	for {
		var e broker.Event
		select {
		case <-ctx.Done():
			return
		case <-b.resync:
			e = broker.Event{Type: broker.ControlResync}
		case e = <-b.queue:
		}
		// Close may have raced with the receive: nothing is delivered
		// after Close.
		select {
		case <-ctx.Done():
			return
		default:
		}
		handle(e)
	}
}

// manage applies changes of the desired channel set to the subscriber,
// batching whatever accumulated while the previous change was in flight.
func (b *Broker) manage(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.kick:
		}
		b.psMu.Lock()
		b.mu.Lock()
		var add, remove []string
		for ch := range b.channels {
			if _, ok := b.applied[ch]; !ok {
				add = append(add, ch)
				b.applied[ch] = struct{}{}
			}
		}
		for ch := range b.applied {
			if _, ok := b.channels[ch]; !ok && !b.isFixed(ch) {
				remove = append(remove, ch)
				delete(b.applied, ch)
			}
		}
		b.mu.Unlock()
		// go-redis records the channels even when the command fails, and
		// subscribes them on its next connection, so applied stays true.
		tctx, cancel := context.WithTimeout(ctx, b.timeout)
		if len(add) > 0 {
			b.subscribeCmds.Add(1)
			if err := b.ps.Subscribe(tctx, add...); err != nil && ctx.Err() == nil {
				b.connectionLost(err)
			}
		}
		if len(remove) > 0 {
			b.subscribeCmds.Add(1)
			if err := b.ps.Unsubscribe(tctx, remove...); err != nil && ctx.Err() == nil {
				b.connectionLost(err)
			}
		}
		cancel()
		b.psMu.Unlock()
	}
}

// connectionLost records that events may have been missed; the next
// confirmed subscription emits ControlResync.
func (b *Broker) connectionLost(err error) {
	b.connected.Store(false)
	if !b.lost.Swap(true) {
		b.log.Warn("redis subscriber disconnected; will resync after reconnecting", "err", err)
	}
}

// receive reads the subscriber connection: events, subscription
// confirmations and pongs, reconnecting after errors with backoff.
func (b *Broker) receive(ctx context.Context) {
	b.psMu.Lock()
	ps := b.ps
	b.psMu.Unlock()
	pinged := false
	backoff := time.Duration(0)
	for {
		msg, err := ps.ReceiveTimeout(ctx, b.health)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if isTimeout(err) {
				if pinged {
					// No answer for a whole interval: the connection is
					// dead without saying so. Replace it.
					b.connectionLost(err)
					ps = b.replace(ctx)
					pinged = false
					continue
				}
				if err := ps.Ping(ctx); err != nil {
					b.connectionLost(err)
				}
				pinged = true
				continue
			}
			// go-redis has already tried to redial (and resubscribe);
			// the next read uses that connection or dials again.
			b.connectionLost(err)
			pinged = false
			backoff = min(max(2*backoff, 50*time.Millisecond), maxBackoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff, pinged = 0, false
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				b.subscribed()
			}
		case *goredis.Message:
			b.receiveMessage(m.Payload)
		case *goredis.Pong:
		}
	}
}

// subscribed runs on each subscription confirmed. Redis runs one
// SUBSCRIBE command at a time, so the first confirmation after a
// reconnect means every channel of the resubscription is live.
func (b *Broker) subscribed() {
	b.connected.Store(true)
	if b.lost.Swap(false) {
		b.log.Info("redis subscriber reconnected; resyncing")
		b.resyncs.Add(1)
		select {
		case b.resync <- struct{}{}:
		default: // one is pending already
		}
	}
}

// replace closes the subscriber connection and opens a new one with every
// channel.
func (b *Broker) replace(ctx context.Context) *goredis.PubSub {
	b.psMu.Lock()
	defer b.psMu.Unlock()
	if ctx.Err() != nil {
		return b.ps // Run is closing it
	}
	_ = b.ps.Close()
	b.ps = b.newPubSub(ctx)
	return b.ps
}

func (b *Broker) receiveMessage(p string) {
	if o, ok := origin(p); ok && o == b.nonce {
		return // our own echo: delivered locally at Publish
	}
	e, frame, err := decodeHeader(p)
	if err != nil {
		b.malformed.Add(1)
		b.logMalformed(err, len(p))
		return
	}
	if e.Type == broker.ControlResync {
		// Another instance lost a publish (see kickRepair).
		b.remoteResyncs.Add(1)
		select {
		case b.resync <- struct{}{}:
		default: // one is pending already
		}
		return
	}
	if !b.watching(e) {
		b.filtered.Add(1)
		return
	}
	if frame != "" {
		e.Frame = []byte(frame) // shared read-only by every socket from here
	}
	b.received.Add(1)
	_ = b.enqueue(e)
}

// logMalformed logs at most once a second, so a flood of bad payloads
// cannot flood the log.
func (b *Broker) logMalformed(err error, size int) {
	now := time.Now().UnixNano()
	last := b.lastBadLog.Load()
	if now-last < int64(time.Second) || !b.lastBadLog.CompareAndSwap(last, now) {
		return
	}
	b.log.Warn("dropping a malformed broker payload", "err", err, "bytes", size, "malformed_total", b.malformed.Load())
}

func (b *Broker) isFixed(ch string) bool {
	_, ok := b.fixed[ch]
	return ok
}

// layout maps a benchmark override onto a channel count (0: one per id).
func layout(override, def int) int {
	switch {
	case override < 0:
		return 0
	case override > 0:
		return override
	}
	return def
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orDefaultDur(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
