package sqlite

import (
	"context"
	"time"

	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

const (
	// A query already listed moves to the front. searched_at is kept
	// strictly above the person's newest, so two searches in one
	// millisecond still list in the order they were made.
	recordSearch = `INSERT INTO recent_searches (user_id, query, searched_at)
		VALUES (?1, ?2, max(?3, coalesce((SELECT max(searched_at) FROM recent_searches WHERE user_id = ?1), 0) + 1))
		ON CONFLICT (user_id, query) DO UPDATE SET searched_at = excluded.searched_at`
	trimSearches = `DELETE FROM recent_searches WHERE user_id = ?1 AND id NOT IN (
		SELECT id FROM recent_searches WHERE user_id = ?1 ORDER BY searched_at DESC, id DESC LIMIT ?2)`
	recentSearches = `SELECT query, searched_at FROM recent_searches WHERE user_id = ?
		ORDER BY searched_at DESC, id DESC LIMIT ?`
	clearSearches = `DELETE FROM recent_searches WHERE user_id = ?`
)

func (s *Store) RecordSearch(ctx context.Context, userID int64, query string, at time.Time, keep int) error {
	if keep < 1 {
		keep = 1
	}
	return dbErr("record search", s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(recordSearch, userID, query, rowscan.ToMillis(at)); err != nil {
			return err
		}
		_, err := t.exec(trimSearches, userID, keep)
		return err
	}))
}

func (s *Store) RecentSearches(ctx context.Context, userID int64, limit int) ([]store.RecentSearch, error) {
	out := []store.RecentSearch{}
	if limit <= 0 {
		return out, nil
	}
	rows, err := s.read(ctx).query(recentSearches, userID, limit)
	if err != nil {
		return nil, dbErr("recent searches", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rs store.RecentSearch
		var at int64
		if err := rows.Scan(&rs.Query, &at); err != nil {
			return nil, dbErr("recent searches", err)
		}
		rs.At = rowscan.FromMillis(at)
		out = append(out, rs)
	}
	return out, dbErr("recent searches", rows.Err())
}

func (s *Store) ClearSearches(ctx context.Context, userID int64) error {
	return dbErr("clear searches", s.write(ctx, func(t *wtx) error {
		_, err := t.exec(clearSearches, userID)
		return err
	}))
}
