package ui

import "net/http"

// botDelete deactivates a bot (admin); its key stops working.
func (u *UI) botDelete(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := u.core.DeleteBot(r.Context(), v.me, id); err != nil {
		return err
	}
	u.redirect(w, r, "/account/bots", "Bot removed.")
	return nil
}
