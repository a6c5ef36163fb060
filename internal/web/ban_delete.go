package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// banDelete lifts a ban (admin; an extension).
func (a *API) banDelete(w http.ResponseWriter, r *http.Request, u chat.User) error {
	if err := a.core.UnbanIP(r.Context(), u, r.PathValue("ip")); err != nil {
		return err
	}
	return noContent(w)
}
