package realtime

import "time"

// Config tunes the hub. Zero fields take the defaults in DefaultConfig, so
// tests set only what they change (e.g. a short PingInterval).
type Config struct {
	// AllowedOrigins lists extra origins ("https://chat.example.com") that
	// may open the cable besides the server's own host.
	AllowedOrigins []string
	// InstanceID prefixes socket ids in presence records, so ids are unique
	// across instances.
	InstanceID string
	// TrustProxy takes the request's scheme from X-Forwarded-Proto (behind
	// a proxy that sets it), for the Origin check.
	TrustProxy bool

	// QueueSize bounds each socket's send queue; a socket whose queue is
	// full is closed with 4008 and resumes by seq when it reconnects.
	QueueSize int
	// MaxSubscriptions bounds the rooms one socket subscribes to.
	MaxSubscriptions int
	// MaxConnsPerUser bounds one account's sockets on an instance (tabs ×
	// devices); past it the upgrade is refused with 429.
	MaxConnsPerUser int
	// ReadLimit is the largest client frame accepted (the contract's 64 KiB).
	// Frames up to 4×ReadLimit are read, discarded and answered with an
	// error; larger ones close the socket with 1009.
	ReadLimit int64

	// PingInterval is how often the server pings an idle socket.
	PingInterval time.Duration
	// PongWait is how long past a ping interval the server waits for any
	// frame (a pong included) before it drops the socket.
	PongWait time.Duration
	// FlushInterval is the least time between two writes to one socket
	// (0: write as soon as something is queued). A socket that was idle is
	// written to at once; under a stream of events the frames that arrive
	// within the interval share one write, trading up to FlushInterval of
	// latency for fewer system calls.
	FlushInterval time.Duration
	// WriteTimeout bounds one flush of a socket's queue.
	WriteTimeout time.Duration
	// CloseGrace is how long a closing socket may take to flush its close
	// frame and see the client's reply.
	CloseGrace time.Duration

	// HeartbeatTTL is how long a heartbeat keeps a membership connected
	// (presence). Any client frame, a pong included, is a heartbeat.
	HeartbeatTTL time.Duration
	// PresenceInterval coalesces presence events: a room's online set is
	// published at most once per interval, so a join storm costs one event
	// per room, not one per join.
	PresenceInterval time.Duration
	// TypingTTL expires a typing indicator that was not refreshed.
	TypingTTL time.Duration

	// Per-socket token buckets: every frame, posts, typing frames. Going
	// over answers with an error frame and costs a strike; a socket out of
	// strikes (Strikes burst, refilled one per second) is closed with 1008.
	// Typing starts over TypingRate are the exception: dropped silently.
	FrameRate, PostRate, TypingRate    float64 // per second
	FrameBurst, PostBurst, TypingBurst int
	Strikes                            int

	// GapWait is how long message.created events past a gap wait for the
	// missing seq before the gap is filled from the database.
	GapWait time.Duration
	// MaxPending bounds the events a room holds while it waits for a gap.
	MaxPending int
	// ReplayPage is how many messages one database read of a replay or gap
	// fill returns.
	ReplayPage int
	// BackendTimeout bounds each Backend call.
	BackendTimeout time.Duration
	// SubscribeConcurrency bounds the subscribes whose database reads run
	// at once; the rest wait their turn (up to SubscribeWait, then the
	// socket is closed with CloseTryAgain).
	SubscribeConcurrency int
	SubscribeWait        time.Duration
}

// DefaultConfig is the configuration every zero field falls back to.
var DefaultConfig = Config{
	QueueSize:        256,
	MaxSubscriptions: 64,
	MaxConnsPerUser:  32,
	ReadLimit:        64 << 10,
	PingInterval:     25 * time.Second,
	PongWait:         20 * time.Second,
	FlushInterval:    15 * time.Millisecond,
	WriteTimeout:     10 * time.Second,
	CloseGrace:       time.Second,
	HeartbeatTTL:     60 * time.Second,
	PresenceInterval: time.Second,
	TypingTTL:        5 * time.Second,
	FrameRate:        50,
	FrameBurst:       200,
	PostRate:         10,
	PostBurst:        30,
	TypingRate:       5,
	TypingBurst:      10,
	Strikes:          10,
	GapWait:          100 * time.Millisecond,
	MaxPending:       1024,
	ReplayPage:       100,
	BackendTimeout:   10 * time.Second,
	// About the read pool's size: more would only queue inside it.
	SubscribeConcurrency: 16,
	SubscribeWait:        30 * time.Second,
}

func (c Config) withDefaults() Config {
	d := DefaultConfig
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	setF := func(v *float64, def float64) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&c.QueueSize, d.QueueSize)
	set(&c.MaxSubscriptions, d.MaxSubscriptions)
	set(&c.MaxConnsPerUser, d.MaxConnsPerUser)
	if c.ReadLimit <= 0 {
		c.ReadLimit = d.ReadLimit
	}
	setD(&c.PingInterval, d.PingInterval)
	setD(&c.PongWait, d.PongWait)
	if c.FlushInterval == 0 {
		c.FlushInterval = d.FlushInterval
	}
	setD(&c.WriteTimeout, d.WriteTimeout)
	setD(&c.CloseGrace, d.CloseGrace)
	setD(&c.HeartbeatTTL, d.HeartbeatTTL)
	setD(&c.PresenceInterval, d.PresenceInterval)
	setD(&c.TypingTTL, d.TypingTTL)
	setF(&c.FrameRate, d.FrameRate)
	setF(&c.PostRate, d.PostRate)
	setF(&c.TypingRate, d.TypingRate)
	set(&c.FrameBurst, d.FrameBurst)
	set(&c.PostBurst, d.PostBurst)
	set(&c.TypingBurst, d.TypingBurst)
	set(&c.Strikes, d.Strikes)
	setD(&c.GapWait, d.GapWait)
	set(&c.MaxPending, d.MaxPending)
	set(&c.ReplayPage, d.ReplayPage)
	setD(&c.BackendTimeout, d.BackendTimeout)
	set(&c.SubscribeConcurrency, d.SubscribeConcurrency)
	setD(&c.SubscribeWait, d.SubscribeWait)
	return c
}

// FollowLimits raises the per-socket limits so they never undercut the
// operator's settings (config.Limits): the post bucket refills at least at
// postRate a second and holds at least postBurst, the frame bucket keeps the
// defaults' headroom above it for pings, subscribes and typing, and a frame
// may carry the largest message. With the default settings nothing changes.
// Only people post over the cable (it authenticates sessions; bots have
// none), so postRate is the people's posting budget.
func (c Config) FollowLimits(postRate float64, postBurst, messageBytes int) Config {
	c = c.withDefaults()
	d := DefaultConfig
	c.PostRate = max(c.PostRate, postRate)
	c.PostBurst = max(c.PostBurst, postBurst)
	c.FrameRate = max(c.FrameRate, c.PostRate+d.FrameRate-d.PostRate)
	c.FrameBurst = max(c.FrameBurst, c.PostBurst+d.FrameBurst-d.PostBurst)
	c.ReadLimit = max(c.ReadLimit, int64(messageBytes))
	return c
}
