package realtime

import (
	"context"

	"github.com/campfire-go/campfire/internal/chat"
)

// Backend is what the cable needs from the application core. The core
// satisfies it; tests use a small in-memory one.
type Backend interface {
	// RoomForUser returns the room as u sees it; an error matching
	// chat.ErrNotFound when u may not see it.
	RoomForUser(ctx context.Context, u chat.User, roomID int64) (chat.RoomView, error)
	// MessagesAfter returns the room's messages with seq > afterSeq, oldest
	// first, at most limit (no authorization: the caller checked).
	MessagesAfter(ctx context.Context, roomID, afterSeq int64, limit int) ([]chat.Message, error)
	// PostMessage stores and publishes a message exactly like the HTTP post
	// (created=false for an idempotent retry).
	PostMessage(ctx context.Context, u chat.User, roomID int64, body, clientMessageID string) (chat.Message, bool, error)
	// SessionUser returns the active user of the session with tokenHash
	// ("" for a socket opened without one: then userID's), or an error
	// matching chat.ErrNotFound when it was revoked or the user is gone.
	SessionUser(ctx context.Context, userID int64, tokenHash string) (chat.User, error)
}
