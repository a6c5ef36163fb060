package ui

import "net/http"

type profilePage struct {
	layout
	Error string
	Name  string
	Bio   string
	Email string
}

// profileEdit is my name, bio, email and password.
func (u *UI) profileEdit(w http.ResponseWriter, r *http.Request, v *visit) error {
	l, err := u.fullLayout(w, r, v, "profile", "My profile", 0)
	if err != nil {
		return err
	}
	u.render(w, http.StatusOK, "profile", &profilePage{layout: l, Name: v.me.Name, Bio: v.me.Bio, Email: v.me.Email})
	return nil
}
