package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// searchShow returns the newest matches of ?q= in the caller's rooms and
// puts the query at the top of their recent searches.
func (a *API) searchShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	ms, err := a.core.SearchAndRemember(r.Context(), u, r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, messagesResponse{wire.NewMessages(ms)})
	return nil
}
