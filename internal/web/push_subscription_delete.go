package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

type pushUnsubscribeRequest struct {
	Endpoint string `json:"endpoint"`
}

// pushSubscriptionDelete unsubscribes one of the caller's browsers (204,
// also when the caller held no such subscription).
func (a *API) pushSubscriptionDelete(w http.ResponseWriter, r *http.Request, u chat.User) error {
	var req pushUnsubscribeRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	if err := a.core.UnsubscribePush(r.Context(), u, req.Endpoint); err != nil {
		return err
	}
	return noContent(w)
}
