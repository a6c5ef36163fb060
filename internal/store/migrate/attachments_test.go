package migrate_test

import (
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

// addAttachment posts a file (its row; the bytes stay in the blob store)
// and records its thumbnail, as the server does.
func addAttachment(t *testing.T, s store.Store, r chat.Room, by chat.User) {
	t.Helper()
	m, _, _, err := s.CreateMessage(t.Context(), store.NewMessage{RoomID: r.ID, CreatorID: by.ID, Body: "the plan",
		BodyHTML: "<p>the plan</p>", CreatedAt: time.Now(),
		Attachment: &chat.Attachment{Key: "attachments/ab/cdef", Filename: "plan é.png", ContentType: "image/png",
			ByteSize: 4242, State: chat.ThumbnailPending}})
	must(t, err)
	_, err = s.FinishThumbnail(t.Context(), m.ID, store.ThumbnailResult{State: chat.ThumbnailReady, Width: 1600,
		Height: 900, ThumbnailKey: "attachments/ab/cdef.thumb", UpdatedAt: time.Now().Add(time.Millisecond)})
	must(t, err)
}

// detach returns msgs without their attachments, and the attachments by
// value: %+v of a message prints only the pointer.
func detach(msgs ...chat.Message) ([]chat.Message, []chat.Attachment) {
	out, atts := make([]chat.Message, len(msgs)), []chat.Attachment{}
	for i, m := range msgs {
		if m.Attachment != nil {
			atts = append(atts, *m.Attachment)
		}
		m.Attachment = nil
		out[i] = m
	}
	return out, atts
}
