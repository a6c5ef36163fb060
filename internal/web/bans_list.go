package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

type bansResponse struct {
	IPs []string `json:"ips"`
}

// bansList lists banned addresses (admin; an extension).
func (a *API) bansList(w http.ResponseWriter, r *http.Request, u chat.User) error {
	ips, err := a.core.BannedIPs(r.Context(), u)
	if err != nil {
		return err
	}
	if ips == nil {
		ips = []string{}
	}
	WriteJSON(w, http.StatusOK, bansResponse{ips})
	return nil
}
