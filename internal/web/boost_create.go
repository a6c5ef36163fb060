package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

type boostRequest struct {
	Content string `json:"content"`
}

// boostCreate adds a boost to a message in one of the caller's rooms.
func (a *API) boostCreate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "message")
	if err != nil {
		return err
	}
	var req boostRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	b, err := a.core.Boost(r.Context(), u, id, req.Content)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, wire.NewBoost(b))
	return nil
}
