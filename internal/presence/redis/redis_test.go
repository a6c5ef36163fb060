package redis_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/presence"
	"github.com/campfire-go/campfire/internal/presence/presencetest"
	"github.com/campfire-go/campfire/internal/presence/redis"
	"github.com/campfire-go/campfire/internal/testenv"
)

// slow is the Timeout in tests: a loaded CI machine is no reason to fail.
const slow = 10 * time.Second

func TestContract(t *testing.T) {
	presencetest.Run(t, func(t *testing.T, ttl time.Duration, now func() time.Time) presence.Presence {
		return redis.New(testenv.RedisClient(t), redis.Options{Prefix: testenv.RedisPrefix(t), Timeout: slow, TTL: ttl, Now: now})
	})
}

var ctx = context.Background()

// clock is a fake clock; presencetest.Clock starts at the zero time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Two instances share presence; when one stops heartbeating (it crashed),
// the other sees its people go offline and its Sweep reports the room.
func TestInstancesShareAndCrashedExpire(t *testing.T) {
	p, clock := testenv.RedisPrefix(t), newClock()
	a := redis.New(testenv.RedisClient(t), redis.Options{Prefix: p, Timeout: slow, TTL: time.Minute, Now: clock.Now})
	b := redis.New(testenv.RedisClient(t), redis.Options{Prefix: p, Timeout: slow, TTL: time.Minute, Now: clock.Now})

	if changed, err := a.Join(ctx, 1, 10, "a-1"); err != nil || !changed {
		t.Fatalf("join on a: %v, %v", changed, err)
	}
	if changed, err := b.Join(ctx, 1, 10, "b-1"); err != nil || changed {
		t.Fatalf("second socket on b: changed %v, %v; want false", changed, err)
	}
	must(b.Join(ctx, 1, 11, "b-2"))
	expectOnline(t, a, 1, 10, 11)

	// b crashes; a keeps heartbeating its socket of user 10.
	clock.Advance(40 * time.Second)
	must(a.Join(ctx, 1, 10, "a-1"))
	clock.Advance(21 * time.Second)
	expectOnline(t, a, 1, 10)
	rooms, err := a.Sweep(ctx)
	if err != nil || !slices.Equal(rooms, []int64{1}) {
		t.Fatalf("Sweep = %v, %v; want [1]", rooms, err)
	}
	// User 10's dead socket from b does not keep them online once a's leaves.
	if changed, err := a.Leave(ctx, 1, 10, "a-1"); err != nil || !changed {
		t.Fatalf("last live socket leaves: changed %v, %v; want true", changed, err)
	}
	expectOnline(t, b, 1)
}

func TestKeysUnderPrefixWithTTL(t *testing.T) {
	c, p, clock := testenv.RedisClient(t), testenv.RedisPrefix(t), newClock()
	pr := redis.New(c, redis.Options{Prefix: p, Timeout: slow, TTL: time.Minute, Now: clock.Now})
	must(pr.Join(ctx, 1, 10, "a"))
	must(pr.Join(ctx, 2, 10, "a"))
	keys, err := c.Keys(ctx, "*"+p+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 5 { // rooms, 2 room sets, 2 user sets
		t.Errorf("keys %q, want 5", keys)
	}
	for _, k := range keys {
		if k[:len(p)] != p {
			t.Errorf("key %q outside the prefix", k)
		}
		ttl, err := c.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl <= time.Minute || ttl > 2*time.Minute {
			t.Errorf("key %q has TTL %v, want (1m, 2m]", k, ttl)
		}
	}
	// Leaving everything leaves nothing behind.
	must(pr.Leave(ctx, 1, 10, "a"))
	must(pr.Leave(ctx, 2, 10, "a"))
	if n, err := c.Keys(ctx, "*"+p+"*").Result(); err != nil || len(n) != 0 {
		t.Errorf("after leaving: keys %q, %v", n, err)
	}
}

// A user's dead sockets are dropped by their next heartbeat, so a user
// on an instance that keeps crashing does not grow a set.
func TestJoinDropsDeadSockets(t *testing.T) {
	c, p, clock := testenv.RedisClient(t), testenv.RedisPrefix(t), newClock()
	pr := redis.New(c, redis.Options{Prefix: p, Timeout: slow, TTL: time.Minute, Now: clock.Now})
	for i := range 5 {
		must(pr.Join(ctx, 1, 10, "live"))
		must(pr.Join(ctx, 1, 10, "dead-"+strconv.Itoa(i)))
		clock.Advance(50 * time.Second)
	}
	must(pr.Join(ctx, 1, 10, "live"))
	keys, err := c.Keys(ctx, p+"*:user:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("user keys %q, %v", keys, err)
	}
	if n, err := c.ZCard(ctx, keys[0]).Result(); err != nil || n != 2 { // live and the last dead one, not yet expired
		t.Errorf("user set holds %d sockets, want 2 (%v)", n, err)
	}
}

// One Sweep does bounded work and leaves the rest to the next.
func TestSweepIsBounded(t *testing.T) {
	p, clock := testenv.RedisPrefix(t), newClock()
	pr := redis.New(testenv.RedisClient(t), redis.Options{Prefix: p, Timeout: slow, TTL: time.Minute, Now: clock.Now})
	const perSweep = 64 * 16 // rooms per batch × batches
	const rooms = perSweep + 10
	for r := range int64(rooms) {
		must(pr.Join(ctx, r, 1, "a"))
	}
	// One room with more expired users than a batch takes.
	for u := range int64(300) {
		must(pr.Join(ctx, rooms, u, "a"))
	}
	clock.Advance(time.Minute)
	var all []int64
	for i := range 3 {
		got, err := pr.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > perSweep {
			t.Fatalf("sweep %d changed %d rooms, more than %d", i, len(got), perSweep)
		}
		all = append(all, got...)
	}
	slices.Sort(all)
	if len(slices.Compact(all)) != rooms+1 {
		t.Errorf("three sweeps changed %d distinct rooms, want %d", len(all), rooms+1)
	}
	for _, r := range []int64{0, rooms / 2, rooms} {
		expectOnline(t, pr, r)
	}
}

func must(_ bool, err error) {
	if err != nil {
		panic(err)
	}
}

func expectOnline(t *testing.T, p presence.Presence, roomID int64, want ...int64) {
	t.Helper()
	got, err := p.Online(ctx, roomID)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || !slices.Equal(got, append([]int64{}, want...)) {
		t.Fatalf("Online(%d) = %#v, want %v", roomID, got, want)
	}
}

// BenchmarkJoin is one heartbeat (a script round trip) into 100 rooms of
// 100 users; BenchmarkOnline reads one such room.
func BenchmarkJoin(b *testing.B) {
	pr := redis.New(testenv.RedisClient(b), redis.Options{Prefix: testenv.RedisPrefix(b), Timeout: slow})
	var seed atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := seed.Add(7919)
		for pb.Next() {
			must(pr.Join(ctx, i%100, i%10_000/100, "c"))
			i++
		}
	})
}

func BenchmarkOnline(b *testing.B) {
	pr := redis.New(testenv.RedisClient(b), redis.Options{Prefix: testenv.RedisPrefix(b), Timeout: slow})
	for u := range int64(100) {
		must(pr.Join(ctx, 1, u, "c"))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ids, err := pr.Online(ctx, 1); err != nil || len(ids) != 100 {
				b.Fatal(len(ids), err)
			}
		}
	})
}
