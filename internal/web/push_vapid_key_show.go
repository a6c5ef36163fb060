package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// pushVAPIDKeyShow answers the VAPID public key a browser subscribes with
// (pushManager.subscribe's applicationServerKey). Pages embed it too.
func (a *API) pushVAPIDKeyShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	key := a.core.VAPIDPublicKey()
	if key == "" {
		return chat.Errorf(chat.KindUnavailable, "push_unavailable", "notifications are not available on this server")
	}
	WriteJSON(w, http.StatusOK, struct {
		PublicKey string `json:"public_key"`
	}{key})
	return nil
}
