package campfire

import (
	"fmt"
	"testing"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

// The push decision, as Campfire makes it: who hears of a message, by room
// type, involvement, mention, presence and authorship.
func TestPushRecipients(t *testing.T) {
	const author, reader = 1, 2
	shared := chat.Room{ID: 9, Type: chat.RoomOpen}
	direct := chat.Room{ID: 9, Type: chat.RoomDirect}
	cases := []struct {
		room      chat.Room
		inv       chat.Involvement
		user      int64
		mentioned bool
		online    bool
		want      bool
	}{
		{shared, chat.InvolvementEverything, reader, false, false, true},
		{shared, chat.InvolvementEverything, reader, true, false, true},
		{shared, chat.InvolvementMentions, reader, false, false, false},
		{shared, chat.InvolvementMentions, reader, true, false, true},
		{shared, chat.InvolvementNothing, reader, true, false, false},
		{shared, chat.InvolvementInvisible, reader, true, false, false},
		{shared, chat.InvolvementEverything, reader, true, true, false}, // reading along
		{shared, chat.InvolvementEverything, author, true, false, false},
		{direct, chat.InvolvementEverything, reader, false, false, true},
		{direct, chat.InvolvementMentions, reader, false, false, true}, // direct rooms count as everything
		{direct, chat.InvolvementNothing, reader, false, false, false},
		{direct, chat.InvolvementEverything, reader, false, true, false},
		{direct, chat.InvolvementEverything, author, false, false, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/user%d/mentioned=%v/online=%v", c.room.Type, c.inv, c.user, c.mentioned, c.online), func(t *testing.T) {
			m := chat.Message{ID: 5, RoomID: 9, CreatorID: author}
			if c.mentioned {
				m.Mentions = []int64{3, c.user}
			}
			var online []int64
			if c.online {
				online = []int64{c.user, 7}
			}
			targets := []store.PushTarget{
				{PushSubscription: store.PushSubscription{ID: 1, UserID: c.user}, Involvement: c.inv},
				{PushSubscription: store.PushSubscription{ID: 2, UserID: c.user}, Involvement: c.inv}, // a second device
			}
			got := pushRecipients(c.room, m, targets, online)
			if want := map[bool]int{true: 2, false: 0}[c.want]; len(got) != want {
				t.Fatalf("%d of 2 devices notified, want %d", len(got), want)
			}
		})
	}
}
