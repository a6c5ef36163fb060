// Package engine is the one place that turns configuration into Campfire's
// backends and the core that runs on them: the store (SQLite or
// PostgreSQL), the broker (in-process or Redis), presence, sessions and rate
// limits, each chosen in one switch on DATABASE_URL and REDIS_URL.
//
// It sits below internal/app (which adds the hub, the HTTP API, the pages
// and metrics on top) so that tests of those layers, including the hub's
// own tests inside package realtime, build exactly the backends production
// builds, on whichever database and Redis the test environment names.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/campfire-go/campfire/internal/blob"
	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/broker/memory"
	observedbroker "github.com/campfire-go/campfire/internal/broker/observed"
	redisbroker "github.com/campfire-go/campfire/internal/broker/redis"
	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/presence"
	"github.com/campfire-go/campfire/internal/push"
	"github.com/campfire-go/campfire/internal/ratelimit"
	"github.com/campfire-go/campfire/internal/render"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/store"
	observedstore "github.com/campfire-go/campfire/internal/store/observed"
	"github.com/campfire-go/campfire/internal/store/sqlite"
)

// Check is one dependency /ready reports on.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// Options adjust what configuration alone does not say.
type Options struct {
	// Core is the core's options; BcryptCost defaults to the config's.
	Core campfire.Options
	// NoMigrate opens the store without applying migrations (the migrate
	// command applies them itself).
	NoMigrate bool
	// Push adjusts Web Push (push.go).
	Push PushOptions
	// ObserveQuery and ObservePublish, when set, time every store call
	// (by method name) and every broker publish, for metrics.
	ObserveQuery   func(operation string, d time.Duration)
	ObservePublish func(d time.Duration)
}

// Engine is the backends and the core.
type Engine struct {
	Store    store.Store
	Broker   broker.Broker
	Presence presence.Presence
	Sessions session.Store
	Core     *campfire.Core
	// Blobs holds files: local disk or an S3-compatible bucket (blobs.go).
	Blobs blob.Store
	// Push sends Web Push notifications (push.go).
	Push *push.Pool
	// Checks are what /ready asks: the database, and Redis when configured.
	Checks []Check

	// RedisBroker and Limits are the Redis broker and the shared rate
	// limits, for their metrics; nil without REDIS_URL.
	RedisBroker *redisbroker.Broker
	Limits      *ratelimit.Fallback
	// Redis is the one Redis client, for its pool's metrics; nil without
	// REDIS_URL.
	Redis goredis.UniversalClient

	log     *slog.Logger
	closers []func() error // in the order they must run
}

// Open builds the backends cfg names and the core on them. On error
// everything opened so far is closed again.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*Engine, error) {
	e := &Engine{log: log}
	fail := func(err error) (*Engine, error) {
		e.Close()
		return nil, err
	}
	st, err := OpenStore(ctx, cfg, opts.NoMigrate)
	if err != nil {
		return nil, err
	}
	if opts.ObserveQuery != nil {
		st = observedstore.New(st, opts.ObserveQuery)
	}
	e.Store = st
	e.closers = append(e.closers, st.Close)
	e.Checks = append(e.Checks, Check{Name: "database", Check: st.Ping})

	if cfg.RedisURL != "" {
		if err := e.openRedis(ctx, cfg, &opts); err != nil {
			return fail(err)
		}
	} else {
		e.Broker = memory.New(0)
		e.Presence = presence.NewMemory(presence.DefaultTTL)
		ttl, _ := cfg.SessionIdle()
		e.Sessions = &session.DB{Store: st, IdleTTL: ttl}
	}
	// The broker closes before the store (it may still be handing events
	// that lead to reads), so it goes first.
	e.closers = append([]func() error{e.Broker.Close}, e.closers...)
	if opts.ObservePublish != nil {
		e.Broker = observedbroker.New(e.Broker, opts.ObservePublish)
	}

	co := opts.Core
	if co.BcryptCost == 0 {
		co.BcryptCost = cfg.BcryptCost
	}
	// SECRET_KEY_BASE (or the single instance's generated one) signs the
	// known-device tokens, so every instance, and a restarted one,
	// recognises the same devices.
	secret, err := cfg.LoadOrCreateSecret()
	if err != nil {
		return fail(err)
	}
	if co.DeviceSecret == "" {
		co.DeviceSecret = secret
	}
	e.Core = campfire.New(st, e.Sessions, e.Broker, render.New(), co, log)
	e.Core.SetPresence(e.Presence)
	if err := e.openFiles(ctx, cfg); err != nil {
		return fail(err)
	}
	if err := e.openPush(ctx, opts.Push); err != nil {
		return fail(err)
	}
	if err := e.openMedia(cfg, log); err != nil {
		return fail(err)
	}
	return e, nil
}

// OpenStore chooses the store backend: the one switch on DATABASE_URL.
func OpenStore(ctx context.Context, cfg config.Config, noMigrate bool) (store.Store, error) {
	db, err := cfg.Database()
	if err != nil {
		return nil, err
	}
	switch db.Driver {
	case "sqlite":
		st, err := sqlite.Open(ctx, db.Path, sqlite.Options{NoMigrate: noMigrate})
		if err != nil {
			return nil, fmt.Errorf("opening SQLite database %s: %w", db.Path, err)
		}
		return st, nil
	case "postgres":
		return openPostgres(ctx, cfg, db.URL, noMigrate)
	default:
		return nil, fmt.Errorf("DATABASE_URL: %s is not supported", db.Driver)
	}
}

// Run runs the broker's delivery and the core's background work until ctx
// is done; the first to fail ends it.
func (e *Engine) Run(ctx context.Context) error {
	return RunAll(ctx,
		func(ctx context.Context) error { return Named("broker", e.Broker.Run(ctx)) },
		func(ctx context.Context) error { return Named("core", e.Core.Run(ctx)) },
		func(ctx context.Context) error { return Named("files", e.Core.RunFiles(ctx)) },
		func(ctx context.Context) error { return Named("push", e.Push.Run(ctx)) },
	)
}

// RunAll runs tasks together until ctx is done; the first to fail cancels
// the others, and its error is returned once all have stopped.
func RunAll(ctx context.Context, tasks ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(tasks))
	for _, task := range tasks {
		go func() { errc <- task(ctx) }()
	}
	var first error
	for range tasks {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// Close releases the backends in order (broker, then store).
func (e *Engine) Close() {
	for _, c := range e.closers {
		if err := c(); err != nil {
			e.log.Warn("closing", "err", err)
		}
	}
	e.closers = nil
}

// Named labels a task's error, treating a clean stop as none.
func Named(what string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
