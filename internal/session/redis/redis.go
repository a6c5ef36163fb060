// Package redis keeps sessions for N instances. The database stays the
// durable record: it lists a user's sessions, gives DeactivateUser the IPs
// to ban, and keeps everyone signed in through a Redis flush or restart.
// Redis holds <prefix>session:<token hash> → the session, with a TTL of
// IdleTTL that every Lookup restarts (GETEX, one round trip): the sliding
// idle timeout, the same on every instance.
//
// Lookup on a Redis hit still reads the user from the database by id, so a
// deactivated or banned user is refused at once everywhere. On a miss (the
// key expired, was revoked, or Redis lost it) Lookup falls back to the
// database row: a row idle for less than IdleTTL is cached again, an older
// one is deleted and refused.
//
// Revocation. Delete and Revoke delete the database rows, then the Redis
// keys. When that DEL fails (Redis unreachable) the call still succeeds,
// because the database is the record: this instance refuses the session at
// once and retries the DEL in the background, and every other instance
// refuses it at the latest TouchEvery later, when a hit's activity touch
// finds the row gone (the touch is due TouchEvery after the cached
// last-active time, which is never after the revocation). With Redis
// reachable, a revoked session is refused everywhere once the call returns:
// a Lookup racing the revocation never leaves a copy behind (activity
// updates use SET XX, and a re-cache reads the row again after its SET).
// Open sockets are closed by the caller's hub events regardless.
//
// When Redis cannot be reached, Lookup answers from the database (logging at
// most once per LogEvery) and Create stores the session there only; the
// cache fills again on the next Lookup once Redis is back.
package redis

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/store"
)

// Options configure a Store. Zero values take the defaults.
type Options struct {
	// Prefix starts every key (default "campfire:"), so deployments and
	// tests can share one Redis.
	Prefix string
	// IdleTTL signs a session out after that long without a Lookup
	// (default 24h). Negative: never, as on one instance by default; keys
	// then slide with DefaultIdleTTL as a cache's lifetime and a miss is
	// served from the database.
	IdleTTL time.Duration
	// Now is the clock for activity times (default time.Now). Redis's own
	// TTLs run on Redis's clock.
	Now func() time.Time
	// Logger receives Redis failures (default slog.Default()).
	Logger *slog.Logger
	// LogEvery is the least time between two "Redis unreachable" warnings
	// (default 10s): a Redis outage must not log once per request.
	LogEvery time.Duration
	// RetryEvery is how often DELs that failed are tried again (default 1s).
	RetryEvery time.Duration
	// MaxPending bounds the revoked hashes waiting for a retried DEL
	// (default 10,000); past it a revocation relies on the TouchEvery bound.
	MaxPending int
	// Backoff is how long, after a Redis failure, Lookup and Create go
	// straight to the database (default 1s): an outage then costs one slow
	// request per Backoff, not a dial timeout on every request.
	Backoff time.Duration
}

const (
	DefaultPrefix  = "campfire:"
	DefaultIdleTTL = 24 * time.Hour
)

func (o *Options) setDefaults() {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.IdleTTL == 0 {
		o.IdleTTL = DefaultIdleTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.LogEvery <= 0 {
		o.LogEvery = 10 * time.Second
	}
	if o.RetryEvery <= 0 {
		o.RetryEvery = time.Second
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 10_000
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
}

// Store is the Redis-cached session store. Close stops its retry loop; the
// Redis client and the database belong to the caller.
type Store struct {
	rdb  goredis.UniversalClient
	db   *session.DB
	opts Options

	lastWarn  atomic.Int64 // unix nanoseconds of the last warning
	downUntil atomic.Int64 // unix nanoseconds: skip Redis until then

	mu      sync.Mutex
	pending map[string]time.Time // revoked hash → when to stop retrying its DEL

	ctx       context.Context // cancelled by Close
	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

var _ session.Store = (*Store)(nil)

// New returns a Store over the Redis client rdb and the database st, and
// starts its retry loop.
func New(rdb goredis.UniversalClient, st store.Store, opts Options) *Store {
	opts.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Store{
		rdb:     rdb,
		db:      &session.DB{Store: st, Now: opts.Now, IdleTTL: max(opts.IdleTTL, 0)},
		opts:    opts,
		pending: make(map[string]time.Time),
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
	}
	go s.retryLoop()
	return s
}

// Close stops the retry loop and waits for it. DELs still pending are
// left to the TouchEvery bound.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		<-s.done
	})
	return nil
}

// Key returns the Redis key of a token hash.
func (s *Store) Key(tokenHash string) string { return s.opts.Prefix + "session:" + tokenHash }

