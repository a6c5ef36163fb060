package ui

import "net/http"

// sessionDestroy signs out: the token is revoked, not just forgotten.
func (u *UI) sessionDestroy(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := u.api.SignOut(w, r); err != nil {
		return err
	}
	u.redirect(w, r, "/session/new", "You're signed out.")
	return nil
}
