package storetest

import (
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

func withFile(a chat.Attachment) postOpt {
	return func(m *store.NewMessage) { m.Attachment = &a }
}

// sameAttachment compares attachments, times to the millisecond.
func sameAttachment(t *testing.T, what string, got, want *chat.Attachment) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Fatalf("%s: got %+v, want %+v", what, got, want)
	}
	if got == nil {
		return
	}
	g, w := *got, *want
	if !g.CreatedAt.Equal(w.CreatedAt) {
		t.Fatalf("%s: created_at %v, want %v", what, g.CreatedAt, w.CreatedAt)
	}
	g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
	if g != w {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// testAttachments: an attachment is written with its message, read back on
// every read path, finished by the thumbnailer and deleted with the message
// or the room.
func testAttachments(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	img := chat.Attachment{Key: "attachments/ab/img1", Filename: "cat photo.png", ContentType: "image/png",
		ByteSize: 12345, State: chat.ThumbnailPending}
	m, _ := w.post(t, w.allTalk, bob, "a cat", withFile(img), clientID("up-1"))
	if m.Attachment == nil || m.Attachment.MessageID != m.ID || m.Attachment.Key != img.Key ||
		m.Attachment.State != chat.ThumbnailPending || m.Attachment.CreatedAt.IsZero() {
		t.Fatalf("created attachment %+v", m.Attachment)
	}
	plain, _ := w.post(t, w.allTalk, bob, "no file")
	if plain.Attachment != nil {
		t.Fatalf("a message without a file has attachment %+v", plain.Attachment)
	}
	// A file with no caption has an empty body.
	doc, _ := w.post(t, w.allTalk, w.admin, "", withFile(chat.Attachment{Key: "attachments/cd/doc", Filename: "notes.pdf",
		ContentType: "application/pdf", ByteSize: 99}))
	if doc.Attachment.State != chat.ThumbnailNone || doc.Body != "" {
		t.Fatalf("uncaptioned file: body %q, attachment %+v", doc.Body, doc.Attachment)
	}

	got, err := s.Message(ctx(t), m.ID)
	must(t, err)
	sameAttachment(t, "Message", got.Attachment, m.Attachment)
	page, err := s.Messages(ctx(t), w.allTalk.ID, store.Page{Limit: 10})
	must(t, err)
	if len(page) != 3 {
		t.Fatalf("page has %d messages", len(page))
	}
	sameAttachment(t, "page[0]", page[0].Attachment, m.Attachment)
	sameAttachment(t, "page[1]", page[1].Attachment, nil)
	sameAttachment(t, "page[2]", page[2].Attachment, doc.Attachment)
	byClient, err := s.MessageByClientID(ctx(t), w.allTalk.ID, bob.ID, "up-1")
	must(t, err)
	sameAttachment(t, "MessageByClientID", byClient.Attachment, m.Attachment)
	found, err := s.Search(ctx(t), w.admin.ID, "cat", 10)
	must(t, err)
	if len(found) != 1 {
		t.Fatalf("search found %d", len(found))
	}
	sameAttachment(t, "Search", found[0].Attachment, m.Attachment)

	// A retry stores no second attachment and returns the first.
	retry := store.NewMessage{RoomID: w.allTalk.ID, CreatorID: bob.ID, ClientMessageID: "up-1", Body: "a cat",
		BodyHTML: "<p>a cat</p>", Attachment: &chat.Attachment{Key: "attachments/zz/other", Filename: "x", ContentType: "image/png"}}
	again, created, _, err := s.CreateMessage(ctx(t), retry)
	must(t, err)
	if created {
		t.Fatal("retry created a message")
	}
	sameAttachment(t, "retry", again.Attachment, m.Attachment)

	// The thumbnailer's queue.
	pending, err := s.PendingThumbnails(ctx(t), time.Now().Add(time.Minute), 10)
	must(t, err)
	if len(pending) != 1 || pending[0].MessageID != m.ID {
		t.Fatalf("pending %+v", pending)
	}
	if pending, _ := s.PendingThumbnails(ctx(t), m.CreatedAt.Add(-time.Second), 10); len(pending) != 0 {
		t.Fatalf("pending before the upload: %+v", pending)
	}
	since := time.Now().Add(-time.Hour)
	done, err := s.FinishThumbnail(ctx(t), m.ID, store.ThumbnailResult{State: chat.ThumbnailReady, Width: 4000,
		Height: 3000, ThumbnailKey: "attachments/ab/img1.thumb", UpdatedAt: time.Now()})
	must(t, err)
	a := done.Attachment
	if a == nil || a.State != chat.ThumbnailReady || a.Width != 4000 || a.Height != 3000 || a.ThumbnailKey != "attachments/ab/img1.thumb" {
		t.Fatalf("finished %+v", a)
	}
	if !done.UpdatedAt.After(done.CreatedAt) {
		t.Fatal("a finished thumbnail does not move updated_at")
	}
	updated, err := s.MessagesUpdatedSince(ctx(t), w.allTalk.ID, since, 10)
	must(t, err)
	if len(updated) != 1 || updated[0].ID != m.ID {
		t.Fatalf("updated since: %v", messageIDs(updated))
	}
	sameAttachment(t, "updated since", updated[0].Attachment, a)
	if pending, _ := s.PendingThumbnails(ctx(t), time.Now().Add(time.Minute), 10); len(pending) != 0 {
		t.Fatalf("still pending after finishing: %+v", pending)
	}
	_, err = s.FinishThumbnail(ctx(t), 999999, store.ThumbnailResult{State: chat.ThumbnailNone})
	wantErr(t, err, chat.ErrNotFound, "finishing a missing message")

	keys, err := s.RoomAttachmentKeys(ctx(t), w.allTalk.ID)
	must(t, err)
	sameStrings(t, "room keys", keys, []string{"attachments/ab/img1", "attachments/ab/img1.thumb", "attachments/cd/doc"})

	// Deleted with the message, and with the room.
	must(t, s.DeleteMessage(ctx(t), m.ID))
	keys, err = s.RoomAttachmentKeys(ctx(t), w.allTalk.ID)
	must(t, err)
	sameStrings(t, "room keys after delete", keys, []string{"attachments/cd/doc"})
	_, err = s.DeleteRoom(ctx(t), w.allTalk.ID)
	must(t, err)
	keys, err = s.RoomAttachmentKeys(ctx(t), w.allTalk.ID)
	must(t, err)
	sameStrings(t, "room keys after the room's delete", keys, nil)
}

func sameStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	g := map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	if len(got) != len(want) || len(g) != len(want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
	for _, s := range want {
		if !g[s] {
			t.Fatalf("%s: got %q, want %q", what, got, want)
		}
	}
}
