package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/wire"
)

// profileRequest leaves out (nil) what the client did not send.
type profileRequest struct {
	Name     *string `json:"name"`
	Bio      *string `json:"bio"`
	Email    *string `json:"email"`
	Password *string `json:"password"`
}

// meUpdate changes the caller's own profile.
func (a *API) meUpdate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	var req profileRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	nu, err := a.core.UpdateProfile(r.Context(), u, campfire.ProfileUpdate{
		Name: req.Name, Bio: req.Bio, Email: req.Email, Password: req.Password,
		CurrentSession: session.FromContext(r.Context()),
	})
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, wire.NewUser(nu, true))
	return nil
}
