package ui

import "net/http"

// botCreate adds a bot (admin) and shows its key, once.
func (u *UI) botCreate(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := parseForm(r); err != nil {
		return err
	}
	name, hook := r.PostForm.Get("name"), r.PostForm.Get("webhook_url")
	bot, key, err := u.core.CreateBot(r.Context(), v.me, name, hook)
	if err != nil {
		if handled, err := botFormError(u, w, r, v, err, name, hook); handled || err != nil {
			return err
		}
	}
	p, err := u.botsPage(w, r, v, bot.ID, key)
	if err != nil {
		return err
	}
	p.Flash.Notice = bot.Name + " is ready. Copy its key now: it won't be shown again."
	u.render(w, http.StatusOK, "bots", p)
	return nil
}
