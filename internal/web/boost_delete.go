package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// boostDelete removes a boost (its booster only).
func (a *API) boostDelete(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "boost")
	if err != nil {
		return err
	}
	if err := a.core.Unboost(r.Context(), u, id); err != nil {
		return err
	}
	return noContent(w)
}
