package ui

import "net/http"

// roomDeleteConfirm asks before a room and all its messages go.
func (u *UI) roomDeleteConfirm(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := u.roomSettings(w, r, v)
	if err != nil {
		return err
	}
	f.Title = "Delete " + f.RoomTitle
	u.render(w, http.StatusOK, "room_delete", f)
	return nil
}
