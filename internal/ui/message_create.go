package ui

import (
	"net/http"
	"strconv"
)

// messageCreate posts from the composer form when JavaScript is off; with
// it on, the composer posts over the cable instead.
func (u *UI) messageCreate(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(r); err != nil {
		return err
	}
	back := "/rooms/" + strconv.FormatInt(id, 10)
	_, _, err = u.core.PostMessage(r.Context(), v.me, id, r.PostForm.Get("body"), r.PostForm.Get("client_message_id"))
	if msg, ok := formError(err); ok {
		u.redirect(w, r, back, msg)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
