// Package campfire is the application core: every use case a person, a bot
// or the cable can trigger, with its authorization, validation, rendering,
// storage and event publishing. HTTP handlers, the cable and the bot API all
// call through here, so a message posted any way takes the same path:
// authorize → validate → render once → commit → publish after commit.
package campfire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/push"
	"github.com/campfire-go/campfire/internal/ratelimit"
	"github.com/campfire-go/campfire/internal/render"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/store"
)

// Presence tells which members have a live, visible socket in a room; they
// are not marked unread because they are reading along.
type Presence interface {
	Online(ctx context.Context, roomID int64) ([]int64, error)
}

// Options configures a Core. Zero values take the defaults.
type Options struct {
	Limits     chat.Limits
	BcryptCost int
	// LoginBurst attempts per LoginPer per IP (contract: 10 per 3 min).
	LoginBurst int
	LoginPer   time.Duration
	// PostBurst messages per PostPer per user.
	PostBurst int
	PostPer   time.Duration
	// SignInAccount bounds sign-in attempts per account (default 20 per
	// 10 min), from anywhere and, separately, from each known device.
	SignInAccount ratelimit.Rate
	// Join bounds join-code attempts per IP; zero shares the LoginBurst
	// budget, as both guess at secrets.
	Join ratelimit.Rate
	// Actions bounds room creation, pings and profile changes per user
	// (default 20 per minute).
	Actions ratelimit.Rate
	// BotPosts is every bot's posting budget instead of PostBurst/PostPer
	// (zero: the same as people's); BotPostOverrides gives single bots, by
	// user id, their own (a CI bot that posts 20 a second).
	BotPosts         ratelimit.Rate
	BotPostOverrides map[int64]ratelimit.Rate
	// Limiters builds the rate limits; nil keeps them in process, per
	// instance. N instances share one (ratelimit/redis behind
	// ratelimit.Fallback), so a limit holds across them instead of
	// multiplying by N.
	Limiters ratelimit.Factory
	// WebhookTimeout bounds one bot webhook call (contract: 7 s).
	WebhookTimeout time.Duration
	// WebhookQueue bounds pending webhook deliveries; past it they are
	// dropped and logged.
	WebhookQueue   int
	WebhookWorkers int
	// DeviceSecret signs the "known device" tokens that give a browser
	// which signed in before its own sign-in budget (SECRET_KEY_BASE; every
	// instance must share it). Empty: a random key per process, so devices
	// are forgotten on restart and are not known to other instances.
	DeviceSecret string
	// OnMessage, when set, is told about every stored message and the time
	// from validation to commit (metrics).
	OnMessage func(time.Duration)
}

func (o *Options) defaults() {
	if o.Limits == (chat.Limits{}) {
		o.Limits = chat.DefaultLimits
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = bcrypt.DefaultCost
	}
	if o.LoginBurst == 0 {
		o.LoginBurst, o.LoginPer = 10, 3*time.Minute
	}
	if o.PostBurst == 0 {
		// A person types far slower; a chatty bot or a paste burst fits.
		o.PostBurst, o.PostPer = 30, 10*time.Second
	}
	if o.SignInAccount.IsZero() {
		o.SignInAccount = ratelimit.Rate{Burst: 20, Per: 10 * time.Minute}
	}
	if o.Actions.IsZero() {
		o.Actions = ratelimit.Rate{Burst: 20, Per: time.Minute}
	}
	if o.Limiters == nil {
		o.Limiters = ratelimit.LocalFactory(100_000)
	}
	if o.WebhookTimeout == 0 {
		o.WebhookTimeout = 7 * time.Second
	}
	if o.WebhookQueue == 0 {
		o.WebhookQueue = 1000
	}
	if o.WebhookWorkers == 0 {
		o.WebhookWorkers = 4
	}
}

