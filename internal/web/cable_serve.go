package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

var errNoCable = chat.Errorf(chat.KindUnavailable, "unavailable", "real-time updates are not available right now")

// cableServe hands an authenticated request to the realtime hub, which
// upgrades it to the WebSocket and checks the handshake's Origin.
func (a *API) cableServe(w http.ResponseWriter, r *http.Request, u chat.User) error {
	if a.cable == nil {
		return errNoCable
	}
	// The hub's frames are its own; the API's no-store does not apply.
	w.Header().Del("Cache-Control")
	a.cable.ServeCable(w, r, u)
	return nil
}
