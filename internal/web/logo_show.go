package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/wire"
)

// logoShow serves the account logo at /logo?v=… to anyone: browsers fetch
// a favicon without credentials, and the sign-in page shows it. 404 when
// there is none (pages then link the built-in icon).
func (a *API) logoShow(w http.ResponseWriter, r *http.Request) error {
	obj, key, err := a.core.LogoFile(r.Context())
	if err != nil {
		return err
	}
	cc := "public, max-age=0, must-revalidate"
	if versioned(r, wire.PictureVersion(key)) {
		cc = "public, max-age=31536000, immutable" // the same for everyone
	}
	serveImage(w, r, obj, cc)
	return nil
}
