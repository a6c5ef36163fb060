package testenv

import (
	"context"
	"crypto/rand"
	"os"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// RedisClient connects to RedisURL with context deadlines bounding socket
// I/O, as in production, and closes the client when the test ends. It
// fails the test if Redis does not answer.
func RedisClient(t testing.TB) *goredis.Client {
	t.Helper()
	opts, err := goredis.ParseURL(RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	opts.ContextTimeoutEnabled = true
	c := goredis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis at CAMPFIRE_TEST_REDIS_URL: %v", err)
	}
	return c
}

// redisPrefixes holds each running test's prefix until the test ends.
var redisPrefixes sync.Map // testing.TB -> string

// RedisPrefix is a key and channel prefix of the test's own (Redis pub/sub
// ignores the DB number, so tests sharing one Redis must not share names):
// the same for every call within one test, different between tests and
// between runs. When the test ends, keys under it in the Redis at
// CAMPFIRE_TEST_REDIS_URL are deleted.
func RedisPrefix(t testing.TB) string {
	if p, ok := redisPrefixes.Load(t); ok {
		return p.(string)
	}
	p, loaded := redisPrefixes.LoadOrStore(t, "campfire-test:"+rand.Text()[:12]+":")
	if !loaded {
		t.Cleanup(func() {
			redisPrefixes.Delete(t)
			deleteRedisKeys(t, p.(string))
		})
	}
	return p.(string)
}

// deleteRedisKeys deletes the keys under prefix, if there is a test Redis
// and it answers; failing that they are left to expire or to lie (they
// never collide: the prefix is not used again).
func deleteRedisKeys(t testing.TB, prefix string) {
	url := os.Getenv("CAMPFIRE_TEST_REDIS_URL")
	if url == "" {
		return
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return
	}
	opts.ContextTimeoutEnabled = true
	c := goredis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		if err := c.Del(ctx, iter.Val()).Err(); err != nil {
			t.Logf("delete Redis key %s: %v", iter.Val(), err)
			return
		}
	}
	if err := iter.Err(); err != nil {
		t.Logf("delete Redis keys %s*: %v", prefix, err)
	}
}
