package ui

import "net/http"

// recentSearchesDelete forgets my recent searches (the search page's
// "Clear" button).
func (u *UI) recentSearchesDelete(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := u.core.ClearRecentSearches(r.Context(), v.me); err != nil {
		return err
	}
	u.redirect(w, r, "/search", "")
	return nil
}
