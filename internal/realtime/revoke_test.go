package realtime

import (
	"context"
	"testing"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// Losing membership unsubscribes the socket: nothing posted to the room
// after the change reaches it, while its other rooms keep flowing.
func TestRemovedMemberStopsHearingTheRoomAtOnce(t *testing.T) {
	e := newCoreEnv(t, 2)
	ctx := context.Background()
	admin, bea := e.users[0], e.users[1]
	name, closed := "Secret", chat.RoomClosed
	ids := []int64{bea.ID}
	room, err := e.core.CreateRoom(ctx, admin, campfire.RoomInput{Name: &name, Type: &closed, UserIDs: &ids})
	if err != nil {
		t.Fatal(err)
	}
	c := e.dial(t, 1)
	c.subscribe(room.ID, 0)
	c.subscribe(e.roomID, 0)
	if _, _, err := e.core.PostMessage(ctx, admin, room.ID, "before", ""); err != nil {
		t.Fatal(err)
	}
	c.messages(room.ID, 1)

	none := []int64{}
	if _, err := e.core.UpdateRoom(ctx, admin, room.ID, campfire.RoomInput{UserIDs: &none}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.core.PostMessage(ctx, admin, room.ID, "after", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.core.PostMessage(ctx, admin, e.roomID, "marker", ""); err != nil {
		t.Fatal(err)
	}
	// Frames reach a socket in the order the hub handled their events; the
	// marker was published after "after", so "after" would precede it.
	c.next("the marker", func(f frame) bool {
		if f.Type == wire.TypeMessageCreated && f.RoomID == room.ID {
			t.Fatalf("a removed member got %q", f.msg().Body)
		}
		return f.Type == wire.TypeMessageCreated && f.RoomID == e.roomID
	})
}
