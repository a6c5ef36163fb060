package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// botDelete deactivates a bot (admin; an extension).
func (a *API) botDelete(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "bot")
	if err != nil {
		return err
	}
	if err := a.core.DeleteBot(r.Context(), u, id); err != nil {
		return err
	}
	return noContent(w)
}
