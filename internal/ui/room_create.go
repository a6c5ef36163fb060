package ui

import (
	"net/http"
	"strconv"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
)

// roomCreate creates a room: open rooms include everyone, closed rooms the
// people picked (and the creator).
func (u *UI) roomCreate(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := parseForm(r); err != nil {
		return err
	}
	name, typ := r.PostForm.Get("name"), chat.RoomType(r.PostForm.Get("type"))
	ids, err := postedIDs(r)
	var room chat.RoomView
	if err == nil {
		in := campfire.RoomInput{Name: &name, Type: &typ}
		if typ == chat.RoomClosed {
			in.UserIDs = &ids
		}
		room, err = u.core.CreateRoom(r.Context(), v.me, in)
	}
	if msg, ok := formError(err); ok {
		l, lerr := u.fullLayout(w, r, v, "room_new", "New room", 0)
		if lerr != nil {
			return lerr
		}
		people, perr := u.people(r, v.me, ids)
		if perr != nil {
			return perr
		}
		u.render(w, formStatus(err), "room_new",
			&roomForm{layout: l, Error: msg, Name: name, Type: typ, People: people})
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/rooms/"+strconv.FormatInt(room.ID, 10), http.StatusSeeOther)
	return nil
}
