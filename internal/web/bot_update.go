package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

type botUpdateRequest struct {
	Name       *string `json:"name"`
	WebhookURL *string `json:"webhook_url"`
}

// botUpdate renames a bot or changes its webhook (admin; an extension).
func (a *API) botUpdate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "bot")
	if err != nil {
		return err
	}
	var req botUpdateRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	bot, err := a.core.UpdateBot(r.Context(), u, id, req.Name, req.WebhookURL)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newBot(bot, ""))
	return nil
}
