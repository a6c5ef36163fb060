package ui

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/campfire"
)

// firstRunCreate creates the account, its administrator and "All Talk",
// and signs the administrator in.
func (u *UI) firstRunCreate(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := parseForm(r); err != nil {
		return err
	}
	s := campfire.Signup{
		AccountName: r.PostForm.Get("account_name"), Name: r.PostForm.Get("name"),
		Email: r.PostForm.Get("email"), Password: r.PostForm.Get("password"),
	}
	token, _, err := u.core.SetUp(r.Context(), s, u.client(r))
	if msg, ok := formError(err); ok {
		p := authPage{layout: u.bareLayout(r, v, "Set up Campfire"), Error: msg,
			NewAccountName: s.AccountName, Name: s.Name, Email: s.Email}
		p.Page = "first_run"
		u.render(w, formStatus(err), "first_run", &p)
		return nil
	}
	if err != nil {
		return err
	}
	u.setSession(w, r, token)
	u.redirect(w, r, "/", "Welcome to your Campfire. Invite people from Account settings.")
	return nil
}
