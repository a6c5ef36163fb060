package postgres

import (
	"context"
	"strings"
	"unicode"

	"github.com/campfire-go/campfire/internal/chat"
)

// searchMessages finds the matches in the caller's rooms, newest first.
// The GIN index on messages.search finds the matching rows.
const (
	searchMatch    = `m.search @@ to_tsquery('campfire_search', $1)`
	searchMessages = messagesFrom + `WHERE ` + searchMatch + `
		AND m.room_id IN (SELECT room_id FROM memberships WHERE user_id = $2)
	ORDER BY m.id DESC
	LIMIT $3`
)

func (s *Store) Search(ctx context.Context, userID int64, query string, limit int) ([]chat.Message, error) {
	tsq := tsQuery(query)
	if tsq == "" {
		return []chat.Message{}, nil
	}
	if limit <= 0 {
		limit = chat.DefaultLimits.SearchResults
	}
	msgs, err := s.readMessages(ctx, searchMessages, tsq, userID, limit)
	return msgs, dbErr("search", err)
}

// tsQuery turns what a person typed into a to_tsquery query that cannot be
// a syntax error, matching what the SQLite store finds: every word becomes
// a quoted operand (so &, |, !, <->, :, ( and quotes are just text), the
// words are ANDed, and the last one matches as a prefix so results appear
// while the word is still being typed. Within quotes the search
// configuration splits a word as it split the body ("don't" is the phrase
// don <-> t). Words without a letter or digit match nothing, so they are
// dropped; "" means nothing to search for.
func tsQuery(q string) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(CleanText(q)) {
		if !strings.ContainsFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) {
			continue
		}
		if n > 0 {
			b.WriteString(" & ")
		}
		b.WriteByte('\'')
		b.WriteString(strings.NewReplacer(`'`, `''`, `\`, `\\`).Replace(w))
		b.WriteByte('\'')
		n++
	}
	if n == 0 {
		return ""
	}
	b.WriteString(":*")
	return b.String()
}
