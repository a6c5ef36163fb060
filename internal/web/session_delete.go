package web

import "net/http"

// sessionDelete signs out: the token is revoked and the cookie cleared.
func (a *API) sessionDelete(w http.ResponseWriter, r *http.Request) error {
	if err := a.SignOut(w, r); err != nil {
		return err
	}
	return noContent(w)
}
