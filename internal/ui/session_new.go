package ui

import (
	"net/http"
)

// sessionNew is the sign-in form. It names an administrator to ask for help,
// since there is no "forgot password" email: an admin resets it.
func (u *UI) sessionNew(w http.ResponseWriter, r *http.Request, v *visit) error {
	returnTo := localPath(r.URL.Query().Get("return_to"))
	if v.signedIn {
		http.Redirect(w, r, returnTo, http.StatusSeeOther)
		return nil
	}
	done, err := u.core.IsSetUp(r.Context())
	if err != nil {
		return err
	}
	if !done {
		http.Redirect(w, r, "/first_run", http.StatusSeeOther)
		return nil
	}
	p, err := u.signInPage(w, r, v, returnTo)
	if err != nil {
		return err
	}
	u.render(w, http.StatusOK, "session_new", p)
	return nil
}

func (u *UI) signInPage(w http.ResponseWriter, r *http.Request, v *visit, returnTo string) (*authPage, error) {
	p := &authPage{layout: u.bareLayout(r, v, "Sign in"), ReturnTo: returnTo}
	p.Page = "session_new"
	p.Flash = u.takeFlash(w, r)
	ct, err := u.core.AdminContact(r.Context())
	if err != nil {
		return nil, err
	}
	p.AdminName, p.AdminEmail = ct.Name, ct.Email
	return p, nil
}
