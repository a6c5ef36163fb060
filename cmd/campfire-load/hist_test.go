package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsCoverEveryValueOnce(t *testing.T) {
	prevHi := int64(-1)
	for b := range histBuckets {
		lo, hi := bucketBounds(b)
		if lo != prevHi+1 || hi < lo {
			t.Fatalf("bucket %d is [%d, %d] after %d", b, lo, hi, prevHi)
		}
		if bucketOf(lo) != b || bucketOf(hi) != b {
			t.Fatalf("bucket %d [%d, %d]: bucketOf gives %d and %d", b, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		if lo >= histLinear && float64(hi-lo+1)/float64(lo) > 1.0/histSub+1e-9 {
			t.Fatalf("bucket %d [%d, %d] is wider than 1/%d of its value", b, lo, hi, histSub)
		}
		prevHi = hi
	}
	if prevHi != histMaxUs {
		t.Fatalf("buckets end at %d, want %d", prevHi, histMaxUs)
	}
	if bucketOf(-5) != 0 || bucketOf(1<<50) != histBuckets-1 {
		t.Fatal("out-of-range values are not clamped")
	}
}

func TestQuantilesWithinABucketOfExact(t *testing.T) {
	r := newRecorder(4)
	rng := rand.New(rand.NewPCG(1, 2))
	var exact []int64
	for i := range 100_000 {
		// Log-normal-ish: most around a millisecond, a long tail.
		us := int64(200 + rng.ExpFloat64()*800)
		if i%100 == 0 {
			us *= 50
		}
		exact = append(exact, us)
		r.record(i, time.Duration(us)*time.Microsecond)
	}
	slices.Sort(exact)
	h := r.snapshot()
	if h.N != int64(len(exact)) || h.MaxUs != exact[len(exact)-1] {
		t.Fatalf("n %d max %d, want %d %d", h.N, h.MaxUs, len(exact), exact[len(exact)-1])
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		want := exact[min(len(exact)-1, int(q*float64(len(exact))+0.5)-1)]
		got := h.quantile(q)
		if got < want || float64(got-want) > float64(want)/histSub+1 {
			t.Errorf("p%v = %d µs, exact %d µs: more than a bucket apart", q*100, got, want)
		}
	}
	if empty := newRecorder(1).snapshot(); empty.quantile(0.99) != 0 {
		t.Error("an empty histogram has a p99")
	}
}

func TestRecorderConcurrent(t *testing.T) {
	r := newRecorder(8)
	done := make(chan struct{})
	for w := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 10_000 {
				r.record(w, time.Duration(i)*time.Microsecond)
			}
		}()
	}
	for range 8 {
		<-done
	}
	if h := r.snapshot(); h.N != 80_000 || h.MaxUs != 9_999 || r.count() != 80_000 {
		t.Fatalf("n %d max %d", h.N, h.MaxUs)
	}
}
