package redis

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/testenv"
)

// faultNode is a running broker and what reached its handler.
type faultNode struct {
	b       *Broker
	lastSeq atomic.Int64
	resyncs chan struct{}
}

func startFaultNode(t *testing.T, url, prefix string) *faultNode {
	t.Helper()
	n := &faultNode{resyncs: make(chan struct{}, 16)}
	n.b = newTestBroker(t, url, Options{Prefix: prefix, PublishTimeout: 200 * time.Millisecond, health: 100 * time.Millisecond})
	n.b.Subscribe(func(e broker.Event) {
		switch e.Type {
		case broker.ControlResync:
			select {
			case n.resyncs <- struct{}{}:
			default:
			}
		case "message.created":
			n.lastSeq.Store(e.Seq)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); _ = n.b.Run(ctx) }()
	t.Cleanup(func() { cancel(); _ = n.b.Close(); <-ran })
	n.b.WatchRoom(1, true)
	return n
}

// steadyPublisher publishes seq 1, 2, 3… to room 1 every 2 ms until the
// test ends, ignoring failures (Redis may be down), and returns the last
// seq Redis accepted.
func steadyPublisher(t *testing.T, b *Broker) (accepted func() int64) {
	var last atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for seq := int64(1); ; seq++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			start := time.Now()
			err := b.Publish(ctx, broker.Event{Type: "message.created", RoomID: 1, Seq: seq, Frame: []byte("x")})
			if d := time.Since(start); d > time.Second {
				t.Errorf("Publish took %v with Redis down; the timeout is 200ms", d)
			}
			if err == nil {
				last.Store(seq)
			}
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return last.Load
}

// resumes waits until sub receives a seq that pub published after this
// call, i.e. delivery works end to end.
func resumes(t *testing.T, sub *faultNode, accepted func() int64, within time.Duration) {
	t.Helper()
	from := accepted()
	deadline := time.Now().Add(within)
	for sub.lastSeq.Load() <= from || accepted() <= from {
		if time.Now().After(deadline) {
			t.Fatalf("delivery did not resume within %v (last received %d, accepted before %d, now %d)", within, sub.lastSeq.Load(), from, accepted())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func awaitResync(t *testing.T, n *faultNode, name string, within time.Duration) {
	t.Helper()
	select {
	case <-n.resyncs:
	case <-time.After(within):
		t.Fatalf("%s: no ControlResync within %v", name, within)
	}
}

func healthy(t *testing.T, b *Broker) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return b.Healthy(ctx)
}

// TestRedisRestart kills Redis under a steady publish and starts it again
// on the same port: both brokers notice, reconnect by themselves, emit
// ControlResync, report healthy again, and delivery resumes.
func TestRedisRestart(t *testing.T) {
	srv := testenv.StartRedis(t)
	prefix := testenv.RedisPrefix(t)
	pub := startFaultNode(t, srv.URL(), prefix)
	sub := startFaultNode(t, srv.URL(), prefix)
	waitFor(t, func() bool { return healthy(t, pub.b) == nil && healthy(t, sub.b) == nil })
	accepted := steadyPublisher(t, pub.b)
	resumes(t, sub, accepted, 5*time.Second)
	select {
	case <-sub.resyncs:
		t.Fatal("ControlResync before any outage")
	default:
	}

	for round := range 2 {
		srv.Kill()
		waitFor(t, func() bool { return healthy(t, sub.b) != nil })
		time.Sleep(300 * time.Millisecond) // publishes fail meanwhile
		srv.Start()
		awaitResync(t, sub, "subscriber", 10*time.Second)
		awaitResync(t, pub, "publisher", 10*time.Second)
		waitFor(t, func() bool { return healthy(t, sub.b) == nil })
		resumes(t, sub, accepted, 5*time.Second)
		if n := sub.b.Stats().Resyncs; n != uint64(round+1) {
			t.Fatalf("round %d: %d resyncs, want %d", round, n, round+1)
		}
	}
}

// TestRedisHang pauses Redis (SIGSTOP): the connection stays open and
// silent. The subscriber must notice by its pings, replace the
// connection, and resync once Redis answers again.
func TestRedisHang(t *testing.T) {
	srv := testenv.StartRedis(t)
	prefix := testenv.RedisPrefix(t)
	pub := startFaultNode(t, srv.URL(), prefix)
	sub := startFaultNode(t, srv.URL(), prefix)
	waitFor(t, func() bool { return healthy(t, pub.b) == nil && healthy(t, sub.b) == nil })
	accepted := steadyPublisher(t, pub.b)
	resumes(t, sub, accepted, 5*time.Second)

	srv.Pause()
	waitFor(t, func() bool { return !sub.b.connected.Load() })
	srv.Resume()
	awaitResync(t, sub, "subscriber", 10*time.Second)
	resumes(t, sub, accepted, 5*time.Second)
}

// TestRedisDownAtStart: a broker started while Redis is down reports
// unhealthy, and once Redis comes up it connects, resyncs and delivers.
func TestRedisDownAtStart(t *testing.T) {
	srv := testenv.StartRedis(t)
	srv.Kill()
	prefix := testenv.RedisPrefix(t)
	sub := startFaultNode(t, srv.URL(), prefix)
	time.Sleep(200 * time.Millisecond)
	if err := healthy(t, sub.b); err == nil {
		t.Fatal("healthy with Redis down")
	}
	srv.Start()
	awaitResync(t, sub, "subscriber", 10*time.Second)
	pub := startFaultNode(t, srv.URL(), prefix)
	accepted := steadyPublisher(t, pub.b)
	resumes(t, sub, accepted, 5*time.Second)
}

// failPublish fails every PUBLISH while on is set, leaving the client's
// connections (and so a subscriber on the same Redis) untouched.
type failPublish struct{ on atomic.Bool }

func (f *failPublish) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (f *failPublish) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}
func (f *failPublish) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if f.on.Load() && cmd.Name() == "publish" {
			err := errors.New("injected: publish lost")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

// A publish that fails while every subscriber stays connected reaches no
// other instance, and nothing on their side would notice: once Redis
// takes publishes again, the publisher asks every instance to resync.
func TestLostPublishMakesOthersResync(t *testing.T) {
	url := testenv.RedisURL(t)
	prefix := testenv.RedisPrefix(t)
	sub := startFaultNode(t, url, prefix)

	client, err := NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	hook := &failPublish{}
	client.AddHook(hook)
	pub := newTestBroker(t, "", Options{Client: client, Prefix: prefix, health: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); _ = pub.Run(ctx) }()
	defer func() { cancel(); <-ran }()
	waitFor(t, func() bool { return healthy(t, sub.b) == nil && healthy(t, pub) == nil })

	hook.on.Store(true)
	if err := pub.Publish(ctx, broker.Event{Type: "message.created", RoomID: 1, Seq: 1, Frame: []byte("x")}); err == nil {
		t.Fatal("the injected failure did not fail Publish")
	}
	select {
	case <-sub.resyncs:
		t.Fatal("resync requested while publishes still fail")
	case <-time.After(200 * time.Millisecond):
	}
	hook.on.Store(false)
	awaitResync(t, sub, "subscriber", 5*time.Second)
	if s := sub.b.Stats(); s.RemoteResyncs != 1 || s.Resyncs != 0 {
		t.Fatalf("subscriber stats %+v: want 1 remote resync and no reconnect", s)
	}
	waitFor(t, func() bool { return pub.Stats().Repairs == 1 })
}
