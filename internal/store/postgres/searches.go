package postgres

import (
	"context"
	"time"

	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

const (
	// One person's searches are recorded one at a time, so the trim that
	// follows an insert sees every row it must count (under READ COMMITTED
	// two concurrent trims would each miss the other's insert).
	lockSearches = `SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':searches:' || $1::bigint, 0))`
	// A query already listed moves to the front. searched_at is kept
	// strictly above the person's newest, so two searches in one
	// millisecond still list in the order they were made.
	recordSearch = `INSERT INTO recent_searches (user_id, query, searched_at)
		VALUES ($1, $2, greatest($3, coalesce((SELECT max(searched_at) FROM recent_searches WHERE user_id = $1), 0) + 1))
		ON CONFLICT (user_id, query) DO UPDATE SET searched_at = excluded.searched_at`
	trimSearches = `DELETE FROM recent_searches WHERE user_id = $1 AND id NOT IN (
		SELECT id FROM recent_searches WHERE user_id = $1 ORDER BY searched_at DESC, id DESC LIMIT $2)`
	recentSearches = `SELECT query, searched_at FROM recent_searches WHERE user_id = $1
		ORDER BY searched_at DESC, id DESC LIMIT $2`
	clearSearches = `DELETE FROM recent_searches WHERE user_id = $1`
)

func (s *Store) RecordSearch(ctx context.Context, userID int64, query string, at time.Time, keep int) error {
	if keep < 1 {
		keep = 1
	}
	return dbErr("record search", s.tx(ctx, func(q querier) error {
		if _, err := q.exec(lockSearches, userID); err != nil {
			return err
		}
		if _, err := q.exec(recordSearch, userID, query, rowscan.ToMillis(at)); err != nil {
			return err
		}
		_, err := q.exec(trimSearches, userID, keep)
		return err
	}))
}

func (s *Store) RecentSearches(ctx context.Context, userID int64, limit int) ([]store.RecentSearch, error) {
	out := []store.RecentSearch{}
	if limit <= 0 {
		return out, nil
	}
	err := s.run(ctx, func(q querier) error {
		rows, err := q.query(recentSearches, userID, limit)
		out, err = collect(rows, err, func(sc rowscan.Scanner) (rs store.RecentSearch, err error) {
			var at int64
			err = sc.Scan(&rs.Query, &at)
			rs.At = rowscan.FromMillis(at)
			return rs, err
		})
		return err
	})
	if out == nil {
		out = []store.RecentSearch{}
	}
	return out, dbErr("recent searches", err)
}

func (s *Store) ClearSearches(ctx context.Context, userID int64) error {
	return dbErr("clear searches", s.run(ctx, func(q querier) error {
		_, err := q.exec(clearSearches, userID)
		return err
	}))
}
