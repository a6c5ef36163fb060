package engine

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"

	redisbroker "github.com/campfire-go/campfire/internal/broker/redis"
	"github.com/campfire-go/campfire/internal/config"
	redispresence "github.com/campfire-go/campfire/internal/presence/redis"
	"github.com/campfire-go/campfire/internal/ratelimit"
	redislimit "github.com/campfire-go/campfire/internal/ratelimit/redis"
	redissession "github.com/campfire-go/campfire/internal/session/redis"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/postgres"
)

func openPostgres(ctx context.Context, cfg config.Config, url string, noMigrate bool) (store.Store, error) {
	st, err := postgres.Open(ctx, url, postgres.Options{
		NoMigrate:       noMigrate,
		MaxConns:        int32(cfg.DBMaxConns),
		MinConns:        int32(cfg.DBMinConns),
		AcquireTimeout:  cfg.DBAcquireTimeout,
		MaxConnIdleTime: cfg.DBIdleTimeout,
		MaxConnLifetime: cfg.DBMaxLifetime,
	})
	if err != nil {
		return nil, fmt.Errorf("opening PostgreSQL database: %w", err)
	}
	return st, nil
}

// openRedis makes the one Redis client every Redis seam shares and builds
// the broker, presence, sessions and rate limits on it. The client is
// checked once here, so a wrong REDIS_URL fails at start with one line
// instead of at the first request.
func (e *Engine) openRedis(ctx context.Context, cfg config.Config, opts *Options) error {
	// go-redis reports reconnects through its own package-wide logger;
	// route it into ours, at warn, so it is structured like the rest.
	goredis.SetLogger(redisLog{e.log})
	client, err := redisbroker.NewClient(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	e.closers = append([]func() error{client.Close}, e.closers...)
	e.Redis = client
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		return fmt.Errorf("REDIS_URL: Redis does not answer: %w", err)
	}

	b, err := redisbroker.New(redisbroker.Options{
		Client: client, Prefix: cfg.RedisPrefix, InstanceID: cfg.InstanceID, Logger: e.log,
	})
	if err != nil {
		return err
	}
	e.Broker = b
	e.RedisBroker = b
	e.Presence = redispresence.New(client, redispresence.Options{Prefix: cfg.RedisPrefix})
	ttl, expires := cfg.SessionIdle()
	if !expires {
		ttl = -1 // never: the Redis store's "no idle expiry"
	}
	sessions := redissession.New(client, e.Store, redissession.Options{Prefix: cfg.RedisPrefix, IdleTTL: ttl, Logger: e.log})
	e.Sessions = sessions
	// Sessions stop their retry loop before the client they use closes.
	e.closers = append([]func() error{sessions.Close}, e.closers...)
	e.Limits = ratelimit.NewFallback(
		redislimit.New(client, redislimit.Options{Prefix: cfg.RedisPrefix}).Store,
		ratelimit.LocalFactory(100_000),
		ratelimit.FallbackOptions{Log: e.log},
	)
	if opts.Core.Limiters == nil {
		opts.Core.Limiters = e.Limits.Store
	}
	e.Checks = append(e.Checks, Check{Name: "redis", Check: b.Healthy})
	return nil
}

// redisLog adapts slog to go-redis's logger.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}
