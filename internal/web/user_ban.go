package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// userBan deactivates a user and bans the addresses they signed in from
// (admin; an extension).
func (a *API) userBan(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return err
	}
	if err := a.core.Ban(r.Context(), u, id); err != nil {
		return err
	}
	return noContent(w)
}
