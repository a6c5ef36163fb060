package redis

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/broker/brokertest"
	"github.com/campfire-go/campfire/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newTestBroker(t *testing.T, url string, opts Options) *Broker {
	t.Helper()
	opts.URL = url
	if opts.Prefix == "" {
		opts.Prefix = testenv.RedisPrefix(t)
	}
	b, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestContract(t *testing.T) {
	url := testenv.RedisURL(t)
	brokertest.Run(t, func(t *testing.T) broker.Broker { return newTestBroker(t, url, Options{}) })
}

func TestCluster(t *testing.T) {
	url := testenv.RedisURL(t)
	brokertest.RunCluster(t, func(t *testing.T) broker.Broker { return newTestBroker(t, url, Options{}) })
}

// The layout BenchmarkChannels compares against, one channel per room and
// per user subscribed while watched, must pass the same suites.
func TestClusterChannelPerRoom(t *testing.T) {
	url := testenv.RedisURL(t)
	brokertest.Run(t, func(t *testing.T) broker.Broker {
		return newTestBroker(t, url, Options{roomShards: -1, userShards: -1})
	})
	brokertest.RunCluster(t, func(t *testing.T) broker.Broker {
		return newTestBroker(t, url, Options{roomShards: -1, userShards: -1})
	})
}

// A payload that is not ours is logged and dropped: the broker keeps
// delivering what follows.
func TestMalformedPayloadDropped(t *testing.T) {
	url := testenv.RedisURL(t)
	b := newTestBroker(t, url, Options{})
	got := make(chan broker.Event, 8)
	b.Subscribe(func(e broker.Event) { got <- e })
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); _ = b.Run(ctx) }()
	t.Cleanup(func() { cancel(); _ = b.Close(); <-ran })
	b.WatchRoom(1, true)

	other := newTestBroker(t, url, Options{}) // publishes only, never runs
	waitFor(t, func() bool {
		return b.Healthy(context.Background()) == nil
	})
	ch := b.roomChannel(1)
	for _, p := range []string{"", "\x01", "\x02garbage-from-a-future-version", "\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "\x01abcdefgh\x00\x05ab"} {
		if err := other.client.Publish(ctx, ch, p).Err(); err != nil {
			t.Fatal(err)
		}
	}
	want := broker.Event{Type: "typing", RoomID: 1, Frame: []byte("ok")}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := other.Publish(ctx, want); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-got:
			if e.Type != "typing" || string(e.Frame) != "ok" {
				t.Fatalf("got %+v", e)
			}
			if n := b.Stats().Malformed; n != 5 {
				t.Fatalf("Malformed = %d, want 5", n)
			}
			return
		case <-time.After(100 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no event after the malformed ones")
			}
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNewClientForms(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"redis://127.0.0.1:6379/0", "*redis.Client"},
		{"redis://u:p@h1:26379,h2:26379/0?master_name=mymaster", "*redis.Client"},
		{"redis://h1:7000,h2:7000,h3:7000", "*redis.ClusterClient"},
		{"unix:///tmp/redis.sock", "*redis.Client"},
	} {
		c, err := NewClient(tc.url)
		if err != nil {
			t.Errorf("NewClient(%q): %v", tc.url, err)
			continue
		}
		if got := typeName(c); got != tc.want {
			t.Errorf("NewClient(%q) = %s, want %s", tc.url, got, tc.want)
		}
		_ = c.Close()
	}
	for _, bad := range []string{"", "http://x", "redis://h1,h2/0?bogus=1"} {
		if c, err := NewClient(bad); err == nil {
			_ = c.Close()
			t.Errorf("NewClient(%q) succeeded", bad)
		}
	}
}
