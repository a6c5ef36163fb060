package monitor

import (
	"math"
	"sync/atomic"
	"time"
)

// Latencies are counted in geometric buckets 10% apart from 100µs to about
// 2 minutes, so a p99 is known within 10% from a fixed, small amount of
// memory however many requests come (no sample list a client could grow).
const (
	bucketBase   = 100 * time.Microsecond
	bucketGrowth = 1.1
	bucketCount  = 150
)

// bucketBound is the upper bound of bucket i.
func bucketBound(i int) time.Duration {
	return time.Duration(float64(bucketBase) * math.Pow(bucketGrowth, float64(i)))
}

func bucketOf(d time.Duration) int {
	if d <= bucketBase {
		return 0
	}
	i := int(math.Ceil(math.Log(float64(d)/float64(bucketBase)) / math.Log(bucketGrowth)))
	// Floating point may put an exact bound one bucket high or low.
	for i > 0 && bucketBound(i-1) >= d {
		i--
	}
	for i < bucketCount-1 && bucketBound(i) < d {
		i++
	}
	return min(i, bucketCount-1)
}

// slot counts one sampling interval's requests.
type slot struct {
	buckets [bucketCount]atomic.Uint32
	total   atomic.Uint64
	failed  atomic.Uint64 // 5xx
}

func (s *slot) reset() {
	for i := range s.buckets {
		s.buckets[i].Store(0)
	}
	s.total.Store(0)
	s.failed.Store(0)
}

// requests is a ring of slots covering the window: Observe adds to the
// current slot without locks; the sampler rotates once per interval.
type requests struct {
	slots []slot
	cur   atomic.Int32
}

func newRequests(n int) *requests { return &requests{slots: make([]slot, n+1)} }

func (r *requests) observe(status int, d time.Duration) {
	s := &r.slots[r.cur.Load()]
	s.buckets[bucketOf(d)].Add(1)
	s.total.Add(1)
	if status >= 500 {
		s.failed.Add(1)
	}
}

// window is what the requests of the last window say.
type window struct {
	total, failed uint64
	p99           time.Duration
}

// rotate starts a new slot, dropping the oldest, and sums the others (the
// full intervals of the window).
func (r *requests) rotate() window {
	next := (int(r.cur.Load()) + 1) % len(r.slots)
	r.slots[next].reset()
	r.cur.Store(int32(next))
	var w window
	var counts [bucketCount]uint64
	for i := range r.slots {
		if i == next {
			continue
		}
		s := &r.slots[i]
		w.total += s.total.Load()
		w.failed += s.failed.Load()
		for b := range counts {
			counts[b] += uint64(s.buckets[b].Load())
		}
	}
	var n uint64
	for _, c := range counts {
		n += c
	}
	if n == 0 {
		return w
	}
	// The smallest bucket holding the 99th percentile request; its upper
	// bound is the estimate (errs high, never low, by under 10%).
	rank := uint64(math.Ceil(0.99 * float64(n)))
	var seen uint64
	for b, c := range counts {
		seen += c
		if seen >= rank {
			w.p99 = bucketBound(b)
			break
		}
	}
	return w
}
