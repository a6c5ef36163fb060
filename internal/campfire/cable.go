package campfire

import (
	"context"

	"github.com/campfire-go/campfire/internal/chat"
)

// SessionUser re-checks a socket's credentials: it returns the active user
// of the session with tokenHash (of userID, for a socket opened without a
// session), or an error matching chat.ErrNotFound when the session was
// revoked or the user is no longer active. The hub asks after a broker
// reconnect, when revocations published meanwhile may have been lost.
func (c *Core) SessionUser(ctx context.Context, userID int64, tokenHash string) (chat.User, error) {
	var (
		u   chat.User
		err error
	)
	if tokenHash == "" {
		u, err = c.store.User(ctx, userID)
	} else {
		var s chat.Session
		s, u, err = c.store.SessionByTokenHash(ctx, tokenHash)
		if err == nil && s.UserID != userID {
			err = chat.ErrNotFound
		}
	}
	if err == nil && !u.Active() {
		err = chat.ErrNotFound
	}
	return u, err
}
