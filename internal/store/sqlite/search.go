package sqlite

import (
	"context"
	"strings"
	"unicode"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

// searchMessages walks the matches newest first (FTS5 yields rowids in
// either order) and keeps those in the caller's rooms until it has limit.
const searchMessages = `SELECT ` + rowscan.MessageCols + `
	FROM messages_fts f
	JOIN messages m ON m.id = f.rowid
	JOIN users u ON u.id = m.creator_id
	WHERE messages_fts MATCH ?
		AND m.room_id IN (SELECT room_id FROM memberships WHERE user_id = ?)
	ORDER BY f.rowid DESC
	LIMIT ?`

func (s *Store) Search(ctx context.Context, userID int64, query string, limit int) ([]chat.Message, error) {
	match := ftsQuery(query)
	if match == "" {
		return []chat.Message{}, nil
	}
	if limit <= 0 {
		limit = chat.DefaultLimits.SearchResults
	}
	var msgs []chat.Message
	err := s.readTx(ctx, func(q querier) (err error) {
		msgs, err = queryMessages(q, searchMessages, match, userID, limit)
		return err
	})
	return msgs, dbErr("search", err)
}

// ftsQuery turns what a person typed into an FTS5 query that cannot be a
// syntax error: every word becomes a quoted string (so AND, NEAR, *, ( and
// quotes are just text), the words are ANDed, and the last one matches as a
// prefix so results appear while the word is still being typed. Words
// without a letter or digit would be empty phrases after tokenising, which
// match nothing, so they are dropped; "" means nothing to search for.
func ftsQuery(q string) string {
	var b strings.Builder
	words := strings.Fields(q)
	n := 0
	for _, w := range words {
		if !strings.ContainsFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) {
			continue
		}
		if n > 0 {
			b.WriteString(" AND ")
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(w, `"`, `""`))
		b.WriteByte('"')
		n++
	}
	if n == 0 {
		return ""
	}
	b.WriteByte('*')
	return b.String()
}
