package ui

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

type userPage struct {
	layout
	User   chat.User
	IsMe   bool
	Active bool
	IsBot  bool
}

// userShow is a person's page, with a button to ping them.
func (u *UI) userShow(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	x, err := u.core.User(r.Context(), v.me, id)
	if err != nil {
		return err
	}
	l, err := u.fullLayout(w, r, v, "user", x.Name, 0)
	if err != nil {
		return err
	}
	u.render(w, http.StatusOK, "user", &userPage{layout: l, User: x, IsMe: x.ID == v.me.ID,
		Active: x.Active(), IsBot: x.Role == chat.RoleBot})
	return nil
}
