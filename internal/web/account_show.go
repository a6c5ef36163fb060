package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

type accountResponse struct {
	Name     string `json:"name"`
	JoinCode string `json:"join_code,omitempty"`
	// JoinPath is where a person follows the code to sign up; empty when
	// the caller may not see the code.
	JoinPath string `json:"join_path,omitempty"`
}

func newAccountResponse(acct chat.Account) accountResponse {
	res := accountResponse{Name: acct.Name, JoinCode: acct.JoinCode}
	if acct.JoinCode != "" {
		res.JoinPath = "/join/" + acct.JoinCode
	}
	return res
}

// accountShow returns the account's name and, for people, its join code.
func (a *API) accountShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	acct, err := a.core.Account(r.Context(), u)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newAccountResponse(acct))
	return nil
}
