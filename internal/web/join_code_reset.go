package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// joinCodeReset replaces the join code (admin); old links stop working.
func (a *API) joinCodeReset(w http.ResponseWriter, r *http.Request, u chat.User) error {
	acct, err := a.core.RegenerateJoinCode(r.Context(), u)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newAccountResponse(acct))
	return nil
}
