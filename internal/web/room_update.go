package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// roomUpdate renames a room, changes its type or members (creator or admin).
func (a *API) roomUpdate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "room")
	if err != nil {
		return err
	}
	var req roomRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	v, err := a.core.UpdateRoom(r.Context(), u, id, req.input())
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, wire.NewRoom(v))
	return nil
}
