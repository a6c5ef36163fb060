package redis_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/campfire-go/campfire/internal/ratelimit"
	"github.com/campfire-go/campfire/internal/ratelimit/ratelimittest"
	"github.com/campfire-go/campfire/internal/ratelimit/redis"
	"github.com/campfire-go/campfire/internal/testenv"
)

// slow is the Timeout in tests: a loaded CI machine is no reason to fail.
const slow = 10 * time.Second

func TestContract(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T) ratelimit.Factory {
		return redis.New(testenv.RedisClient(t), redis.Options{Prefix: testenv.RedisPrefix(t), Timeout: slow}).Store
	})
}

// Two instances, each with its own client, share one budget.
func TestShared(t *testing.T) {
	ratelimittest.RunShared(t, func(t *testing.T) (ratelimit.Factory, ratelimit.Factory) {
		p := testenv.RedisPrefix(t)
		return redis.New(testenv.RedisClient(t), redis.Options{Prefix: p, Timeout: slow}).Store, redis.New(testenv.RedisClient(t), redis.Options{Prefix: p, Timeout: slow}).Store
	})
}

func TestKeysLiveUnderPrefixAndExpire(t *testing.T) {
	c, p := testenv.RedisClient(t), testenv.RedisPrefix(t)
	ctx := context.Background()
	s := redis.New(c, redis.Options{Prefix: p, Timeout: slow}).Store("login", 10, 3*time.Minute)
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

// A Redis of the test's own is killed and restarted under two instances:
// their limits degrade to per instance at once, never fail, and are shared
// again once Redis is back.
func TestRedisRestart(t *testing.T) {
	srv := testenv.StartRedis(t)
	ctx := context.Background()
	instance := func() *ratelimit.Fallback {
		// No retries: a dead server fails the call at once, so the slow
		// Timeout only guards the healthy phases against a loaded machine.
		c := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		return ratelimit.NewFallback(redis.New(c, redis.Options{Timeout: slow}).Store, ratelimit.LocalFactory(100),
			ratelimit.FallbackOptions{Cooldown: 100 * time.Millisecond})
	}
	fa, fb := instance(), instance()
	a, b := fa.Store("post", 4, time.Hour), fb.Store("post", 4, time.Hour)
	decide := func(s ratelimit.Store, key string) bool {
		t.Helper()
		ok, _, err := s.AllowN(ctx, key, 1)
		if err != nil {
			t.Fatalf("Fallback failed to decide: %v", err)
		}
		return ok
	}
	shared := func(key string) {
		t.Helper()
		n := 0
		for i := range 8 {
			s := a
			if i%2 == 1 {
				s = b
			}
			if decide(s, key) {
				n++
			}
		}
		if n != 4 {
			t.Errorf("%s: two instances allowed %d of a shared burst of 4", key, n)
		}
	}
	shared("before")

	srv.Kill()
	var worst time.Duration
	n := 0
	for range 6 {
		start := time.Now()
		if decide(a, "during") {
			n++
		}
		worst = max(worst, time.Since(start))
	}
	if n != 4 {
		t.Errorf("Redis down: instance a allowed %d of its local burst of 4", n)
	}
	if !fa.Degraded() {
		t.Error("Redis down, not degraded")
	}
	t.Logf("slowest decision with Redis down: %v", worst)
	if worst > time.Second {
		t.Errorf("a decision with Redis down took %v", worst)
	}

	srv.Start()
	deadline := time.Now().Add(5 * time.Second)
	for fa.Degraded() || fb.Degraded() {
		if time.Now().After(deadline) {
			t.Fatal("still degraded 5s after Redis came back")
		}
		time.Sleep(20 * time.Millisecond) // the cooldown is the thing waited for
		decide(a, "probe")
		decide(b, "probe")
	}
	shared("after")
}

// BenchmarkAllowN measures one shared decision (a script round trip);
// run with -cpu 1,8 to see it under concurrency.
func BenchmarkAllowN(b *testing.B) {
	c := testenv.RedisClient(b)
	s := redis.New(c, redis.Options{Prefix: testenv.RedisPrefix(b), Timeout: slow}).Store("bench", 10, 3*time.Minute)
	ctx := context.Background()
	var seed atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(7919))
		for pb.Next() {
			if _, _, err := s.AllowN(ctx, strconv.Itoa(i%10_000), 1); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
