package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// messageShow returns one message in a room the caller is in (an
// extension; the bot API's Location header points here).
func (a *API) messageShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "message")
	if err != nil {
		return err
	}
	m, err := a.core.Message(r.Context(), u, id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, wire.NewMessage(m))
	return nil
}
