package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

type setupRequest struct {
	AccountName string `json:"account_name"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	Password    string `json:"password"`
}

// sessionResponse answers setup, sign-in and join: the token for API
// clients (browsers also get it as the cookie) and who it signs in.
type sessionResponse struct {
	Token string    `json:"token"`
	User  wire.User `json:"user"`
}

// signedIn answers a request that started a session: the cookie for
// browsers, the token in the body for API clients.
func (a *API) signedIn(w http.ResponseWriter, r *http.Request, token string, u chat.User) error {
	a.SetSessionCookie(w, r, token)
	WriteJSON(w, http.StatusCreated, sessionResponse{token, wire.NewUser(u, true)})
	return nil
}

// setupCreate is first run: the account, its admin and "All Talk".
func (a *API) setupCreate(w http.ResponseWriter, r *http.Request) error {
	var req setupRequest
	if err := a.decode(w, r, &req); err != nil {
		return err
	}
	token, u, err := a.core.SetUp(r.Context(), campfire.Signup{
		AccountName: req.AccountName, Name: req.Name, Email: req.Email, Password: req.Password,
	}, ClientFrom(r))
	if err != nil {
		return err
	}
	return a.signedIn(w, r, token, u)
}
