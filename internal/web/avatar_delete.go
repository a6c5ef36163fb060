package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// avatarDelete goes back to the initials (DELETE …/avatar): oneself, or an
// admin for anyone.
func (a *API) avatarDelete(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := avatarTarget(r, u)
	if err != nil {
		return err
	}
	x, err := a.core.DeleteAvatar(r.Context(), u, id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, wire.NewUser(x, u.ID == x.ID || u.IsAdmin()))
	return nil
}
