package wire

import "github.com/campfire-go/campfire/internal/store"

// RecentSearch is one of a person's remembered queries.
type RecentSearch struct {
	Query      string `json:"query"`
	SearchedAt Time   `json:"searched_at"`
}

// RecentSearches is GET /api/v1/searches/recent's answer.
type RecentSearches struct {
	Searches []RecentSearch `json:"searches"`
}

// NewRecentSearches converts the store's list, most recent first.
func NewRecentSearches(rs []store.RecentSearch) RecentSearches {
	out := RecentSearches{Searches: make([]RecentSearch, len(rs))}
	for i, r := range rs {
		out.Searches[i] = RecentSearch{Query: r.Query, SearchedAt: Time(r.At)}
	}
	return out
}
