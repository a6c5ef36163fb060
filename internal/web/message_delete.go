package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// messageDelete deletes a message (author or admin).
func (a *API) messageDelete(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "message")
	if err != nil {
		return err
	}
	if err := a.core.DeleteMessage(r.Context(), u, id); err != nil {
		return err
	}
	return noContent(w)
}
