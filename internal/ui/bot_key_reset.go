package ui

import "net/http"

// botKeyReset gives a bot a new key (admin); the old one stops working.
func (u *UI) botKeyReset(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	bot, key, err := u.core.ResetBotKey(r.Context(), v.me, id)
	if err != nil {
		return err
	}
	p, err := u.botsPage(w, r, v, bot.ID, key)
	if err != nil {
		return err
	}
	p.Flash.Notice = bot.Name + " has a new key. Copy it now: it won't be shown again."
	u.render(w, http.StatusOK, "bots", p)
	return nil
}
