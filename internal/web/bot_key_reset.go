package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// botKeyReset issues a new key; the old one stops working at once (admin;
// an extension).
func (a *API) botKeyReset(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "bot")
	if err != nil {
		return err
	}
	bot, key, err := a.core.ResetBotKey(r.Context(), u, id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newBot(bot, key))
	return nil
}
