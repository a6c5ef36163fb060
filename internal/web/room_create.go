package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// roomRequest creates or changes a room; nil fields were not sent (and are
// left alone by an update).
type roomRequest struct {
	Name    *string        `json:"name"`
	Type    *chat.RoomType `json:"type"`
	UserIDs *[]int64       `json:"user_ids"`
}

func (req roomRequest) input() campfire.RoomInput {
	return campfire.RoomInput{Name: req.Name, Type: req.Type, UserIDs: req.UserIDs}
}

// roomCreate creates an open or closed room with the caller in it.
func (a *API) roomCreate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	var req roomRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	v, err := a.core.CreateRoom(r.Context(), u, req.input())
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, wire.NewRoom(v))
	return nil
}
