package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// botBoostCreate boosts a message in the room with the raw request body.
func (a *API) botBoostCreate(w http.ResponseWriter, r *http.Request, bot chat.User) error {
	m, err := a.botRoomMessage(r, bot)
	if err != nil {
		return err
	}
	// A boost is tiny; reading a little past its limit is enough to say
	// it is too long.
	content, err := readText(w, r, 4*a.limits.BoostRunes+64)
	if err != nil {
		return err
	}
	b, err := a.core.Boost(r.Context(), bot, m.ID, content)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, wire.NewBoost(b))
	return nil
}
