package redis_test

import (
	"context"
	"crypto/rand"
	"net"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/campfire-go/campfire/internal/ratelimit"
	"github.com/campfire-go/campfire/internal/ratelimit/ratelimittest"
	"github.com/campfire-go/campfire/internal/ratelimit/redis"
	"github.com/campfire-go/campfire/internal/testenv"
)

func client(t *testing.T) goredis.UniversalClient {
	t.Helper()
	opts, err := goredis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	opts.ContextTimeoutEnabled = true
	c := goredis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	return c
}

// prefix is a fresh key namespace; its keys expire on their own.
func prefix(t *testing.T) string { return "campfire-test:" + rand.Text()[:12] + ":" }

func TestContract(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T) ratelimit.Factory {
		return redis.New(client(t), redis.Options{Prefix: prefix(t)}).Store
	})
}

// Two instances, each with its own client, share one budget.
func TestShared(t *testing.T) {
	ratelimittest.RunShared(t, func(t *testing.T) (ratelimit.Factory, ratelimit.Factory) {
		p := prefix(t)
		return redis.New(client(t), redis.Options{Prefix: p}).Store, redis.New(client(t), redis.Options{Prefix: p}).Store
	})
}

func TestKeysLiveUnderPrefixAndExpire(t *testing.T) {
	c, p := client(t), prefix(t)
	ctx := context.Background()
	s := redis.New(c, redis.Options{Prefix: p}).Store("login", 10, 3*time.Minute)
	if _, _, err := s.AllowN(ctx, "192.0.2.7", 1); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, "*"+p+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := p + "ratelimit:login:192.0.2.7"; len(keys) != 1 || keys[0] != want {
		t.Fatalf("keys %q, want [%q]", keys, want)
	}
	// The key lives until the bucket is full again: one token's interval.
	ttl, err := c.TTL(ctx, keys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > 18*time.Second {
		t.Errorf("TTL %v, want (0, 18s]", ttl)
	}
}

// With Redis unreachable a Store fails fast, and Fallback keeps deciding.
func TestRedisDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := goredis.NewClient(&goredis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1})
	defer c.Close()
	ctx := context.Background()

	s := redis.New(c, redis.Options{}).Store("post", 2, time.Hour)
	if _, _, err := s.AllowN(ctx, "u1", 1); err == nil || !strings.Contains(err.Error(), "post") {
		t.Fatalf("AllowN with Redis down: err %v, want one naming the limit", err)
	}

	fb := ratelimit.NewFallback(redis.New(c, redis.Options{}).Store, ratelimit.LocalFactory(100), ratelimit.FallbackOptions{})
	fs := fb.Store("post", 2, time.Hour)
	start := time.Now()
	var got []bool
	for range 3 {
		ok, _, err := fs.AllowN(ctx, "u1", 1)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ok)
	}
	if got[0] != true || got[1] != true || got[2] != false {
		t.Errorf("decisions with Redis down %v, want the local burst of 2: [true true false]", got)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("three decisions with Redis down took %v", d)
	}
	if !fb.Degraded() || fb.Fallbacks() != 3 {
		t.Errorf("Degraded %v, Fallbacks %d; want true, 3", fb.Degraded(), fb.Fallbacks())
	}
}
