package ui

import "net/http"

// userDeactivate removes a person (admin): signed out everywhere, out of
// every shared room; their messages stay.
func (u *UI) userDeactivate(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = u.core.Deactivate(r.Context(), v.me, id)
	if msg, ok := formError(err); ok {
		u.redirect(w, r, "/account/users", msg)
		return nil
	}
	if err != nil {
		return err
	}
	u.redirect(w, r, "/account/users", "Deactivated.")
	return nil
}
