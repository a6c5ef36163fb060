package web

import (
	"io"
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// logoUpdate replaces the account logo, the favicon and app icon (admin;
// PUT or POST /api/v1/account/logo, multipart "file" or an image body).
func (a *API) logoUpdate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	if !u.IsAdmin() {
		return chat.Forbidden("only an administrator can change the logo")
	}
	acc, err := withPicture(w, r, func(src io.Reader) (chat.Account, error) {
		return a.core.SetLogo(r.Context(), u, src)
	})
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]string{"logo_url": wire.LogoURL(acc.LogoKey)})
	return nil
}

// logoDelete goes back to the built-in icon (admin).
func (a *API) logoDelete(w http.ResponseWriter, r *http.Request, u chat.User) error {
	if _, err := a.core.DeleteLogo(r.Context(), u); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
