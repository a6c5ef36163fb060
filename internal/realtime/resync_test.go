package realtime

import (
	"errors"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/chat"
)

// After a broker reconnect the hub cannot know what it missed: messages
// committed meanwhile arrive from the database without waiting for a later
// one to reveal the gap, and revocations that were lost in transit take
// effect anyway.
func TestResyncCatchesUpAndRechecks(t *testing.T) {
	e := newEnv(t, Config{})
	u := e.be.addUser(1)
	e.be.addUser(2)
	gone := e.be.addUser(3)
	e.be.addRoom(1, 1, 3)
	e.be.addRoom(2, 1, 2)
	reader, leaver, deactivated := e.dial(1), e.dial(2), e.dial(3)
	reader.subscribe(1)
	leaver.subscribe(2)
	deactivated.subscribe(1)

	// While the broker was away: two messages committed, never published;
	// user 2 removed from room 2; user 3 deactivated.
	e.be.commit(u, 1, "lost 1")
	e.be.commit(u, 1, "lost 2")
	e.be.mu.Lock()
	delete(e.be.members[2], 2)
	gone.Status = chat.StatusDeactivated
	e.be.users[3] = gone
	e.be.mu.Unlock()

	e.hub.Handle(broker.Event{Type: broker.ControlResync})

	expectSeqs(t, "caught up", reader.messages(1, 2), 1, 2)
	if code := deactivated.closeCode(); code != CloseUnauthorized {
		t.Fatalf("deactivated user's socket closed with %d, want %d", code, CloseUnauthorized)
	}
	// The leaver's subscription is gone: a message to room 2 does not reach
	// it, while a ping still answers (the socket stays open).
	e.be.PostMessage(t.Context(), u, 2, "after leaving", "")
	leaver.send(map[string]string{"type": "ping"})
	if f := leaver.next("pong", func(f frame) bool { return f.Type == "pong" || f.Type == "message.created" }); f.Type != "pong" {
		t.Fatalf("a socket whose user left the room got %s", f.Type)
	}
	if s := e.hub.Stats(); s.Resyncs != 1 {
		t.Fatalf("Resyncs = %d, want 1", s.Resyncs)
	}
}

// A subscribe the server cannot serve (its database failing) closes the
// socket with 1013, so the client reconnects and resumes, instead of
// leaving it open, unsubscribed and silent.
func TestSubscribeFailureClosesWithTryAgain(t *testing.T) {
	e := newEnv(t, Config{})
	u := e.be.addUser(1)
	e.be.addRoom(1, 1)
	e.be.commit(u, 1, "history")
	e.be.mu.Lock()
	e.be.failing = errors.New("database is locked")
	e.be.mu.Unlock()
	c := e.dial(1)
	c.send(map[string]any{"type": "subscribe", "room_id": 1, "since": 0})
	if code := c.closeCode(); code != CloseTryAgain {
		t.Fatalf("closed with %d, want %d", code, CloseTryAgain)
	}
	if s := e.hub.Stats(); s.BusyClosed != 1 {
		t.Fatalf("BusyClosed = %d, want 1", s.BusyClosed)
	}
}

// A storm of subscribes queues for the database; one that waits too long
// is closed with 1013 rather than timing out into silence, and the ones
// admitted are served once the database answers.
func TestSubscribeStormQueuesThenRefuses(t *testing.T) {
	e := newEnv(t, Config{SubscribeConcurrency: 1, SubscribeWait: 100 * time.Millisecond})
	e.be.addUser(1)
	e.be.addUser(2)
	e.be.addRoom(1, 1, 2)
	gate := make(chan struct{})
	e.be.mu.Lock()
	e.be.gate = gate
	e.be.mu.Unlock()
	first, second := e.dial(1), e.dial(2)
	first.send(map[string]any{"type": "subscribe", "room_id": 1})
	// Wait until the first holds the only slot, then the second queues.
	deadline := time.Now().Add(wait)
	for len(e.hub.subscribing) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the first subscribe never started")
		}
		time.Sleep(time.Millisecond)
	}
	second.send(map[string]any{"type": "subscribe", "room_id": 1})
	if code := second.closeCode(); code != CloseTryAgain {
		t.Fatalf("queued socket closed with %d, want %d", code, CloseTryAgain)
	}
	close(gate)
	if f := first.expect("subscribed"); f.RoomID != 1 {
		t.Fatalf("first got %+v", f)
	}
}
