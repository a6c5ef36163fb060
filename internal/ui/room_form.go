package ui

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/campfire-go/campfire/internal/chat"
)

// roomForm is the data of the new-room and room-settings forms.
type roomForm struct {
	layout
	Error     string
	Room      chat.RoomView // zero for a new room
	RoomTitle string        // a ping's title is its people
	Name      string
	Type      chat.RoomType
	People    []userView
	CanManage bool
	Direct    bool
}

// postedIDs reads the user_ids checkboxes of a picker.
func postedIDs(r *http.Request) ([]int64, error) {
	vals := r.PostForm["user_ids"]
	ids := make([]int64, 0, len(vals))
	for _, s := range vals {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, chat.Invalid("invalid_user_ids", "pick people from the list")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// people lists everyone a picker offers (not the visitor), checked as given.
func (u *UI) people(r *http.Request, me chat.User, checked []int64) ([]userView, error) {
	us, err := u.core.Users(r.Context(), me)
	if err != nil {
		return nil, err
	}
	out := make([]userView, 0, len(us))
	for _, x := range us {
		if x.ID == me.ID {
			continue
		}
		out = append(out, userView{ID: x.ID, Name: x.Name, Role: x.Role, Checked: slices.Contains(checked, x.ID)})
	}
	return out, nil
}
