package ui

import "net/http"

type pingForm struct {
	layout
	Error  string
	People []userView
}

// pingNew picks the people of a direct room ("ping").
func (u *UI) pingNew(w http.ResponseWriter, r *http.Request, v *visit) error {
	l, err := u.fullLayout(w, r, v, "ping_new", "New ping", 0)
	if err != nil {
		return err
	}
	people, err := u.people(r, v.me, nil)
	if err != nil {
		return err
	}
	u.render(w, http.StatusOK, "ping_new", &pingForm{layout: l, People: people})
	return nil
}
