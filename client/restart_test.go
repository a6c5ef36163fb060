package client_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/client"
	"github.com/campfire-go/campfire/internal/testbin"
)

// Across a restart of the real binary: SIGTERM closes the cable with 1001,
// the cable retries until the server is back, resumes, and the messages
// posted around the restart all arrive once, in order.
func TestCableAcrossRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections) // testbin polls with it
	srv := testbin.Start(t, t.TempDir())
	anon := newClient(t, srv.Base)
	s, err := anon.Setup(ctx(t), "Test Co", "Ada Admin", "ada@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	admin := anon.WithToken(s.Token)
	rooms := must[[]client.Room](t)(admin.Rooms(ctx(t)))
	room := rooms[0].ID

	cb := dial(t, admin, &client.CableOptions{MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	var disconnected []error
	col := collect(t, cb, room, 0)
	col.mu.Lock()
	col.onDisconnect = func(err error) { disconnected = append(disconnected, err) }
	col.mu.Unlock()
	if err := cb.SubscribeSince(ctx(t), room, 0); err != nil {
		t.Fatal(err)
	}
	post := func(from, to int) {
		for i := from; i <= to; i++ {
			if _, err := admin.PostMessage(ctx(t), room, fmt.Sprintf("m%d", i), ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	post(1, 20)
	col.waitFor(t, 20, wait)
	srv.Stop()
	srv.Start()
	post(21, 40)
	col.waitFor(t, 40, 20*time.Second)
	col.check(t, 40, nil)

	col.mu.Lock()
	defer col.mu.Unlock()
	if col.reconnected == 0 || len(disconnected) == 0 {
		t.Fatalf("reconnected %d, disconnected %v", col.reconnected, disconnected)
	}
	var ce *websocket.CloseError
	if !errors.As(disconnected[0], &ce) || ce.Code != client.CloseGoingAway {
		t.Errorf("first disconnection: %v, want close 1001", disconnected[0])
	}
}
