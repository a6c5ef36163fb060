// Package redis keeps rate limits in Redis, so N instances enforce one
// budget per key instead of N. It runs the same GCRA as the in-process
// Limiter, as a Lua script (github.com/go-redis/redis_rate), with Redis's
// clock: instances' clocks need not agree.
//
// One key per (limit, key) holds the bucket's full-again time and expires
// when the bucket is full again, so idle keys cost nothing.
//
// A Store here returns an error when Redis fails; ratelimit.Fallback turns
// that into the failure policy (limit per instance until Redis is back):
//
//	shared := redis.New(client, redis.Options{Prefix: prefix})
//	fb := ratelimit.NewFallback(shared.Store, ratelimit.LocalFactory(100_000), ratelimit.FallbackOptions{Log: log})
//	opts.Limiters = fb.Store
//
// The client should be built with ContextTimeoutEnabled, or Timeout is not
// applied to a read from a stalled server.
package redis

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	goredis "github.com/redis/go-redis/v9"

	"github.com/campfire-go/campfire/internal/ratelimit"
)

// Options configures a Factory. Zero values take the defaults.
type Options struct {
	// Prefix starts every key (default "campfire:"); tests use a unique one.
	Prefix string
	// Timeout bounds one decision (default 200 ms): a limit check stands
	// in front of a request, and a slower answer is a failure that the
	// caller's policy handles.
	Timeout time.Duration
}

// Factory builds Redis Stores on one client.
type Factory struct {
	lim     *redis_rate.Limiter
	prefix  string
	timeout time.Duration
}

// New returns a Factory on client.
func New(client goredis.UniversalClient, opts Options) *Factory {
	if opts.Prefix == "" {
		opts.Prefix = "campfire:"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 200 * time.Millisecond
	}
	return &Factory{lim: redis_rate.NewLimiter(prefixed{client}), prefix: opts.Prefix, timeout: opts.Timeout}
}

// Store is the Factory's ratelimit.Factory: pass f.Store where one is
// wanted. Keys are Prefix + "ratelimit:" + name + ":" + key.
func (f *Factory) Store(name string, burst int, per time.Duration) ratelimit.Store {
	if burst < 1 || per <= 0 {
		panic(fmt.Sprintf("ratelimit/redis: %s: burst %d per %v: both must be positive", name, burst, per))
	}
	return &store{
		f:     f,
		name:  name,
		keys:  f.prefix + "ratelimit:" + name + ":",
		limit: redis_rate.Limit{Rate: burst, Burst: burst, Period: per},
	}
}

type store struct {
	f     *Factory
	name  string
	keys  string // prefix of this limit's keys
	limit redis_rate.Limit
}

var _ ratelimit.Store = (*store)(nil)

func (s *store) AllowN(ctx context.Context, key string, n int) (bool, time.Duration, error) {
	n = min(max(n, 1), s.limit.Burst)
	ctx, cancel := context.WithTimeout(ctx, s.f.timeout)
	defer cancel()
	res, err := s.f.lim.AllowN(ctx, s.keys+key, s.limit, n)
	if err != nil {
		return false, 0, fmt.Errorf("rate limit %s: %w", s.name, err)
	}
	if res.Allowed == 0 {
		// The script's float seconds may round to zero at the edge; a
		// refusal always asks for some wait.
		return false, max(res.RetryAfter, time.Microsecond), nil
	}
	return true, 0, nil
}

// redisRatePrefix is what redis_rate puts before every key; prefixed takes
// it off again, so all keys live under Options.Prefix (one namespace to
// inspect, expire or grant in an ACL).
const redisRatePrefix = "rate:"

// prefixed is the client as redis_rate sees it, minus its key prefix.
type prefixed struct{ c goredis.UniversalClient }

func unprefix(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.TrimPrefix(k, redisRatePrefix)
	}
	return out
}

func (p prefixed) Eval(ctx context.Context, script string, keys []string, args ...any) *goredis.Cmd {
	return p.c.Eval(ctx, script, unprefix(keys), args...)
}

func (p prefixed) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *goredis.Cmd {
	return p.c.EvalSha(ctx, sha1, unprefix(keys), args...)
}

func (p prefixed) EvalRO(ctx context.Context, script string, keys []string, args ...any) *goredis.Cmd {
	return p.c.EvalRO(ctx, script, unprefix(keys), args...)
}

func (p prefixed) EvalShaRO(ctx context.Context, sha1 string, keys []string, args ...any) *goredis.Cmd {
	return p.c.EvalShaRO(ctx, sha1, unprefix(keys), args...)
}

func (p prefixed) ScriptExists(ctx context.Context, hashes ...string) *goredis.BoolSliceCmd {
	return p.c.ScriptExists(ctx, hashes...)
}

func (p prefixed) ScriptLoad(ctx context.Context, script string) *goredis.StringCmd {
	return p.c.ScriptLoad(ctx, script)
}

func (p prefixed) Del(ctx context.Context, keys ...string) *goredis.IntCmd {
	return p.c.Del(ctx, unprefix(keys)...)
}
