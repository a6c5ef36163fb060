package ratelimit

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Store enforces one named limit (burst events at once per key, refilling
// to burst over per) for every instance that shares it: the in-process
// Limiter for one instance, Redis for N, where a limit must hold across
// instances instead of multiplying by N.
//
// Contract, for every implementation (pinned by ratelimittest):
//   - AllowN spends n tokens of key's bucket if it holds them and reports
//     ok; otherwise it spends nothing and reports how long until it would
//     hold them (retryAfter > 0). n is clamped to 1..burst, so every event
//     can eventually pass.
//   - Keys are independent; a key that has not been seen for per has a
//     full bucket, so implementations may forget it then.
//   - err means the Store could not decide (its backend is unreachable);
//     ok and retryAfter are then meaningless and the caller applies its
//     failure policy. The in-process Store never fails.
type Store interface {
	AllowN(ctx context.Context, key string, n int) (ok bool, retryAfter time.Duration, err error)
}

// Factory builds the Store for a named limit. name identifies the limit
// across instances (it is part of a shared backend's keys), so two limits
// must not share a name, and every instance must give a name the same
// burst and per.
type Factory func(name string, burst int, per time.Duration) Store

// LocalFactory builds in-process Limiters that remember at most maxKeys keys
// each: today's single-instance behaviour.
func LocalFactory(maxKeys int) Factory {
	return func(_ string, burst int, per time.Duration) Store {
		return Local(New(burst, per, maxKeys))
	}
}

// Local adapts a Limiter to Store. Its AllowN is the Limiter's and never
// fails.
func Local(l *Limiter) Store { return local{l} }

type local struct{ l *Limiter }

var _ Store = local{}

func (s local) AllowN(_ context.Context, key string, n int) (bool, time.Duration, error) {
	ok, retry := s.l.AllowN(key, n)
	return ok, retry, nil
}

// Fallback builds Stores that decide with a primary (shared) Factory and,
// whenever the primary fails, with a secondary (in-process) one. This is
// the failure policy of shared limits: when Redis blips, a limit degrades
// to per instance (N× looser) instead of vanishing (an open door for
// password guessing) or refusing everyone (nobody can sign in or post).
//
// After a failure the primary is left alone for a cooldown, so a dead or
// black-holed Redis costs one timeout per cooldown rather than one per
// request; the first success afterwards switches back. Decisions taken by
// the secondary are not copied back, so a client may get one fresh burst
// at each switch. The health state is shared by every Store of one
// Fallback: one Redis, one state, one log line per outage.
type Fallback struct {
	primary, secondary Factory
	cooldown           time.Duration
	log                *slog.Logger
	now                func() time.Time

	skipUntil atomic.Int64 // unix nanoseconds; the primary is not asked before
	degraded  atomic.Bool  // between the first failure and the next success
	fallbacks atomic.Uint64
}

// FallbackOptions configures a Fallback. Zero values take the defaults.
type FallbackOptions struct {
	// Cooldown is how long the primary is skipped after it fails
	// (default 2 s).
	Cooldown time.Duration
	// Log receives one warning when the primary starts failing and one
	// info line when it recovers (default slog.Default()).
	Log *slog.Logger
	// Now is the clock for the cooldown (tests).
	Now func() time.Time
}

// NewFallback returns a Fallback over primary and secondary.
func NewFallback(primary, secondary Factory, opts FallbackOptions) *Fallback {
	if opts.Cooldown <= 0 {
		opts.Cooldown = 2 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Fallback{primary: primary, secondary: secondary, cooldown: opts.Cooldown, log: opts.Log, now: opts.Now}
}

// Store is the Fallback's Factory: pass f.Store where a Factory is wanted.
func (f *Fallback) Store(name string, burst int, per time.Duration) Store {
	return &fallbackStore{f: f, name: name, primary: f.primary(name, burst, per), secondary: f.secondary(name, burst, per)}
}

// Fallbacks counts the decisions taken by the secondary because the
// primary failed or was cooling down (for a metric).
func (f *Fallback) Fallbacks() uint64 { return f.fallbacks.Load() }

// Degraded reports whether the primary failed and has not succeeded since
// (for /ready and a metric).
func (f *Fallback) Degraded() bool { return f.degraded.Load() }

type fallbackStore struct {
	f                  *Fallback
	name               string
	primary, secondary Store
}

var _ Store = (*fallbackStore)(nil)

func (s *fallbackStore) AllowN(ctx context.Context, key string, n int) (bool, time.Duration, error) {
	f := s.f
	if f.now().UnixNano() >= f.skipUntil.Load() {
		ok, retry, err := s.primary.AllowN(ctx, key, n)
		if err == nil {
			if f.degraded.CompareAndSwap(true, false) {
				f.log.Info("rate limits: shared store is back", "limit", s.name)
			}
			return ok, retry, nil
		}
		// The caller giving up says nothing about the primary's health.
		if ctx.Err() == nil {
			f.skipUntil.Store(f.now().Add(f.cooldown).UnixNano())
			if f.degraded.CompareAndSwap(false, true) {
				f.log.Warn("rate limits: shared store failed; limiting per instance until it is back",
					"limit", s.name, "err", err)
			}
		}
	}
	f.fallbacks.Add(1)
	return s.secondary.AllowN(ctx, key, n)
}
