package ui

import "net/http"

// joinCodeRegenerate replaces the join link (admin); the old one stops
// working at once.
func (u *UI) joinCodeRegenerate(w http.ResponseWriter, r *http.Request, v *visit) error {
	if _, err := u.core.RegenerateJoinCode(r.Context(), v.me); err != nil {
		return err
	}
	u.redirect(w, r, "/account", "New join link made. The old one no longer works.")
	return nil
}
