package web

import (
	"net/http"
	"strconv"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

// accountSettings is the JSON of the account's settings.
type accountSettings struct {
	AdminsCreateRooms bool   `json:"admins_create_rooms"`
	CustomCSS         string `json:"custom_css"`
	CustomCSSURL      string `json:"custom_css_url"` // "" when there is none
}

func newAccountSettings(s store.AccountSettings) accountSettings {
	return accountSettings{AdminsCreateRooms: s.AdminsCreateRooms, CustomCSS: s.CustomCSS, CustomCSSURL: CustomCSSURL(s)}
}

// CustomCSSURL is the versioned address of the account's stylesheet, or
// "" without one. The version makes a changed stylesheet a new URL.
func CustomCSSURL(s store.AccountSettings) string {
	if s.CustomCSS == "" {
		return ""
	}
	return "/account/custom.css?v=" + strconv.FormatInt(s.CSSVersion, 10)
}

// accountSettingsShow returns the settings (admin).
func (a *API) accountSettingsShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	if !u.IsAdmin() {
		return chat.Forbidden("only an administrator can see the account's settings")
	}
	s, err := a.core.AccountSettings(r.Context())
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newAccountSettings(s))
	return nil
}
