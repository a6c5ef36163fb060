package ui

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// roomNew is the form for an open or closed room.
func (u *UI) roomNew(w http.ResponseWriter, r *http.Request, v *visit) error {
	l, err := u.fullLayout(w, r, v, "room_new", "New room", 0)
	if err != nil {
		return err
	}
	people, err := u.people(r, v.me, nil)
	if err != nil {
		return err
	}
	u.render(w, http.StatusOK, "room_new", &roomForm{layout: l, Type: chat.RoomOpen, People: people})
	return nil
}
