package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

// testMessageByClientID: the idempotency key finds the stored message,
// and only by the whole key (room, creator, client id).
func testMessageByClientID(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	other := w.room(t, "Other", chat.RoomOpen, bob)
	m, _, _, err := s.CreateMessage(ctx(t), store.NewMessage{RoomID: w.allTalk.ID, CreatorID: bob.ID,
		ClientMessageID: "k-1", Body: "hi", BodyHTML: "<p>hi</p>", CreatedAt: time.Now()})
	must(t, err)
	got, err := s.MessageByClientID(ctx(t), w.allTalk.ID, bob.ID, "k-1")
	must(t, err)
	sameMessage(t, "found by its key", got, m)
	for _, miss := range []struct {
		name         string
		room, author int64
		key          string
	}{
		{"another room", other.ID, bob.ID, "k-1"},
		{"another author", w.allTalk.ID, w.admin.ID, "k-1"},
		{"another key", w.allTalk.ID, bob.ID, "k-2"},
		{"no key", w.allTalk.ID, bob.ID, ""},
	} {
		if _, err := s.MessageByClientID(ctx(t), miss.room, miss.author, miss.key); !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("%s: %v, want chat.ErrNotFound", miss.name, err)
		}
	}
	must(t, s.DeleteMessage(ctx(t), m.ID))
	if _, err := s.MessageByClientID(ctx(t), w.allTalk.ID, bob.ID, "k-1"); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("after deletion: %v, want chat.ErrNotFound", err)
	}
}
