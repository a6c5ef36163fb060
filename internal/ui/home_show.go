package ui

import (
	"net/http"
	"strconv"
)

// lastRoomCookie remembers the room a browser last showed, to open it again.
const lastRoomCookie = "last_room"

// homeShow opens the last room this browser showed, or the first room.
func (u *UI) homeShow(w http.ResponseWriter, r *http.Request, v *visit) error {
	if c, err := r.Cookie(lastRoomCookie); err == nil {
		if id, err := strconv.ParseInt(c.Value, 10, 64); err == nil && id > 0 {
			if _, err := u.core.RoomForUser(r.Context(), v.me, id); err == nil {
				http.Redirect(w, r, "/rooms/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
				return nil
			}
		}
	}
	sb, err := u.sidebar(r.Context(), v.me, 0)
	if err != nil {
		return err
	}
	if first := append(sb.Shared, sb.Direct...); len(first) > 0 {
		http.Redirect(w, r, "/rooms/"+strconv.FormatInt(first[0].ID, 10), http.StatusSeeOther)
		return nil
	}
	l, err := u.fullLayout(w, r, v, "home", "Campfire", 0)
	if err != nil {
		return err
	}
	u.render(w, http.StatusOK, "home", &l)
	return nil
}
