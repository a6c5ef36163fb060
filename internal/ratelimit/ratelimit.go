// Package ratelimit throttles events per key (an IP, a user) with token
// buckets that refill lazily: no goroutine, no timer, just arithmetic on the
// time of the request.
//
// A bucket is stored as one instant, the "theoretical arrival time" of the
// generic cell rate algorithm (GCRA): the time at which the bucket would be
// full again. That is the same limit as a token bucket holding a count and a
// timestamp, in half the memory and with no floating point.
package ratelimit

import (
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// rate is the arithmetic shared by Limiter and Bucket.
type rate struct {
	// interval is the time one event's token takes to come back.
	interval time.Duration
	// tolerance is how far ahead of now the full-again time may run and
	// still allow an event: burst-1 intervals, so burst events fit at once.
	tolerance time.Duration
}

func newRate(burst int, per time.Duration) rate {
	if burst < 1 || per <= 0 {
		panic(fmt.Sprintf("ratelimit: burst %d per %v: both must be positive", burst, per))
	}
	interval := max(per/time.Duration(burst), 1)
	return rate{interval: interval, tolerance: interval * time.Duration(burst-1)}
}

// allow decides one event at now for a bucket that is full again at full,
// and returns the new full-again time. A refused event changes nothing, so a
// client retrying in a loop is not pushed further back; it just keeps
// hearing "not yet".
func (r rate) allow(full, now time.Duration) (next time.Duration, ok bool, retryAfter time.Duration) {
	return r.allowN(full, now, 1)
}

// allowN is allow for an event that costs n tokens (n ≤ burst).
func (r rate) allowN(full, now time.Duration, n int) (next time.Duration, ok bool, retryAfter time.Duration) {
	full = max(full, now)
	extra := r.interval * time.Duration(n-1)
	if wait := full + extra - now - r.tolerance; wait > 0 {
		return full, false, wait
	}
	return full + extra + r.interval, true, 0
}

// burst is how many tokens the bucket holds.
func (r rate) burst() int { return int(r.tolerance/r.interval) + 1 }

// Limiter limits events per key, such as login attempts per IP. It is safe
// for concurrent use.
//
// It remembers at most maxKeys keys and forgets the least recently used one
// to make room. Forgetting a key whose bucket has refilled loses nothing, and
// a bucket refills within per, so history is only lost when more than maxKeys
// distinct keys are seen within one per window. Even then an attacker gains
// little by cycling keys to push his own out: each fresh key he uses gets its
// own burst anyway, so flushing his key takes maxKeys events that were all
// allowed, to win back one burst. Size maxKeys above the distinct keys you
// expect in a per window, and make keys expensive to mint: key IPv6 clients
// by their /64 (see IPKey), users by id, never by anything the client names.
//
// One mutex guards the map and the LRU list. A limiter decision is a map
// lookup and a few pointer moves, far cheaper than the request it guards;
// see BenchmarkAllowParallel before reaching for sharding.
type Limiter struct {
	rate    rate
	maxKeys int
	// epoch anchors stored times: durations since it are a third the size
	// of time.Time values, and for times from time.Now the subtraction uses
	// the monotonic clock, so a wall-clock step neither locks everyone out
	// nor lets everyone in.
	epoch time.Time

	mu      sync.Mutex
	entries map[string]*entry
	// lru is a ring through a sentinel: lru.next is the most recently used
	// entry, lru.prev the least. Intrusive, unlike container/list, so an
	// entry is one allocation and eviction can reuse it.
	lru entry
}

type entry struct {
	key        string
	full       time.Duration // since epoch
	prev, next *entry
}

// New returns a Limiter that allows burst events at once per key, refilling
// to burst over per, remembering at most maxKeys keys. New(10, 3*time.Minute,
// 100_000) allows 10 logins in a row per IP, then one every 18 seconds.
// It panics on a non-positive argument, which is a programming error.
func New(burst int, per time.Duration, maxKeys int) *Limiter {
	if maxKeys < 1 {
		panic(fmt.Sprintf("ratelimit: maxKeys %d must be positive", maxKeys))
	}
	l := &Limiter{
		rate:    newRate(burst, per),
		maxKeys: maxKeys,
		epoch:   time.Now(),
		entries: make(map[string]*entry),
	}
	l.lru.next, l.lru.prev = &l.lru, &l.lru
	return l
}

// Allow reports whether one event for key is allowed now, and if not, how
// long until it would be. An allowed event uses up one token; a refused one
// uses nothing. retryAfter is exact; round it up to whole seconds for a
// Retry-After header.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	return l.AllowAt(key, time.Now())
}

