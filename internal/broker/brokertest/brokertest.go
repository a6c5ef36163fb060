// Package brokertest is the contract suite every broker.Broker passes. An
// implementation's test calls Run with a function that makes a fresh,
// unstarted broker; Run starts it, subscribes, and closes it at the end.
package brokertest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
)

// wait bounds every wait in the suite; a distributed broker gets the same
// generous bound as the in-process one.
const wait = 5 * time.Second

// Run runs the contract suite. newBroker returns a broker that has not been
// subscribed to or run yet.
func Run(t *testing.T, newBroker func(t *testing.T) broker.Broker) {
	t.Run("Delivery", func(t *testing.T) { testDelivery(t, newBroker(t)) })
	t.Run("OrderPerPublisherRoom", func(t *testing.T) { testOrder(t, newBroker(t)) })
	t.Run("ConcurrentPublishers", func(t *testing.T) { testConcurrent(t, newBroker(t)) })
	t.Run("CloseStopsDelivery", func(t *testing.T) { testClose(t, newBroker(t)) })
	t.Run("HandlerNeverBlocksPublisher", func(t *testing.T) { testNonBlocking(t, newBroker(t)) })
}

// start subscribes handle, runs b in the background and returns a stop
// function that closes b and waits for Run to return.
func start(t *testing.T, b broker.Broker, handle func(broker.Event)) (stop func()) {
	t.Helper()
	b.Subscribe(handle)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- b.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			if err := b.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			cancel()
			select {
			case err := <-ran:
				if err != nil && err != context.Canceled {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(wait):
				t.Errorf("Run did not return after Close")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func publish(t *testing.T, b broker.Broker, e broker.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := b.Publish(ctx, e); err != nil {
		t.Fatalf("Publish(%s): %v", e.Type, err)
	}
}

func recv(t *testing.T, ch <-chan broker.Event) broker.Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(wait):
		t.Fatalf("no event within %v", wait)
		return broker.Event{}
	}
}

// testDelivery: every field of an event arrives unchanged, whatever its scope.
func testDelivery(t *testing.T, b broker.Broker) {
	got := make(chan broker.Event, 16)
	start(t, b, func(e broker.Event) { got <- e })
	b.WatchRoom(7, true)
	b.WatchUser(3, true)
	b.WatchUser(4, true)

	events := []broker.Event{
		{Type: "message.created", RoomID: 7, Seq: 1, Frame: []byte(`{"type":"message.created","room_id":7}`)},
		{Type: "room.unread", RoomID: 7, UserIDs: []int64{3, 4}, Frame: []byte(`{"type":"room.unread","room_id":7}`)},
		{Type: "room.created", AllUsers: true, Frame: []byte(`{"type":"room.created"}`)},
		{Type: broker.ControlCloseUser, UserIDs: []int64{3}},
	}
	for _, e := range events {
		publish(t, b, e)
	}
	for _, want := range events {
		e := recv(t, got)
		if e.Type != want.Type || e.RoomID != want.RoomID || e.Seq != want.Seq || e.AllUsers != want.AllUsers ||
			!bytes.Equal(e.Frame, want.Frame) || fmt.Sprint(e.UserIDs) != fmt.Sprint(want.UserIDs) {
			t.Fatalf("got %+v, want %+v", e, want)
		}
	}
}

// testOrder: one publisher's events of one room arrive in publish order.
func testOrder(t *testing.T, b broker.Broker) {
	const n = 500
	got := make(chan broker.Event, n)
	start(t, b, func(e broker.Event) { got <- e })
	b.WatchRoom(1, true)
	for i := int64(1); i <= n; i++ {
		publish(t, b, broker.Event{Type: "message.created", RoomID: 1, Seq: i, Frame: []byte("x")})
	}
	for i := int64(1); i <= n; i++ {
		if e := recv(t, got); e.Seq != i {
			t.Fatalf("event %d arrived with seq %d", i, e.Seq)
		}
	}
}

// testConcurrent: publishers on different goroutines each keep their order
// within their room, and nothing is lost when the handler keeps up.
func testConcurrent(t *testing.T, b broker.Broker) {
	const publishers, n = 4, 200
	got := make(chan broker.Event, publishers*n)
	start(t, b, func(e broker.Event) { got <- e })
	for p := range publishers {
		b.WatchRoom(int64(p+1), true)
	}
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := int64(1); i <= n; i++ {
				if err := b.Publish(context.Background(), broker.Event{Type: "message.created", RoomID: int64(p + 1), Seq: i}); err != nil {
					t.Errorf("Publish: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	last := make(map[int64]int64)
	for range publishers * n {
		e := recv(t, got)
		if e.Seq != last[e.RoomID]+1 {
			t.Fatalf("room %d: seq %d after %d", e.RoomID, e.Seq, last[e.RoomID])
		}
		last[e.RoomID] = e.Seq
	}
}

// testClose: after Close returns, the handler is not called again and
// Publish does not deliver.
func testClose(t *testing.T, b broker.Broker) {
	var mu sync.Mutex
	closed := false
	got := make(chan broker.Event, 8)
	stop := start(t, b, func(e broker.Event) {
		mu.Lock()
		defer mu.Unlock()
		if closed {
			t.Errorf("handler called after Close: %+v", e)
		}
		got <- e
	})
	b.WatchRoom(1, true)
	publish(t, b, broker.Event{Type: "typing", RoomID: 1})
	recv(t, got)
	stop()
	mu.Lock()
	closed = true
	mu.Unlock()
	// Publishing after Close may fail or be ignored; it must neither panic
	// nor block nor reach the handler.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_ = b.Publish(ctx, broker.Event{Type: "typing", RoomID: 1})
	if ctx.Err() != nil {
		t.Fatal("Publish after Close blocked")
	}
}

// testNonBlocking: a handler stuck on one event never blocks Publish. Events
// may be dropped (at-most-once) but each Publish returns promptly.
func testNonBlocking(t *testing.T, b broker.Broker) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	start(t, b, func(e broker.Event) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
	})
	defer close(release)
	b.WatchRoom(1, true)
	publish(t, b, broker.Event{Type: "typing", RoomID: 1})
	select {
	case <-entered:
	case <-time.After(wait):
		t.Fatal("handler never called")
	}
	// More events than any reasonable queue holds (twice the default of
	// both brokers). Each Publish must return promptly; the bound is per
	// call, not for the whole loop, because a distributed broker's Publish
	// is a network round trip and a busy CI machine makes 10,000 of them
	// slow without anything blocking.
	const perPublish = time.Second
	for i := range 10000 {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		start := time.Now()
		_ = b.Publish(ctx, broker.Event{Type: "typing", RoomID: 1, Seq: int64(i)})
		cancel()
		if d := time.Since(start); d > perPublish {
			t.Fatalf("Publish %d took %v behind a stuck handler", i, d)
		}
	}
}
