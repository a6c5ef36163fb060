package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// previewImageShow serves a link preview's image, fetched and re-encoded by
// the server, to members of the message's room (others get 404), so
// readers' addresses never reach the linked site.
func (a *API) previewImageShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "message")
	if err != nil {
		return err
	}
	obj, version, err := a.core.PreviewImage(r.Context(), u, id)
	if err != nil {
		return err
	}
	// The key's hash is in the URL: a new image is a new URL.
	serveImage(w, r, obj, privateCache(versioned(r, version)))
	return nil
}
