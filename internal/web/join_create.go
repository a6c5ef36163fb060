package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/campfire"
)

type joinRequest struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// joinCreate signs a person up with the account's join code.
func (a *API) joinCreate(w http.ResponseWriter, r *http.Request) error {
	var req joinRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	token, u, err := a.core.Join(r.Context(), r.PathValue("join_code"), campfire.Signup{
		Name: req.Name, Email: req.Email, Password: req.Password,
	}, ClientFrom(r))
	if err != nil {
		return err
	}
	return a.signedIn(w, r, token, u)
}
