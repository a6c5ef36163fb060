package ui

import (
	"net/http"
	"strconv"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
)

// roomUpdate renames a room, changes its type or its people (creator or
// admin). The people are taken only for a closed room.
func (u *UI) roomUpdate(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(r); err != nil {
		return err
	}
	var in campfire.RoomInput
	if _, ok := r.PostForm["name"]; ok {
		name := r.PostForm.Get("name")
		in.Name = &name
	}
	typ := chat.RoomType(r.PostForm.Get("type"))
	if typ != "" {
		in.Type = &typ
	}
	ids, err := postedIDs(r)
	if err == nil && typ == chat.RoomClosed && r.PostForm.Get("people") == "1" {
		in.UserIDs = &ids
	}
	if err == nil {
		_, err = u.core.UpdateRoom(r.Context(), v.me, id, in)
	}
	if msg, ok := formError(err); ok {
		f, ferr := u.roomSettings(w, r, v)
		if ferr != nil {
			return ferr
		}
		f.Error = msg
		if in.Name != nil {
			f.Name = *in.Name
		}
		if in.Type != nil {
			f.Type = *in.Type
		}
		u.render(w, formStatus(err), "room_edit", f)
		return nil
	}
	if err != nil {
		return err
	}
	// An admin who took themself out of a closed room can no longer see it.
	if _, err := u.core.RoomForUser(r.Context(), v.me, id); err != nil {
		u.redirect(w, r, "/", "Room saved.")
		return nil
	}
	u.redirect(w, r, "/rooms/"+strconv.FormatInt(id, 10), "Room saved.")
	return nil
}
