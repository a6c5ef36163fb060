package web

import (
	"net/http"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
)

// signinLinkCreate makes a link that signs another device in (POST
// /api/v1/users/me/signin_link, or /api/v1/users/{id}/signin_link for an
// admin recovering someone): {"url","expires_at"}. The URL opens a page
// that asks before signing in, so a link preview spends nothing.
func (a *API) signinLinkCreate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := avatarTarget(r, u)
	if err != nil {
		return err
	}
	l, err := a.core.CreateSignInLink(r.Context(), u, id)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusCreated, map[string]string{
		"url":        a.SignInLinkURL(r, l.Token),
		"expires_at": l.ExpiresAt.UTC().Format(time.RFC3339),
	})
	return nil
}

// SignInLinkURL is the page a sign-in link token opens, on the host the
// request came to.
func (a *API) SignInLinkURL(r *http.Request, token string) string {
	scheme := "http://"
	if a.Secure(r) {
		scheme = "https://"
	}
	return scheme + r.Host + "/signin/" + token
}