// Core implements the use cases. It is safe for concurrent use.
type Core struct {
	store    store.Store
	sessions session.Store
	broker   broker.Broker
	presence Presence
	render   *render.Renderer
	opts     Options
	log      *slog.Logger
	now      func() time.Time

	loginLimit  ratelimit.Store // per client IP (IPv6 by /64)
	emailLimit  ratelimit.Store // sign-in attempts per account, from any IP
	deviceLimit ratelimit.Store // sign-in attempts per account from one known device
	postLimit   ratelimit.Store // posts, edits and boosts per user, weighted by size
	actionLimit ratelimit.Store // room creation and profile changes per user
	joinLimit   ratelimit.Store // join-code attempts per IP (loginLimit unless set)
	// botPostLimit replaces postLimit for bots when set; botPostLimits for
	// the bots named in BotPostOverrides (a map fixed at start).
	botPostLimit  ratelimit.Store
	botPostLimits map[int64]ratelimit.Store

	banned atomic.Pointer[map[string]struct{}]
	banMu  sync.Mutex // serialises refreshes of banned

	contact      atomic.Pointer[cachedContact]
	webhooks     chan webhookJob
	media        media      // link previews, avatars, logo (previews.go)
	pusher       *push.Pool // Web Push (push.go); nil: none
	localControl func(broker.Event)
	deviceKey    []byte          // HMAC key of known-device tokens
	linkUsed     ratelimit.Store // sign-in links used, by id (signin_link.go)
	purgeKick    chan struct{}   // wakes the banned-message purge (admin_settings.go)
	files        *files          // attachments (attachments.go); nil: uploads unavailable
	// dummyHash makes a sign-in for an unknown email cost as much as one
	// with a wrong password, so timing does not reveal who has an account.
	dummyHash []byte
}

// New builds a Core. presence may be nil until the hub exists (SetPresence).
func New(st store.Store, sessions session.Store, b broker.Broker, r *render.Renderer, opts Options, log *slog.Logger) *Core {
	opts.defaults()
	c := &Core{
		store: st, sessions: sessions, broker: b, render: r, opts: opts, log: log,
		now:        time.Now,
		loginLimit: opts.Limiters("login", opts.LoginBurst, opts.LoginPer),
		// Guessing one person's password from many addresses: 20 tries per
		// 10 minutes, generous for a person who forgot it.
		emailLimit: opts.Limiters("email", opts.SignInAccount.Burst, opts.SignInAccount.Per),
		// The same allowance per device that signed in before, kept apart
		// so a stranger spending the one above locks nobody out.
		deviceLimit: opts.Limiters("device", opts.SignInAccount.Burst, opts.SignInAccount.Per),
		deviceKey:   deviceKey(opts.DeviceSecret),
		linkUsed:    opts.Limiters("signin_link", 1, SignInLinkTTL),
		postLimit:   opts.Limiters("post", opts.PostBurst, opts.PostPer),
		actionLimit: opts.Limiters("action", opts.Actions.Burst, opts.Actions.Per),
		webhooks:    make(chan webhookJob, opts.WebhookQueue),
		purgeKick:   make(chan struct{}, 1),
	}
	c.joinLimit = c.loginLimit
	if r := opts.Join; !r.IsZero() {
		c.joinLimit = opts.Limiters("join", r.Burst, r.Per)
	}
	if r := opts.BotPosts; !r.IsZero() {
		c.botPostLimit = opts.Limiters("post.bot", r.Burst, r.Per)
	}
	c.botPostLimits = make(map[int64]ratelimit.Store, len(opts.BotPostOverrides))
	for id, r := range opts.BotPostOverrides {
		// Its own name: a shared store's limits are keyed by name, and each
		// name has one rate on every instance.
		c.botPostLimits[id] = opts.Limiters(fmt.Sprintf("post.bot.%d", id), r.Burst, r.Per)
	}
	c.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("campfire-dummy-password"), opts.BcryptCost)
	empty := map[string]struct{}{}
	c.banned.Store(&empty)
	return c
}

// SetPresence connects the hub's presence after construction (the hub
// itself is built on the Core).
func (c *Core) SetPresence(p Presence) { c.presence = p }

// SetClock replaces time.Now (tests).
func (c *Core) SetClock(now func() time.Time) { c.now = now }

// Limits are the size limits in force.
func (c *Core) Limits() chat.Limits { return c.opts.Limits }

// Run owns the Core's background work (webhook delivery, ban list refresh)
// until ctx is done, then waits for in-flight webhook calls.
func (c *Core) Run(ctx context.Context) error {
	if err := c.RefreshBans(ctx); err != nil {
		c.log.Warn("loading banned IPs", "err", err)
	}
	var wg sync.WaitGroup
	for range c.opts.WebhookWorkers {
		wg.Go(func() { c.webhookWorker(ctx) })
	}
	wg.Go(func() { c.runPreviews(ctx) })
	wg.Go(func() { c.runPurge(ctx) })
	// Other instances may ban too; pick their bans up within a minute.
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-t.C:
			if err := c.RefreshBans(ctx); err != nil {
				c.log.Warn("refreshing banned IPs", "err", err)
			}
		}
	}
}

