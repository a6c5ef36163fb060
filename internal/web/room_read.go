package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// roomRead clears the caller's unread marker (an extension: reading the
// newest page of messages does it too, but a client that reads over the
// cable says so here).
func (a *API) roomRead(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "room")
	if err != nil {
		return err
	}
	if err := a.core.MarkRead(r.Context(), u, id); err != nil {
		return err
	}
	return noContent(w)
}
