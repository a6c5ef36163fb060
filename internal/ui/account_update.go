package ui

import "net/http"

// accountUpdate renames the account (admin).
func (u *UI) accountUpdate(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := parseForm(r); err != nil {
		return err
	}
	name := r.PostForm.Get("name")
	_, err := u.core.RenameAccount(r.Context(), v.me, name)
	if msg, ok := formError(err); ok {
		p, perr := u.accountPage(w, r, v)
		if perr != nil {
			return perr
		}
		p.Error, p.Name = msg, name
		u.render(w, formStatus(err), "account", p)
		return nil
	}
	if err != nil {
		return err
	}
	u.redirect(w, r, "/account", "Account renamed.")
	return nil
}