// AllowAt is Allow with the clock passed in, for callers that already read
// it and for tests, which step a fake clock instead of sleeping. Times
// should not go backwards; if they do, the limiter errs towards refusing.
func (l *Limiter) AllowAt(key string, t time.Time) (ok bool, retryAfter time.Duration) {
	return l.AllowNAt(key, t, 1)
}

// AllowN is Allow for an event that costs n tokens, for work whose cost
// grows with its size (a long message costs more to render than a short
// one). n is clamped to 1..burst, so every event can eventually pass.
func (l *Limiter) AllowN(key string, n int) (ok bool, retryAfter time.Duration) {
	return l.AllowNAt(key, time.Now(), n)
}

// AllowNAt is AllowN with the clock passed in.
func (l *Limiter) AllowNAt(key string, t time.Time, n int) (ok bool, retryAfter time.Duration) {
	n = min(max(n, 1), l.rate.burst())
	now := t.Sub(l.epoch)

	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[key]
	if e == nil {
		e = l.add(key, now)
	} else {
		l.unlink(e)
	}
	// Refused events count as use too, so a client that keeps hammering is
	// the last key to be forgotten, not the first.
	l.pushFront(e)
	e.full, ok, retryAfter = l.rate.allowN(e.full, now, n)
	return ok, retryAfter
}

// Len reports how many keys the limiter remembers.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// add makes an unlinked entry for key with a full bucket, evicting the least
// recently used key if the limiter is at capacity.
func (l *Limiter) add(key string, now time.Duration) *entry {
	var e *entry
	if len(l.entries) >= l.maxKeys {
		e = l.lru.prev
		l.unlink(e)
		delete(l.entries, e.key)
	} else {
		e = new(entry)
	}
	e.key, e.full = key, now
	l.entries[key] = e
	return e
}

func (l *Limiter) unlink(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (l *Limiter) pushFront(e *entry) {
	e.prev, e.next = &l.lru, l.lru.next
	l.lru.next.prev = e
	l.lru.next = e
}

// Bucket limits one stream of events, such as the frames on one socket. It
// is a small value with no lock: it belongs to the one goroutine that reads
// that stream, and must not be shared between goroutines without one.
// The zero Bucket allows nothing; make one with NewBucket.
type Bucket struct {
	rate rate
	// full is when the bucket is full again; the zero time means "already".
	full time.Time
}

// NewBucket returns a full Bucket that allows burst events at once,
// refilling to burst over per. It panics on a non-positive argument.
func NewBucket(burst int, per time.Duration) Bucket {
	return Bucket{rate: newRate(burst, per)}
}

// Allow reports whether one event at now is allowed, using up a token if so.
// The caller passes the time so that one time.Now serves a whole frame's
// bookkeeping, and tests need no clock.
func (b *Bucket) Allow(now time.Time) bool {
	if b.rate.interval == 0 {
		return false
	}
	// Work relative to now so the shared arithmetic stays in durations. A
	// zero full (a new bucket) is so far in the past that Sub saturates,
	// which allow treats as "full since long ago".
	next, ok, _ := b.rate.allow(b.full.Sub(now), 0)
	if ok {
		b.full = now.Add(next)
	}
	return ok
}

// IPKey is the Limiter key for a client address. An IPv6 client is keyed by
// its /64, because providers hand each customer at least that many addresses
// and keying by the full address would give one client 2^64 fresh buckets.
// An IPv4-mapped IPv6 address is keyed as the IPv4 address it is.
func IPKey(addr netip.Addr) string {
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.WithZone("").Prefix(64) // 64 is always in range for IPv6
		return p.String()
	}
	return addr.String()
}
