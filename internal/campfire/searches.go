package campfire

import (
	"context"
	"errors"
	"strings"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

// RecentSearchesKept is how many queries a person's list keeps, as
// Campfire does.
const RecentSearchesKept = 10

// SearchAndRemember is Search that also puts the query at the top of the
// person's recent searches (what the search page and GET /api/v1/search
// do). A query that fails validation is not remembered; failing to
// remember one is logged, not returned: the results are what was asked for.
func (c *Core) SearchAndRemember(ctx context.Context, u chat.User, q string) ([]chat.Message, error) {
	ms, err := c.Search(ctx, u, q)
	if err != nil {
		return nil, err
	}
	// Runs of spaces are one space, so "a  b" and "a b" are one entry;
	// Search has checked the length and the characters.
	if q = strings.Join(strings.Fields(q), " "); q != "" {
		err := c.store.RecordSearch(ctx, u.ID, q, rowscan.Now(), RecentSearchesKept)
		if err != nil && !errors.Is(err, context.Canceled) {
			c.log.Warn("remembering a search", "user_id", u.ID, "err", err)
		}
	}
	return ms, nil
}

// RecentSearches lists the caller's own recent queries, most recent first.
func (c *Core) RecentSearches(ctx context.Context, u chat.User) ([]store.RecentSearch, error) {
	return c.store.RecentSearches(ctx, u.ID, RecentSearchesKept)
}

// ClearRecentSearches forgets the caller's recent queries.
func (c *Core) ClearRecentSearches(ctx context.Context, u chat.User) error {
	return c.store.ClearSearches(ctx, u.ID)
}
