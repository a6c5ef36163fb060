package web

import (
	"io"
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// avatarUpdate replaces a user's picture (PUT or POST
// /api/v1/users/me/avatar, or /api/v1/users/{id}/avatar for an admin, or
// for oneself) and answers with the user, whose avatar_url has changed.
func (a *API) avatarUpdate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := avatarTarget(r, u)
	if err != nil {
		return err
	}
	x, err := withPicture(w, r, func(src io.Reader) (chat.User, error) {
		return a.core.SetAvatar(r.Context(), u, id, src)
	})
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, wire.NewUser(x, u.ID == x.ID || u.IsAdmin()))
	return nil
}

// avatarTarget is the user a /users/{id}/avatar or /users/me/avatar
// request is about.
func avatarTarget(r *http.Request, u chat.User) (int64, error) {
	if r.PathValue("id") == "" {
		return u.ID, nil
	}
	return pathID(r, "id", "user")
}
