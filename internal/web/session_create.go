package web

import (
	"net/http"
)

type sessionRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// sessionCreate signs in with email and password (rate limited per IP).
func (a *API) sessionCreate(w http.ResponseWriter, r *http.Request) error {
	var req sessionRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	token, u, err := a.core.SignIn(r.Context(), req.Email, req.Password, ClientFrom(r))
	if err != nil {
		return err
	}
	return a.signedIn(w, r, token, u)
}
