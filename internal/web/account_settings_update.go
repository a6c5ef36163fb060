package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
)

type accountSettingsRequest struct {
	AdminsCreateRooms *bool   `json:"admins_create_rooms"`
	CustomCSS         *string `json:"custom_css"`
}

// accountSettingsUpdate changes the settings (admin); absent fields stay.
func (a *API) accountSettingsUpdate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	var req accountSettingsRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	s, err := a.core.UpdateAccountSettings(r.Context(), u, campfire.SettingsUpdate{
		AdminsCreateRooms: req.AdminsCreateRooms, CustomCSS: req.CustomCSS})
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newAccountSettings(s))
	return nil
}
