package ui

import "net/http"

// botUpdate renames a bot or changes its webhook (admin).
func (u *UI) botUpdate(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(r); err != nil {
		return err
	}
	name, hook := r.PostForm.Get("name"), r.PostForm.Get("webhook_url")
	if _, err := u.core.UpdateBot(r.Context(), v.me, id, &name, &hook); err != nil {
		if handled, err := botFormError(u, w, r, v, err, "", ""); handled || err != nil {
			return err
		}
	}
	u.redirect(w, r, "/account/bots", "Bot saved.")
	return nil
}
