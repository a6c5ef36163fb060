package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// roomDelete deletes a room and its messages (creator or admin).
func (a *API) roomDelete(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "room")
	if err != nil {
		return err
	}
	if err := a.core.DeleteRoom(r.Context(), u, id); err != nil {
		return err
	}
	return noContent(w)
}
