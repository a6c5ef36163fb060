package ui

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/session"
)

// profileUpdate saves my profile; a blank password leaves it unchanged.
func (u *UI) profileUpdate(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	name, bio, email, password := f.Get("name"), f.Get("bio"), f.Get("email"), f.Get("password")
	p := campfire.ProfileUpdate{Name: &name, Bio: &bio, Email: &email, CurrentSession: session.FromContext(r.Context())}
	if password != "" {
		p.Password = &password
	}
	_, err := u.core.UpdateProfile(r.Context(), v.me, p)
	if msg, ok := formError(err); ok {
		l, lerr := u.fullLayout(w, r, v, "profile", "My profile", 0)
		if lerr != nil {
			return lerr
		}
		u.render(w, formStatus(err), "profile",
			&profilePage{layout: l, Error: msg, Name: name, Bio: bio, Email: email})
		return nil
	}
	if err != nil {
		return err
	}
	u.redirect(w, r, "/profile", "Profile saved.")
	return nil
}
