package ratelimit

import (
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// t0 is an arbitrary fake "now"; tests step it forward by hand.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestLimiterBurstThenRefuse(t *testing.T) {
	l := New(10, 3*time.Minute, 100)
	for i := range 10 {
		if ok, retry := l.AllowAt("1.2.3.4", t0); !ok || retry != 0 {
			t.Fatalf("attempt %d: Allow = %v, %v; want allowed", i+1, ok, retry)
		}
	}
	ok, retry := l.AllowAt("1.2.3.4", t0)
	if ok {
		t.Fatal("11th attempt in a burst of 10 was allowed")
	}
	// One token comes back every 3m/10 = 18s.
	if retry != 18*time.Second {
		t.Errorf("retryAfter = %v, want 18s", retry)
	}
}

func TestLimiterRefill(t *testing.T) {
	l := New(10, 3*time.Minute, 100)
	now := t0
	for range 10 {
		l.AllowAt("k", now)
	}
	steps := []struct {
		advance time.Duration
		want    bool
		retry   time.Duration
	}{
		{0, false, 18 * time.Second},
		{5 * time.Second, false, 13 * time.Second}, // retryAfter counts down
		{13*time.Second - 1, false, 1},
		{1, true, 0},                 // exactly 18s: one token back
		{0, false, 18 * time.Second}, // and it is spent
		{36 * time.Second, true, 0},  // two tokens back...
		{0, true, 0},                 // ...both usable
		{0, false, 18 * time.Second}, //
		{10 * time.Minute, true, 0},  // long idle refills to burst, no more
		{0, true, 0}, {0, true, 0}, {0, true, 0}, {0, true, 0},
		{0, true, 0}, {0, true, 0}, {0, true, 0}, {0, true, 0}, {0, true, 0},
		{0, false, 18 * time.Second},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		ok, retry := l.AllowAt("k", now)
		if ok != s.want || retry != s.retry {
			t.Fatalf("step %d (+%v): Allow = %v, %v; want %v, %v", i, s.advance, ok, retry, s.want, s.retry)
		}
	}
}

func TestLimiterRefusalDoesNotPunish(t *testing.T) {
	l := New(1, time.Minute, 10)
	l.AllowAt("k", t0)
	// Hammering while refused must not push the next allowed time back.
	for i := range 100 {
		if ok, _ := l.AllowAt("k", t0.Add(time.Duration(i)*time.Second/2)); ok {
			t.Fatalf("allowed at +%v", time.Duration(i)*time.Second/2)
		}
	}
	if ok, _ := l.AllowAt("k", t0.Add(time.Minute)); !ok {
		t.Error("refused after a full interval despite only refused attempts in between")
	}
}

func TestLimiterIndependentKeys(t *testing.T) {
	l := New(2, time.Minute, 100)
	for range 2 {
		l.AllowAt("a", t0)
	}
	if ok, _ := l.AllowAt("a", t0); ok {
		t.Fatal("a: third event allowed")
	}
	for i := range 2 {
		if ok, _ := l.AllowAt("b", t0); !ok {
			t.Fatalf("b: event %d refused because of a", i+1)
		}
	}
}

func TestLimiterClockBackwards(t *testing.T) {
	l := New(1, time.Minute, 10)
	l.AllowAt("k", t0)
	if ok, retry := l.AllowAt("k", t0.Add(-time.Hour)); ok || retry != time.Hour+time.Minute {
		t.Errorf("Allow an hour in the past = %v, %v; want refused for 1h1m", ok, retry)
	}
}

func TestLimiterEviction(t *testing.T) {
	const maxKeys = 100
	l := New(1, time.Hour, maxKeys)
	for i := range 10 * maxKeys {
		l.AllowAt(strconv.Itoa(i), t0)
		if n := l.Len(); n > maxKeys {
			t.Fatalf("after %d keys the limiter holds %d, more than %d", i+1, n, maxKeys)
		}
	}
	if n := l.Len(); n != maxKeys {
		t.Errorf("Len = %d, want %d", n, maxKeys)
	}
	// The most recent maxKeys keys are remembered (and still limited); the
	// oldest were forgotten.
	if ok, _ := l.AllowAt(strconv.Itoa(10*maxKeys-1), t0); ok {
		t.Error("a recent key was forgotten")
	}
	if ok, _ := l.AllowAt("0", t0); !ok {
		t.Error("the oldest key is still remembered")
	}
}

func TestLimiterEvictsLeastRecentlyUsed(t *testing.T) {
	l := New(1, time.Hour, 3)
	l.AllowAt("a", t0)
	l.AllowAt("b", t0)
	l.AllowAt("c", t0)
	l.AllowAt("a", t0) // refused, but touches a: b is now the oldest
	l.AllowAt("d", t0) // evicts b
	for _, k := range []string{"a", "c", "d"} {
		if ok, _ := l.AllowAt(k, t0); ok {
			t.Errorf("%s was evicted; want b evicted", k)
		}
	}
	if ok, _ := l.AllowAt("b", t0); !ok {
		t.Error("b is still remembered; it was the least recently used")
	}
}

