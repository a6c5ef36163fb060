package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// botMessageUpdate replaces the text of one of the bot's own messages with
// the raw request body.
func (a *API) botMessageUpdate(w http.ResponseWriter, r *http.Request, bot chat.User) error {
	m, err := a.botRoomMessage(r, bot)
	if err != nil {
		return err
	}
	body, err := readText(w, r, a.limits.MessageBytes)
	if err != nil {
		return err
	}
	m, err = a.core.UpdateMessage(r.Context(), bot, m.ID, body)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, wire.NewMessage(m))
	return nil
}
