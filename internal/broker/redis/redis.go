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
// Room events go to one channel per room, subscribed while this instance
// has a local socket in the room (WatchRoom); user events (UserIDs) go to
// one of a fixed set of user-shard channels, subscribed while a watched
// user hashes to it, one PUBLISH per shard the event's users fall in, all
// in one pipelined round trip; AllUsers events go to one channel every
// broker always listens to. A received room or user event for a room or
// user this instance does not watch is dropped before the handler, so the
// handler sees the same events whatever the channel layout.
//
// Why per-room channels rather than a fixed sharded set for rooms, measured
// by BenchmarkChannels (3 brokers on one Redis, see the figures in
// docs/scaling.md and the commit that chose this): Redis sends a room event
// only to the instances with sockets in the room, so with rooms spread over
// instances each instance receives and decodes a fraction of the traffic
// instead of all of it, and SUBSCRIBE churn is cheap (a subscription change
// costs one command on the subscriber connection, batched by a single
// goroutine, and never blocks WatchRoom). User events go to shards instead
// because one event (an unread mark) names hundreds of users: one channel
// per user would make it hundreds of PUBLISHes.
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
// cluster bus, so the guarantees above hold unchanged, but every node
// carries every message: pub/sub throughput does not grow with the cluster
// (sharded pub/sub, SPUBLISH, would; see docs/scaling.md).
package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
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
	// userShards is the number of user-event channels. Every instance
	// must agree on it (publishers and subscribers hash the same way), so
	// it is a constant of the wire format, not an option.
	userShards = 64
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

	// roomShards > 0 maps rooms onto that many channels instead of one
	// channel per room (BenchmarkChannels compares the two).
	roomShards int
	// health overrides healthInterval (tests).
	health time.Duration
}

// Stats are the broker's counters, for metrics.
type Stats struct {
	Published uint64 // events sent to Redis
	Received  uint64 // events from other instances handed to the queue
	Dropped   uint64 // events dropped because the queue was full
	Malformed uint64 // payloads that did not decode
	Resyncs   uint64 // ControlResync events emitted
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
	shards    int
	log       *slog.Logger

	queue  chan broker.Event
	resync chan struct{} // capacity 1: pending resyncs coalesce

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

	published, received, dropped, malformed, resyncs atomic.Uint64
	lastBadLog                                       atomic.Int64
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
		shards:   opts.roomShards,
		log:      opts.Logger,
		resync:   make(chan struct{}, 1),
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
		return goredis.NewFailoverClient(o), nil
	case hosts > 1 || strings.Contains(u, "addr="):
		o, err := goredis.ParseClusterURL(u)
		if err != nil {
			return nil, fmt.Errorf("redis: cluster URL: %w", err)
		}
		return goredis.NewClusterClient(o), nil
	default:
		o, err := goredis.ParseURL(u)
		if err != nil {
			return nil, fmt.Errorf("redis: URL: %w", err)
		}
		return goredis.NewClient(o), nil
	}
}

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
		return fmt.Errorf("redis broker: publishing %s: %w", e.Type, err)
	}
	return local
}

// publishUsers sends one PUBLISH per user shard the event's users fall in,
// each naming only that shard's users, in one round trip.
func (b *Broker) publishUsers(ctx context.Context, e broker.Event) error {
	byShard := make(map[int][]int64)
	for _, id := range e.UserIDs {
		s := userShard(id)
		byShard[s] = append(byShard[s], id)
	}
	if len(byShard) == 1 {
		b.published.Add(1)
		return b.client.Publish(ctx, b.userChannel(userShard(e.UserIDs[0])), encode(make([]byte, 0, encodedLen(e)), b.nonce, e)).Err()
	}
	pipe := b.client.Pipeline()
	for s, ids := range byShard {
		part := e
		part.UserIDs = ids
		pipe.Publish(ctx, b.userChannel(s), encode(make([]byte, 0, encodedLen(part)), b.nonce, part))
	}
	b.published.Add(uint64(len(byShard)))
	_, err := pipe.Exec(ctx)
	return err
}

func userShard(id int64) int { return int(uint64(id) % userShards) }

func (b *Broker) roomChannel(id int64) string {
	if b.shards > 0 {
		return b.prefix + "bus:rooms:" + strconv.Itoa(int(uint64(id)%uint64(b.shards)))
	}
	return b.prefix + "bus:room:" + strconv.FormatInt(id, 10)
}

func (b *Broker) userChannel(shard int) string {
	return b.prefix + "bus:users:" + strconv.Itoa(shard)
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
	b.watch(b.rooms, roomID, on, b.roomChannel(roomID))
}

// WatchUser is WatchRoom for a user's events.
func (b *Broker) WatchUser(userID int64, on bool) {
	b.watch(b.users, userID, on, b.userChannel(userShard(userID)))
}

func (b *Broker) watch(counts map[int64]int, id int64, on bool, channel string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := counts[id]
	switch {
	case on:
		counts[id] = n + 1
		if n > 0 {
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
		Published: b.published.Load(),
		Received:  b.received.Load(),
		Dropped:   b.dropped.Load(),
		Malformed: b.malformed.Load(),
		Resyncs:   b.resyncs.Load(),
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
	want := []string{b.prefix + "bus:all"}
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
			if _, ok := b.channels[ch]; !ok && ch != b.prefix+"bus:all" {
				remove = append(remove, ch)
				delete(b.applied, ch)
			}
		}
		b.mu.Unlock()
		// go-redis records the channels even when the command fails, and
		// subscribes them on its next connection, so applied stays true.
		tctx, cancel := context.WithTimeout(ctx, b.timeout)
		if len(add) > 0 {
			if err := b.ps.Subscribe(tctx, add...); err != nil && ctx.Err() == nil {
				b.connectionLost(err)
			}
		}
		if len(remove) > 0 {
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
	e, err := decode(p)
	if err != nil {
		b.malformed.Add(1)
		b.logMalformed(err, len(p))
		return
	}
	if !b.watching(e) {
		return
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

// sortedChannels lists the applied channels (tests).
func (b *Broker) sortedChannels() []string {
	b.psMu.Lock()
	defer b.psMu.Unlock()
	var out []string
	for ch := range b.applied {
		out = append(out, ch)
	}
	slices.Sort(out)
	return out
}
