package main

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// The latency histogram: log-linear buckets in microseconds, HDR-like.
// Values below 64 µs have a bucket each; above, every power of two is
// split into 32 buckets, so a bucket is at most 1/32 (3.1 %) of its value
// wide. 1,152 buckets cover up to 2^40 µs (12 days) in under 10 KB, so
// recording is one atomic add and nothing grows with the number of
// samples.

const (
	histLinear  = 64
	histSub     = 32 // sub-buckets per power of two above histLinear
	histSubBits = 5
	histBuckets = histLinear + 34*histSub // up to 2^40 µs
	histMaxUs   = int64(1)<<40 - 1
)

// bucketOf is the bucket of a value in µs (negative counts as 0).
func bucketOf(us int64) int {
	if us < histLinear {
		return int(max(us, 0))
	}
	us = min(us, histMaxUs)
	e := bits.Len64(uint64(us)) - histSubBits - 1 // us>>e is in [32, 63]
	return histLinear + (e-1)*histSub + int(us>>e) - histSub
}

// bucketBounds is the range of values [lo, hi] in bucket b, in µs.
func bucketBounds(b int) (lo, hi int64) {
	if b < histLinear {
		return int64(b), int64(b)
	}
	e := (b-histLinear)/histSub + 1
	m := int64((b-histLinear)%histSub + histSub)
	return m << e, (m+1)<<e - 1
}

// histShard is one shard of a recorder, written with atomics. Shards keep
// the sockets of a run from all adding to the same cache lines.
type histShard struct {
	counts [histBuckets]atomic.Int64
	n, sum atomic.Int64
	max    atomic.Int64
	_      [64]byte
}

func (s *histShard) record(us int64) {
	us = max(us, 0)
	s.counts[bucketOf(us)].Add(1)
	s.n.Add(1)
	s.sum.Add(us)
	for {
		m := s.max.Load()
		if us <= m || s.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// recorder is a sharded histogram safe for concurrent use: each writer
// sticks to one shard (by its index), a snapshot sums them.
type recorder struct{ shards []histShard }

func newRecorder(shards int) *recorder { return &recorder{shards: make([]histShard, max(shards, 1))} }

// shard returns the shard for writer i.
func (r *recorder) shard(i int) *histShard { return &r.shards[i%len(r.shards)] }

func (r *recorder) record(i int, d time.Duration) { r.shard(i).record(d.Microseconds()) }

// count is the number of values recorded so far (racy but monotonic:
// for progress lines).
func (r *recorder) count() int64 {
	var n int64
	for i := range r.shards {
		n += r.shards[i].n.Load()
	}
	return n
}

func (r *recorder) snapshot() *hist {
	h := &hist{Counts: make([]int64, histBuckets)}
	for i := range r.shards {
		s := &r.shards[i]
		for b := range s.counts {
			h.Counts[b] += s.counts[b].Load()
		}
		h.N += s.n.Load()
		h.SumUs += s.sum.Load()
		h.MaxUs = max(h.MaxUs, s.max.Load())
	}
	return h
}

// hist is a snapshot of a recorder.
type hist struct {
	Counts []int64
	N      int64
	SumUs  int64
	MaxUs  int64
}

// quantile is the value at q (0..1) in µs: the upper bound of the bucket
// holding it, never above the largest value seen. 0 when empty.
func (h *hist) quantile(q float64) int64 {
	if h.N == 0 {
		return 0
	}
	rank := int64(q*float64(h.N) + 0.5)
	rank = min(max(rank, 1), h.N)
	var seen int64
	for b, c := range h.Counts {
		seen += c
		if seen >= rank {
			_, hi := bucketBounds(b)
			return min(hi, h.MaxUs)
		}
	}
	return h.MaxUs
}

func (h *hist) meanUs() float64 {
	if h.N == 0 {
		return 0
	}
	return float64(h.SumUs) / float64(h.N)
}

// ms converts µs to milliseconds for reports.
func ms(us int64) float64 { return float64(us) / 1000 }
