package ui

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// joinShow is the sign-up form behind an account's join link.
func (u *UI) joinShow(w http.ResponseWriter, r *http.Request, v *visit) error {
	code := r.PathValue("code")
	acct, ok, err := u.core.JoinCodeValid(r.Context(), code, u.client(r))
	if err != nil {
		return err
	}
	if !ok {
		return chat.NotFound("join link")
	}
	if v.signedIn {
		u.redirect(w, r, "/", "You're already signed in.")
		return nil
	}
	p := authPage{layout: u.bareLayout(r, v, "Join "+acct.Name), JoinCode: code}
	p.Page = "join"
	u.render(w, http.StatusOK, "join", &p)
	return nil
}
