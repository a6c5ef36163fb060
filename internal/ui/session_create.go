package ui

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/web"
)

// sessionCreate signs a person in and sends them where they were going.
func (u *UI) sessionCreate(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := parseForm(r); err != nil {
		return err
	}
	email, returnTo := r.PostForm.Get("email"), localPath(r.PostForm.Get("return_to"))
	token, _, err := u.core.SignIn(r.Context(), email, r.PostForm.Get("password"), u.client(r))
	if msg, ok := formError(err); ok {
		p, perr := u.signInPage(w, r, v, returnTo)
		if perr != nil {
			return perr
		}
		p.Error, p.Email = msg, email
		web.SetRetryAfter(w, err)
		u.render(w, formStatus(err), "session_new", p)
		return nil
	}
	if err != nil {
		return err
	}
	u.setSession(w, r, token)
	http.Redirect(w, r, returnTo, http.StatusSeeOther)
	return nil
}
