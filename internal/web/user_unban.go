package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// userUnban lets a banned person back (admin): the addresses their ban
// added are lifted and they are active again.
func (a *API) userUnban(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return err
	}
	if err := a.core.Unban(r.Context(), u, id); err != nil {
		return err
	}
	return noContent(w)
}