// cacheTTL is the keys' sliding lifetime: the idle timeout, or with none
// (IdleTTL < 0) DefaultIdleTTL, so an unused key still leaves Redis while
// its session lives on in the database.
func (s *Store) cacheTTL() time.Duration {
	if s.opts.IdleTTL < 0 {
		return DefaultIdleTTL
	}
	return s.opts.IdleTTL
}

// IdleTTL returns the idle timeout in force (negative: none).
func (s *Store) IdleTTL() time.Duration { return s.opts.IdleTTL }

func (s *Store) Create(ctx context.Context, userID int64, ip, userAgent string) (string, chat.Session, error) {
	token, ss, err := s.db.Create(ctx, userID, ip, userAgent)
	if err != nil || s.down() {
		return token, ss, err
	}
	if err := s.rdb.Set(ctx, s.Key(ss.TokenHash), encode(ss), s.cacheTTL()).Err(); err != nil {
		s.warn(ctx, "session not cached in Redis; the next lookup will", err)
	}
	return token, ss, nil
}

func (s *Store) Lookup(ctx context.Context, token, ip, userAgent string) (chat.Session, chat.User, error) {
	if !session.ValidToken(token) {
		return chat.Session{}, chat.User{}, chat.ErrNotFound
	}
	h := session.Hash(token)
	if s.isPending(h) {
		return chat.Session{}, chat.User{}, chat.ErrNotFound
	}
	if s.down() {
		return s.db.Lookup(ctx, token, ip, userAgent)
	}
	raw, err := s.rdb.GetEx(ctx, s.Key(h), s.cacheTTL()).Bytes()
	switch {
	case err == nil:
		if ss, ok := decode(raw, h); ok {
			return s.hit(ctx, ss, ip, userAgent)
		}
		// Unreadable (another release's format): the database rewrites it.
	case errors.Is(err, goredis.Nil):
	default:
		if ctx.Err() != nil {
			return chat.Session{}, chat.User{}, ctx.Err()
		}
		s.warn(ctx, "session lookup answered from the database", err)
		return s.db.Lookup(ctx, token, ip, userAgent)
	}
	ss, u, err := s.db.Lookup(ctx, token, ip, userAgent)
	if err != nil {
		return chat.Session{}, chat.User{}, err
	}
	if err := s.rdb.Set(ctx, s.Key(h), encode(ss), s.cacheTTL()).Err(); err != nil {
		s.warn(ctx, "session not cached in Redis", err)
		return ss, u, nil
	}
	// A revocation between the read above and the SET would find no key to
	// delete and leave this copy behind; reading the row again after the
	// SET closes that gap (a miss is rare: once per IdleTTL or flush).
	if _, _, err := s.db.Store.SessionByTokenHash(ctx, h); err != nil {
		if errors.Is(err, chat.ErrNotFound) {
			s.forget(ctx, h)
		}
		return chat.Session{}, chat.User{}, err
	}
	return ss, u, nil
}

// hit completes a Lookup that Redis answered: the user comes from the
// database, and the activity touch doubles as the check that the row still
// exists.
func (s *Store) hit(ctx context.Context, ss chat.Session, ip, userAgent string) (chat.Session, chat.User, error) {
	u, err := s.db.Store.User(ctx, ss.UserID)
	if err == nil && !u.Active() {
		err = chat.ErrNotFound
	}
	if err == nil {
		var wrote bool
		wrote, err = s.db.Touch(ctx, &ss, s.opts.Now(), ip, userAgent)
		switch {
		case wrote:
			// XX: never bring back a key that a revocation deleted meanwhile.
			if err := s.rdb.SetXX(ctx, s.Key(ss.TokenHash), encode(ss), s.cacheTTL()).Err(); err != nil {
				s.warn(ctx, "session activity not cached in Redis", err)
			}
		case err != nil && !errors.Is(err, chat.ErrNotFound):
			err = nil // activity is advisory: a failed touch must not fail the request
		}
	}
	if errors.Is(err, chat.ErrNotFound) {
		s.forget(ctx, ss.TokenHash)
		return chat.Session{}, chat.User{}, chat.ErrNotFound
	}
	if err != nil {
		return chat.Session{}, chat.User{}, fmt.Errorf("session user: %w", err)
	}
	return ss, u, nil
}

func (s *Store) Delete(ctx context.Context, token string) (chat.Session, error) {
	if !session.ValidToken(token) {
		return chat.Session{}, nil
	}
	ss, err := s.db.Delete(ctx, token)
	if err != nil {
		return chat.Session{}, err
	}
	s.forget(ctx, session.Hash(token))
	return ss, nil
}