func TestLimiterConcurrent(t *testing.T) {
	const burst, workers, perWorker = 50, 8, 200
	l := New(burst, time.Hour, 1000)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range perWorker {
				if ok, _ := l.AllowAt("shared", t0); ok {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != burst {
		t.Errorf("%d goroutines allowed %d events on one key, want exactly %d", workers, n, burst)
	}
}

func TestLimiterConcurrentEviction(t *testing.T) {
	const maxKeys = 16
	l := New(1, time.Hour, maxKeys)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			// More keys than fit, so eviction races with lookups of the
			// same keys.
			for i := range 500 {
				l.AllowAt(strconv.Itoa((w*7+i)%40), t0.Add(time.Duration(i)))
				if n := l.Len(); n > maxKeys {
					t.Errorf("Len = %d, want at most %d", n, maxKeys)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestNewPanicsOnBadArguments(t *testing.T) {
	for _, tc := range []struct {
		burst   int
		per     time.Duration
		maxKeys int
	}{
		{0, time.Second, 1}, {1, 0, 1}, {1, time.Second, 0}, {-1, time.Second, 1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%d, %v, %d) did not panic", tc.burst, tc.per, tc.maxKeys)
				}
			}()
			New(tc.burst, tc.per, tc.maxKeys)
		}()
	}
}

func TestBucket(t *testing.T) {
	b := NewBucket(3, 3*time.Second) // one token per second
	now := t0
	steps := []struct {
		advance time.Duration
		want    bool
	}{
		{0, true}, {0, true}, {0, true}, {0, false},
		{time.Second - 1, false},
		{1, true}, {0, false},
		{time.Hour, true}, {0, true}, {0, true}, {0, false},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if got := b.Allow(now); got != s.want {
			t.Fatalf("step %d (+%v): Allow = %v, want %v", i, s.advance, got, s.want)
		}
	}
}

func TestBucketZeroValueAllowsNothing(t *testing.T) {
	var b Bucket
	if b.Allow(t0) {
		t.Error("zero Bucket allowed an event")
	}
}

func TestBucketIsSmall(t *testing.T) {
	// A Bucket lives in every connection; keep it a few words.
	if size := unsafe.Sizeof(Bucket{}); size > 48 {
		t.Errorf("Bucket is %d bytes", size)
	}
}

func TestIPKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
	}
	for _, tt := range tests {
		if got := IPKey(netip.MustParseAddr(tt.in)); got != tt.want {
			t.Errorf("IPKey(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkAllow(b *testing.B) {
	l := New(10, 3*time.Minute, 100_000)
	keys := benchKeys(10_000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.Allow(keys[i%len(keys)])
		i++
	}
}

// BenchmarkAllowParallel measures the single mutex under contention; run
// with -cpu 1,2,4,8.
func BenchmarkAllowParallel(b *testing.B) {
	l := New(10, 3*time.Minute, 100_000)
	keys := benchKeys(10_000)
	b.ReportAllocs()
	var seed atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(7919))
		for pb.Next() {
			l.Allow(keys[i%len(keys)])
			i++
		}
	})
}

// BenchmarkAllowEvicting is the worst case: every key is new and the
// limiter is full, so every call evicts.
func BenchmarkAllowEvicting(b *testing.B) {
	l := New(10, 3*time.Minute, 1_000)
	keys := benchKeys(100_000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.Allow(keys[i%len(keys)])
		i++
	}
}

func BenchmarkBucketAllow(b *testing.B) {
	bk := NewBucket(20, 10*time.Second)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Millisecond)
		bk.Allow(now)
	}
}

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String()
	}
	return keys
}

func TestLimiterAllowN(t *testing.T) {
	l := New(30, 30*time.Second, 100) // a token a second
	if ok, _ := l.AllowNAt("u", t0, 20); !ok {
		t.Fatal("20 of 30 refused")
	}
	ok, retry := l.AllowNAt("u", t0, 15)
	if ok || retry != 5*time.Second {
		t.Fatalf("15 more with 10 left: %v, retry %v; want refused, 5s", ok, retry)
	}
	if ok, _ := l.AllowNAt("u", t0, 10); !ok {
		t.Fatal("the last 10 refused")
	}
	if ok, _ := l.AllowNAt("u", t0, 1); ok {
		t.Fatal("allowed past an empty bucket")
	}
	// A cost above the burst is clamped, so it passes once the bucket is full.
	if ok, _ := l.AllowNAt("v", t0, 1000); !ok {
		t.Fatal("cost above the burst never passes")
	}
	if ok, _ := l.AllowNAt("v", t0.Add(29*time.Second), 1); !ok {
		t.Fatal("a token did not come back after the clamped event")
	}
}
