package store

import (
	"context"
	"time"
)

// RecentSearches keeps the queries each person searched for, as Campfire
// does, so they follow the person from device to device. Lists are per
// person: nothing here ever returns another person's queries.
type RecentSearches interface {
	// RecordSearch notes that userID searched for query at. A query the
	// person already has (compared exactly) moves to the front instead of
	// being listed twice. Afterwards only the keep most recent are kept.
	// Within one person's list, a later call always ranks above an earlier
	// one, even within the same millisecond. An unknown user returns an
	// error matching chat.ErrNotFound.
	RecordSearch(ctx context.Context, userID int64, query string, at time.Time, keep int) error
	// RecentSearches lists userID's queries, most recent first, at most
	// limit of them (none: an empty slice).
	RecentSearches(ctx context.Context, userID int64, limit int) ([]RecentSearch, error)
	// ClearSearches forgets every query of userID.
	ClearSearches(ctx context.Context, userID int64) error
}

// RecentSearch is one remembered query.
type RecentSearch struct {
	Query string
	// At is when it was last searched for (it may be a millisecond or two
	// after the real time, to keep a person's searches in order).
	At time.Time
}
