package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

type accountRequest struct {
	Name string `json:"name"`
}

// accountUpdate renames the account (admin; an extension).
func (a *API) accountUpdate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	var req accountRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	acct, err := a.core.RenameAccount(r.Context(), u, req.Name)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newAccountResponse(acct))
	return nil
}
