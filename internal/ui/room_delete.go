package ui

import "net/http"

// roomDelete deletes a room with its messages (creator or admin).
func (u *UI) roomDelete(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := u.core.DeleteRoom(r.Context(), v.me, id); err != nil {
		return err
	}
	u.redirect(w, r, "/", "Room deleted.")
	return nil
}
