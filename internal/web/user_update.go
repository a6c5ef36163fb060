package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

type roleRequest struct {
	Role chat.Role `json:"role"`
}

// userUpdate makes a person an admin or a member (admin).
func (a *API) userUpdate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return err
	}
	var req roleRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	x, err := a.core.SetRole(r.Context(), u, id, req.Role)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, wire.NewUser(x, true))
	return nil
}
