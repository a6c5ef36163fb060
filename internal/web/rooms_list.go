package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

type roomsResponse struct {
	Rooms []wire.Room `json:"rooms"`
}

// roomsList lists the caller's rooms, invisible ones flagged.
func (a *API) roomsList(w http.ResponseWriter, r *http.Request, u chat.User) error {
	rooms, err := a.core.Rooms(r.Context(), u)
	if err != nil {
		return err
	}
	res := roomsResponse{Rooms: make([]wire.Room, len(rooms))}
	for i, v := range rooms {
		res.Rooms[i] = wire.NewRoom(v)
	}
	WriteJSON(w, http.StatusOK, res)
	return nil
}
