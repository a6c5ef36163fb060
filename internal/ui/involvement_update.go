package ui

import (
	"net/http"
	"strconv"

	"github.com/campfire-go/campfire/internal/chat"
)

// involvementUpdate moves the room's bell (the form behind it; app.js
// calls the API instead and stays on the page).
func (u *UI) involvementUpdate(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(r); err != nil {
		return err
	}
	inv := chat.Involvement(r.PostForm.Get("involvement"))
	if _, err := u.core.SetInvolvement(r.Context(), v.me, id, inv); err != nil {
		return err
	}
	u.redirect(w, r, "/rooms/"+strconv.FormatInt(id, 10), "")
	return nil
}
