package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// meShow returns the caller, with their email.
func (a *API) meShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	WriteJSON(w, http.StatusOK, wire.NewUser(u, true))
	return nil
}
