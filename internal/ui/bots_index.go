package ui

import (
	"net/http"
	"strconv"
)

type botsPage struct {
	layout
	Error      string
	Bots       []botView
	Name       string
	WebhookURL string
	Origin     string
	Room       roomLink // the room the curl examples post to
}

type botView struct {
	ID         int64
	Name       string
	WebhookURL string
	// Key is shown once, right after the bot is made or its key reset;
	// only its hash is stored.
	Key     string
	KeyHint string
}

// botsIndex lists the bots (admin) with ready-to-paste curl examples.
func (u *UI) botsIndex(w http.ResponseWriter, r *http.Request, v *visit) error {
	p, err := u.botsPage(w, r, v, 0, "")
	if err != nil {
		return err
	}
	u.render(w, http.StatusOK, "bots", p)
	return nil
}

// botsPage builds the page; freshID's key is shown as freshKey.
func (u *UI) botsPage(w http.ResponseWriter, r *http.Request, v *visit, freshID int64, freshKey string) (*botsPage, error) {
	bots, err := u.core.Bots(r.Context(), v.me)
	if err != nil {
		return nil, err
	}
	l, err := u.fullLayout(w, r, v, "bots", "Bots", 0)
	if err != nil {
		return nil, err
	}
	p := &botsPage{layout: l, Origin: u.origin(r)}
	// New bots join every open room; the examples use the first one.
	for _, rl := range l.Sidebar.Shared {
		if !rl.Closed {
			p.Room = rl
			break
		}
	}
	if p.Room.ID == 0 {
		p.Room = roomLink{ID: 1, Name: "a room"}
	}
	for _, b := range bots {
		bv := botView{ID: b.ID, Name: b.Name, WebhookURL: b.WebhookURL, KeyHint: strconv.FormatInt(b.ID, 10) + "-…"}
		if b.ID == freshID {
			bv.Key = freshKey
		}
		p.Bots = append(p.Bots, bv)
	}
	return p, nil
}

func botFormError(u *UI, w http.ResponseWriter, r *http.Request, v *visit, err error, name, hook string) (bool, error) {
	msg, ok := formError(err)
	if !ok {
		return false, err
	}
	p, perr := u.botsPage(w, r, v, 0, "")
	if perr != nil {
		return true, perr
	}
	p.Error, p.Name, p.WebhookURL = msg, name, hook
	u.render(w, formStatus(err), "bots", p)
	return true, nil
}
