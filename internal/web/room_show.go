package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// roomShow returns a room the caller is in, with its members.
func (a *API) roomShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "room")
	if err != nil {
		return err
	}
	v, err := a.core.RoomForUser(r.Context(), u, id)
	if err != nil {
		return err
	}
	members, err := a.core.Members(r.Context(), u, id)
	if err != nil {
		return err
	}
	room := wire.NewRoom(v)
	room.Members = make([]wire.Member, len(members))
	for i, m := range members {
		room.Members[i] = wire.Member{User: wire.NewUser(m.User, showEmail(u, m.User.ID)), Involvement: m.Involvement}
	}
	WriteJSON(w, http.StatusOK, room)
	return nil
}
