package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// botMessageDelete deletes one of the bot's own messages.
func (a *API) botMessageDelete(w http.ResponseWriter, r *http.Request, bot chat.User) error {
	m, err := a.botRoomMessage(r, bot)
	if err != nil {
		return err
	}
	if err := a.core.DeleteMessage(r.Context(), bot, m.ID); err != nil {
		return err
	}
	return noContent(w)
}
