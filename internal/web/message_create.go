package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

type messageRequest struct {
	Body            string `json:"body"`
	ClientMessageID string `json:"client_message_id"`
}

// messageCreate posts a message: 201, or 200 with the original when the
// same client_message_id was already posted (a retry stores nothing).
func (a *API) messageCreate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "room")
	if err != nil {
		return err
	}
	var req messageRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	m, created, err := a.core.PostMessage(r.Context(), u, id, req.Body, req.ClientMessageID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	WriteJSON(w, status, wire.NewMessage(m))
	return nil
}
