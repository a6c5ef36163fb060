package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// userDelete deactivates a user (admin): sessions revoked, sockets closed.
func (a *API) userDelete(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return err
	}
	if err := a.core.Deactivate(r.Context(), u, id); err != nil {
		return err
	}
	return noContent(w)
}
