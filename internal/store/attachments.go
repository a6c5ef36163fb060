package store

import (
	"context"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
)

// Attachments owns the rows of files posted as messages (the bytes are in
// the blob store). An attachment is written with its message
// (NewMessage.Attachment), read with it (chat.Message.Attachment, on every
// read path: one message, pages, replays, search) and deleted with it or
// its room (ON DELETE CASCADE).
type Attachments interface {
	// FinishThumbnail records what the thumbnailer learnt about an image
	// attachment (State ready with its size and thumbnail key, or none),
	// moves the message's updated_at so a client catching up after a
	// reconnect refetches it, and returns the message. A message that is
	// gone returns chat.ErrNotFound.
	FinishThumbnail(ctx context.Context, messageID int64, t ThumbnailResult) (chat.Message, error)
	// PendingThumbnails lists up to limit attachments still waiting for a
	// thumbnail that were created before before, oldest first.
	PendingThumbnails(ctx context.Context, before time.Time, limit int) ([]chat.Attachment, error)
	// RoomAttachmentKeys lists the blob keys (files and thumbnails) of a
	// room's attachments, so the files can be deleted with the room.
	RoomAttachmentKeys(ctx context.Context, roomID int64) ([]string, error)
}

// ThumbnailResult is the outcome of making a thumbnail.
type ThumbnailResult struct {
	State         chat.ThumbnailState // ready or none
	Width, Height int                 // the original's, when known
	ThumbnailKey  string              // with State ready
	UpdatedAt     time.Time
}
