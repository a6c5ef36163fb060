package web

import (
	"bytes"
	"net/http"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/sounds"
	"github.com/campfire-go/campfire/internal/wire"
)

// soundsList lists what a message "/play NAME" can play, with each sound's
// URL. Public: the sounds are the same for everyone, and bots (which have
// only their key) may want them.
func (a *API) soundsList(w http.ResponseWriter, r *http.Request) error {
	WriteJSON(w, http.StatusOK, wire.NewSounds(a.core.Sounds()))
	return nil
}

// soundShow serves one sound. The file name carries a hash of the bytes,
// so the answer can be cached for a year.
func (a *API) soundShow(w http.ResponseWriter, r *http.Request) error {
	s, ok := a.core.Sound(r.PathValue("file"))
	if !ok {
		return chat.NotFound("sound")
	}
	h := w.Header()
	h.Set("Content-Type", sounds.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+s.File+`"`)
	// ServeContent answers the Range requests media elements make.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.Data))
	return nil
}
