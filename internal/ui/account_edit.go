package ui

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

type accountPage struct {
	layout
	Error   string
	Account chat.Account
	Name    string
	JoinURL string
}

// origin is this site's scheme and host as the browser sees them.
func (u *UI) origin(r *http.Request) string {
	if u.secure(r) {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// accountEdit is the account's settings (admin): its name and the join
// link, with a QR code and a copy button.
func (u *UI) accountEdit(w http.ResponseWriter, r *http.Request, v *visit) error {
	p, err := u.accountPage(w, r, v)
	if err != nil {
		return err
	}
	u.render(w, http.StatusOK, "account", p)
	return nil
}

func (u *UI) accountPage(w http.ResponseWriter, r *http.Request, v *visit) (*accountPage, error) {
	acct, err := u.core.Account(r.Context(), v.me)
	if err != nil {
		return nil, err
	}
	l, err := u.fullLayout(w, r, v, "account", "Account settings", 0)
	if err != nil {
		return nil, err
	}
	return &accountPage{layout: l, Account: acct, Name: acct.Name, JoinURL: u.origin(r) + "/join/" + acct.JoinCode}, nil
}
