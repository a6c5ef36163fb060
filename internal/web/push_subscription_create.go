package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// pushSubscriptionRequest is a browser's PushSubscription.toJSON().
type pushSubscriptionRequest struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

type pushSubscriptionResponse struct {
	ID        int64     `json:"id"`
	Endpoint  string    `json:"endpoint"`
	CreatedAt wire.Time `json:"created_at"`
}

// pushSubscriptionCreate subscribes the caller's browser to Web Push (201;
// saving the same endpoint again updates its keys).
func (a *API) pushSubscriptionCreate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	var req pushSubscriptionRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	s, err := a.core.SubscribePush(r.Context(), u, req.Endpoint, req.Keys.P256dh, req.Keys.Auth)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, pushSubscriptionResponse{ID: s.ID, Endpoint: s.Endpoint, CreatedAt: wire.Time(s.CreatedAt)})
	return nil
}
