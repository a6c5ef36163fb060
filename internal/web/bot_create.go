package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

type botRequest struct {
	Name       string `json:"name"`
	WebhookURL string `json:"webhook_url"`
}

// botCreate adds a bot (admin) and shows its key, once.
func (a *API) botCreate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	var req botRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	bot, key, err := a.core.CreateBot(r.Context(), u, req.Name, req.WebhookURL)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, newBot(bot, key))
	return nil
}
