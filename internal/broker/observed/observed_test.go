package observed_test

import (
	"context"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/broker/memory"
	"github.com/campfire-go/campfire/internal/broker/observed"
)

func TestPublishIsTimed(t *testing.T) {
	var n int
	b := observed.New(memory.New(0), func(d time.Duration) {
		if d < 0 {
			t.Errorf("took %v", d)
		}
		n++
	})
	defer b.Close()
	got := make(chan broker.Event, 1)
	b.Subscribe(func(e broker.Event) { got <- e })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	if err := b.Publish(ctx, broker.Event{Type: "message.created", RoomID: 1}); err != nil {
		t.Fatal(err)
	}
	if e := <-got; e.RoomID != 1 {
		t.Fatalf("event %+v", e)
	}
	if n != 1 {
		t.Fatalf("observed %d publishes, want 1", n)
	}
	cancel()
	<-done
}
