package ui

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/campfire"
)

// joinCreate signs a person up through the join link; they join every open
// room.
func (u *UI) joinCreate(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := parseForm(r); err != nil {
		return err
	}
	code := r.PathValue("code")
	s := campfire.Signup{Name: r.PostForm.Get("name"), Email: r.PostForm.Get("email"), Password: r.PostForm.Get("password")}
	token, _, err := u.core.Join(r.Context(), code, s, u.client(r))
	if msg, ok := formError(err); ok {
		p := authPage{layout: u.bareLayout(r, v, "Join"), Error: msg, Name: s.Name, Email: s.Email, JoinCode: code}
		p.Page = "join"
		u.render(w, formStatus(err), "join", &p)
		return nil
	}
	if err != nil {
		return err
	}
	u.setSession(w, r, token)
	u.redirect(w, r, "/", "Welcome! You're in.")
	return nil
}
