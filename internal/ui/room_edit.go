package ui

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// roomEdit is a room's settings: its name, type and people for those who
// manage it, its people for everyone else.
func (u *UI) roomEdit(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := u.roomSettings(w, r, v)
	if err != nil {
		return err
	}
	u.render(w, http.StatusOK, "room_edit", f)
	return nil
}

func (u *UI) roomSettings(w http.ResponseWriter, r *http.Request, v *visit) (*roomForm, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	room, err := u.core.RoomForUser(r.Context(), v.me, id)
	if err != nil {
		return nil, err
	}
	members, err := u.core.Members(r.Context(), v.me, id)
	if err != nil {
		return nil, err
	}
	title := roomTitle(room, members, v.me.ID)
	l, err := u.fullLayout(w, r, v, "room_edit", title+" settings", id)
	if err != nil {
		return nil, err
	}
	f := &roomForm{layout: l, Room: room, RoomTitle: title, Name: room.Name, Type: room.Type,
		CanManage: v.me.IsAdmin() || room.CreatorID == v.me.ID, Direct: room.Type == chat.RoomDirect}
	if f.CanManage && !f.Direct {
		ids := make([]int64, len(members))
		for i, m := range members {
			ids[i] = m.User.ID
		}
		if f.People, err = u.people(r, v.me, ids); err != nil {
			return nil, err
		}
	} else {
		for _, m := range members {
			f.People = append(f.People, userView{ID: m.User.ID, Name: m.User.Name, Role: m.User.Role, IsMe: m.User.ID == v.me.ID})
		}
	}
	return f, nil
}