func (s *Store) Revoke(ctx context.Context, hashes ...string) error {
	if len(hashes) == 0 {
		return nil
	}
	err := s.db.Revoke(ctx, hashes...)
	// Dropping a key whose row survived only costs a database read.
	s.forget(ctx, hashes...)
	return err
}

// forget deletes the hashes' keys; what fails is refused here at once and
// retried in the background.
func (s *Store) forget(ctx context.Context, hashes ...string) {
	err := s.del(ctx, hashes)
	if err == nil {
		return
	}
	s.warn(ctx, "revoked session still in Redis; retrying", err)
	until := s.opts.Now().Add(session.TouchEvery)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range hashes {
		if len(s.pending) >= s.opts.MaxPending {
			return
		}
		s.pending[h] = until
	}
}

// del deletes keys one command each, pipelined: a multi-key DEL would
// fail with CROSSSLOT on Redis Cluster.
func (s *Store) del(ctx context.Context, hashes []string) error {
	if len(hashes) == 1 {
		return s.rdb.Del(ctx, s.Key(hashes[0])).Err()
	}
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, h := range hashes {
			p.Del(ctx, s.Key(h))
		}
		return nil
	})
	return err
}

func (s *Store) isPending(h string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.pending[h]
	return ok
}

func (s *Store) retryLoop() {
	defer close(s.done)
	t := time.NewTicker(s.opts.RetryEvery)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		hashes := s.duePending()
		if len(hashes) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.opts.RetryEvery)
		err := s.del(ctx, hashes)
		cancel()
		if err == nil {
			s.mu.Lock()
			for _, h := range hashes {
				delete(s.pending, h)
			}
			s.mu.Unlock()
		}
	}
}

// duePending drops the hashes past their retry window (every instance's
// touch refuses them by then) and returns the rest.
func (s *Store) duePending() []string {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.pending))
	for h, until := range s.pending {
		if now.After(until) {
			delete(s.pending, h)
			continue
		}
		out = append(out, h)
	}
	return out
}

// down reports whether Redis failed less than Backoff ago.
func (s *Store) down() bool { return time.Now().UnixNano() < s.downUntil.Load() }

// warn notes a Redis failure: Redis is skipped for Backoff, and the
// failure logged at most once per LogEvery. A cancelled request is not a
// Redis failure.
func (s *Store) warn(ctx context.Context, msg string, err error) {
	if ctx.Err() != nil {
		return
	}
	now := time.Now().UnixNano()
	s.downUntil.Store(now + int64(s.opts.Backoff))
	last := s.lastWarn.Load()
	if last != 0 && now-last < int64(s.opts.LogEvery) {
		return
	}
	if s.lastWarn.CompareAndSwap(last, now) {
		s.opts.Logger.Warn(msg, "err", err)
	}
}

// The cached form: a version byte, then id, user id, created and last
// active (Unix milliseconds, as the database keeps them), IP and user agent
// as length-prefixed bytes. The token hash is the key, so it is not repeated.
const formatV1 = 1

func encode(ss chat.Session) []byte {
	b := make([]byte, 0, 1+4*binary.MaxVarintLen64+2+len(ss.IP)+len(ss.UserAgent))
	b = append(b, formatV1)
	b = binary.AppendVarint(b, ss.ID)
	b = binary.AppendVarint(b, ss.UserID)
	b = binary.AppendVarint(b, ss.CreatedAt.UnixMilli())
	b = binary.AppendVarint(b, ss.LastActiveAt.UnixMilli())
	b = binary.AppendUvarint(b, uint64(len(ss.IP)))
	b = append(b, ss.IP...)
	b = binary.AppendUvarint(b, uint64(len(ss.UserAgent)))
	return append(b, ss.UserAgent...)
}

func decode(b []byte, tokenHash string) (chat.Session, bool) {
	if len(b) == 0 || b[0] != formatV1 {
		return chat.Session{}, false
	}
	d := decoder{b: b[1:]}
	ss := chat.Session{TokenHash: tokenHash}
	ss.ID = d.varint()
	ss.UserID = d.varint()
	ss.CreatedAt = time.UnixMilli(d.varint()).UTC()
	ss.LastActiveAt = time.UnixMilli(d.varint()).UTC()
	ss.IP = d.str()
	ss.UserAgent = d.str()
	return ss, !d.bad && len(d.b) == 0 && ss.ID > 0 && ss.UserID > 0
}

// decoder reads fields until the first malformed one; after that every
// read returns zero and bad stays set.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.b, d.bad = nil, true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.b, d.bad = nil, true
		return ""
	}
	v := string(d.b[k : k+int(n)])
	d.b = d.b[k+int(n):]
	return v
}
