package web

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// recentSearchesDelete forgets the caller's recent searches.
func (a *API) recentSearchesDelete(w http.ResponseWriter, r *http.Request, u chat.User) error {
	if err := a.core.ClearRecentSearches(r.Context(), u); err != nil {
		return err
	}
	return noContent(w)
}
