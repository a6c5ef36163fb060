package ui

import (
	"net/http"
	"strconv"
)

// pingCreate opens the direct room with exactly these people, creating it
// the first time.
func (u *UI) pingCreate(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := parseForm(r); err != nil {
		return err
	}
	ids, err := postedIDs(r)
	if err == nil {
		room, _, derr := u.core.DirectRoom(r.Context(), v.me, ids)
		if derr == nil {
			http.Redirect(w, r, "/rooms/"+strconv.FormatInt(room.ID, 10), http.StatusSeeOther)
			return nil
		}
		err = derr
	}
	msg, ok := formError(err)
	if !ok {
		return err
	}
	status := formStatus(err)
	l, err := u.fullLayout(w, r, v, "ping_new", "New ping", 0)
	if err != nil {
		return err
	}
	people, err := u.people(r, v.me, ids)
	if err != nil {
		return err
	}
	u.render(w, status, "ping_new", &pingForm{layout: l, Error: msg, People: people})
	return nil
}
