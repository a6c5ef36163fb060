package ui

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// userRoleUpdate makes a person an admin or a member (admin).
func (u *UI) userRoleUpdate(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := parseForm(r); err != nil {
		return err
	}
	x, err := u.core.SetRole(r.Context(), v.me, id, chat.Role(r.PostForm.Get("role")))
	if msg, ok := formError(err); ok {
		u.redirect(w, r, "/account/users", msg)
		return nil
	}
	if err != nil {
		return err
	}
	u.redirect(w, r, "/account/users", x.Name+" is now "+article(string(x.Role))+" "+string(x.Role)+".")
	return nil
}

func article(word string) string {
	if word != "" && (word[0] == 'a' || word[0] == 'e' || word[0] == 'i' || word[0] == 'o' || word[0] == 'u') {
		return "an"
	}
	return "a"
}
