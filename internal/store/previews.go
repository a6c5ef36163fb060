package store

import (
	"context"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
)

// Previews owns link previews and the blob keys of uploaded avatars and the
// account logo (the bytes are in the blob store). A preview is read with its
// message on every read path (chat.Message.Preview) and deleted with it or
// its room (ON DELETE CASCADE).
type Previews interface {
	// SetLinkPreview stores p as its message's preview, replacing any,
	// moves the message's updated_at to at (so a client catching up after
	// a reconnect refetches it) and returns the message. A message that is
	// gone returns chat.ErrNotFound.
	SetLinkPreview(ctx context.Context, p chat.LinkPreview, at time.Time) (chat.Message, error)
	// DeleteLinkPreview removes a message's preview, moving updated_at as
	// SetLinkPreview does, and returns the message. chat.ErrNotFound when
	// the message is gone or had no preview.
	DeleteLinkPreview(ctx context.Context, messageID int64, at time.Time) (chat.Message, error)
	// SetUserAvatar records a user's avatar blob key ("" for none) and
	// returns the user; chat.ErrNotFound for an unknown user.
	SetUserAvatar(ctx context.Context, userID int64, key string, at time.Time) (chat.User, error)
	// SetAccountLogo records the account logo's blob key ("" for none) and
	// returns the account; chat.ErrNotFound before setup.
	SetAccountLogo(ctx context.Context, key string) (chat.Account, error)
}
