package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

type banRequest struct {
	IP string `json:"ip"`
}

// banCreate bans one address from writing (admin; an extension).
func (a *API) banCreate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	var req banRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	if err := a.core.BanIP(r.Context(), u, req.IP, ClientFrom(r)); err != nil {
		return err
	}
	return noContent(w)
}
