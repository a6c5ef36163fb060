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
	// A member who may not create rooms gets a reason, not a form that
	// fails on submit.
	if !l.CanCreateRooms {
		u.renderError(w, r, v, http.StatusForbidden, "Only administrators create rooms",
			"In this account only administrators create rooms. Ask one of them to make the room for you.")
		return nil
	}
	people, err := u.people(r, v.me, nil)
	if err != nil {
		return err
	}
	u.render(w, http.StatusOK, "room_new", &roomForm{layout: l, Type: chat.RoomOpen, People: people})
	return nil
}
