package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// userShow returns one user, deactivated ones too (old messages link here).
func (a *API) userShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return err
	}
	x, err := a.core.User(r.Context(), u, id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, wire.NewUser(x, showEmail(u, x.ID)))
	return nil
}
