package main

import (
	"context"
	"sync"
	"testing"
	"time"
)

// A poster that fell behind (every worker busy) resumes at its pace: it
// never posts faster than its interval, which would pass the server's
// per-person limit.
func TestEngineDoesNotCatchUpInABurst(t *testing.T) {
	l := &load{cfg: &config{inflight: 1}, latency: newRecorder(1), postLat: newRecorder(1), connectLat: newRecorder(1),
		timeline: newTimeline(time.Now(), 10)}
	var mu sync.Mutex
	var sent []time.Time
	const interval = 40 * time.Millisecond
	p := &poster{kind: "test", room: &room{}, left: 8, interval: interval, next: time.Now(),
		do: func(ctx context.Context, body string) (int64, error) {
			mu.Lock()
			sent = append(sent, time.Now())
			first := len(sent) == 1
			mu.Unlock()
			if first {
				time.Sleep(10 * interval) // the only worker is stuck
			}
			return int64(len(sent)), nil
		}}
	e := l.startEngine(context.Background())
	e.addPoster(p)
	e.close()
	e.wait()
	if len(sent) != 8 || l.posted.Load() != 8 {
		t.Fatalf("sent %d, acknowledged %d; want 8", len(sent), l.posted.Load())
	}
	for i := 2; i < len(sent); i++ {
		if gap := sent[i].Sub(sent[i-1]); gap < interval*3/4 {
			t.Errorf("post %d followed the previous after %v, under the interval %v", i, gap, interval)
		}
	}
	if l.late.Load() == 0 {
		t.Error("the slipped schedule was not counted")
	}
}
