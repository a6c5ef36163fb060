package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// botResponse is a bot as its administrators see it. BotKey is present only
// when the key was just issued (create, reset): it is never stored.
type botResponse struct {
	wire.User
	WebhookURL string `json:"webhook_url"`
	BotKey     string `json:"bot_key,omitempty"`
}

func newBot(u chat.User, key string) botResponse {
	return botResponse{User: wire.NewUser(u, false), WebhookURL: u.WebhookURL, BotKey: key}
}

type botsResponse struct {
	Bots []botResponse `json:"bots"`
}

// botsList lists active bots (admin; an extension).
func (a *API) botsList(w http.ResponseWriter, r *http.Request, u chat.User) error {
	bots, err := a.core.Bots(r.Context(), u)
	if err != nil {
		return err
	}
	res := botsResponse{Bots: make([]botResponse, len(bots))}
	for i, b := range bots {
		res.Bots[i] = newBot(b, "")
	}
	WriteJSON(w, http.StatusOK, res)
	return nil
}