// SetLocalControl gives the Core this instance's hub: revocations (control
// events) are applied to local sockets at once, besides being published for
// the other instances. The broker is at-most-once, and a revocation must not
// be the event a full queue drops. Applying one twice is harmless.
func (c *Core) SetLocalControl(handle func(broker.Event)) { c.localControl = handle }

// control applies a revocation locally and publishes it.
func (c *Core) control(ctx context.Context, e broker.Event) {
	if c.localControl != nil {
		c.localControl(e)
	}
	c.publish(ctx, e)
}

// publish sends an event after its transaction committed. The broker is
// at-most-once; a failure is logged, and clients recover by seq.
func (c *Core) publish(ctx context.Context, e broker.Event) {
	if err := c.broker.Publish(context.WithoutCancel(ctx), e); err != nil {
		c.log.Warn("publishing event", "type", e.Type, "room", e.RoomID, "err", err)
	}
}

func (c *Core) publishToUsers(ctx context.Context, typ string, userIDs []int64, frame []byte) {
	if len(userIDs) == 0 {
		return
	}
	c.publish(ctx, broker.Event{Type: typ, UserIDs: userIDs, Frame: frame})
}

// online returns the room's connected members; presence is advisory, so an
// error only means everyone gets an unread mark.
func (c *Core) online(ctx context.Context, roomID int64) []int64 {
	if c.presence == nil {
		return nil
	}
	ids, err := c.presence.Online(ctx, roomID)
	if err != nil {
		c.log.Warn("reading presence", "room", roomID, "err", err)
	}
	return ids
}

// ipKey is the rate-limit key of a client address: IPv6 clients by their
// /64, which one subscriber usually holds whole.
func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	return ratelimit.IPKey(a)
}

// postCost is what a post or edit takes from the poster's budget: one
// token per started 4 KiB, since rendering cost grows with size and the
// largest bodies are where Markdown's worst cases live.
func postCost(body string) int { return 1 + len(body)/4096 }

// What a limit does when its Store cannot decide (a shared store that is
// down and has no fallback). The shipped shared store falls back to
// per-instance limits and so always decides; this is the last line.
const (
	// failOpen allows: posting and room changes must not stop because a
	// limiter did, and a person stays bounded by the other checks.
	failOpen = false
	// failClosed refuses with 503: guessing passwords or join codes must
	// never become unlimited.
	failClosed = true
)

// limit spends n of key's tokens in s, or returns the rate-limited error
// naming what the caller was doing.
func (c *Core) limit(ctx context.Context, s ratelimit.Store, key string, n int, what string, closed bool) error {
	ok, retry, err := s.AllowN(ctx, key, n)
	if err != nil {
		if closed {
			c.log.ErrorContext(ctx, "rate limit undecided; refusing", "what", what, "err", err)
			return chat.Errorf(chat.KindUnavailable, "unavailable", "%s is briefly unavailable; try again shortly", what)
		}
		c.log.WarnContext(ctx, "rate limit undecided; allowing", "what", what, "err", err)
		return nil
	}
	if !ok {
		return chat.RateLimited(what, retry)
	}
	return nil
}

// postBudget is the posting budget u spends: a bot's own when the
// operator set one, else the bots' when set, else everyone's.
func (c *Core) postBudget(u chat.User) ratelimit.Store {
	if u.Role == chat.RoleBot {
		if s, ok := c.botPostLimits[u.ID]; ok {
			return s
		}
		if c.botPostLimit != nil {
			return c.botPostLimit
		}
	}
	return c.postLimit
}

// limitAction spends one of u's tokens for rooms and profile changes.
func (c *Core) limitAction(ctx context.Context, u chat.User, what string) error {
	return c.limit(ctx, c.actionLimit, keyUser(u.ID), 1, what, failOpen)
}

func requireAdmin(u chat.User) error {
	if !u.IsAdmin() {
		return chat.Forbidden("only an administrator can do that")
	}
	return nil
}

// notFoundAs turns a store not-found into a client-facing one naming what.
func notFoundAs(err error, what string) error {
	if errors.Is(err, chat.ErrNotFound) {
		return chat.NotFound(what)
	}
	return err
}

func (c *Core) hashPassword(p string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(p), c.opts.BcryptCost)
	if err != nil {
		return "", fmt.Errorf("hashing password: %w", err)
	}
	return string(h), nil
}

func without(ids []int64, id int64) []int64 {
	return slices.DeleteFunc(slices.Clone(ids), func(x int64) bool { return x == id })
}
