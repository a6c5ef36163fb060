package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

type usersResponse struct {
	Users []wire.User `json:"users"`
}

// showEmail is the contract's rule: an email is shown to admins and to the
// user themself.
func showEmail(viewer chat.User, id int64) bool { return viewer.IsAdmin() || viewer.ID == id }

// usersList lists active people and bots.
func (a *API) usersList(w http.ResponseWriter, r *http.Request, u chat.User) error {
	users, err := a.core.Users(r.Context(), u)
	if err != nil {
		return err
	}
	res := usersResponse{Users: make([]wire.User, len(users))}
	for i, x := range users {
		res.Users[i] = wire.NewUser(x, showEmail(u, x.ID))
	}
	WriteJSON(w, http.StatusOK, res)
	return nil
}
