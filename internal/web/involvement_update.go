package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

type involvementRequest struct {
	Involvement chat.Involvement `json:"involvement"`
}

// involvementUpdate sets how much of a room the caller hears about.
func (a *API) involvementUpdate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "room")
	if err != nil {
		return err
	}
	var req involvementRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	v, err := a.core.SetInvolvement(r.Context(), u, id, req.Involvement)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, wire.NewRoom(v))
	return nil
}
