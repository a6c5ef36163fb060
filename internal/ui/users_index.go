package ui

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

type usersPage struct {
	layout
	People []userView
}

// usersIndex lists the people (admin), with their role and a way out.
func (u *UI) usersIndex(w http.ResponseWriter, r *http.Request, v *visit) error {
	us, err := u.core.Users(r.Context(), v.me)
	if err != nil {
		return err
	}
	l, err := u.fullLayout(w, r, v, "users", "People", 0)
	if err != nil {
		return err
	}
	p := &usersPage{layout: l}
	for _, x := range us {
		if x.Role == chat.RoleBot {
			continue
		}
		p.People = append(p.People, userView{ID: x.ID, Name: x.Name, Email: x.Email, Role: x.Role, IsMe: x.ID == v.me.ID})
	}
	u.render(w, http.StatusOK, "users", p)
	return nil
}
