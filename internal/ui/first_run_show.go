package ui

import "net/http"

// firstRunShow asks for the account name and the administrator's details,
// once: after setup it sends people to sign in.
func (u *UI) firstRunShow(w http.ResponseWriter, r *http.Request, v *visit) error {
	done, err := u.core.IsSetUp(r.Context())
	if err != nil {
		return err
	}
	if done {
		http.Redirect(w, r, "/session/new", http.StatusSeeOther)
		return nil
	}
	p := authPage{layout: u.bareLayout(r, v, "Set up Campfire")}
	p.Page = "first_run"
	u.render(w, http.StatusOK, "first_run", &p)
	return nil
}
