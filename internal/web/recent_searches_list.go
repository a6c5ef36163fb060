package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// recentSearchesList returns the caller's own recent searches, most recent
// first.
func (a *API) recentSearchesList(w http.ResponseWriter, r *http.Request, u chat.User) error {
	rs, err := a.core.RecentSearches(r.Context(), u)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, wire.NewRecentSearches(rs))
	return nil
}
