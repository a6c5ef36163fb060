package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

type messageEditRequest struct {
	Body string `json:"body"`
}

// messageUpdate edits a message (author or admin).
func (a *API) messageUpdate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "message")
	if err != nil {
		return err
	}
	var req messageEditRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	m, err := a.core.UpdateMessage(r.Context(), u, id, req.Body)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, wire.NewMessage(m))
	return nil
}
