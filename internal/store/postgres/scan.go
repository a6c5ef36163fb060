package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

// The column lists and scans shared with the SQLite store are in rowscan;
// these are the ones only this package reads.

func scanUsers(rows pgx.Rows, err error) ([]chat.User, error) {
	return collect(rows, err, rowscan.ScanUser)
}

// scanMessage reads rowscan.MessageCols plus the message's mentions and
// whether it has boosts (see messagesFrom).
func scanMessage(sc rowscan.Scanner) (chat.Message, bool, error) {
	var s rowscan.Message
	var mentions []int64
	var hasBoosts bool
	var att attachmentScan
	if err := sc.Scan(append(append(s.Dest(), &mentions, &hasBoosts), att.dest()...)...); err != nil {
		return chat.Message{}, false, err
	}
	m := s.Message()
	m.Attachment = att.attachment(m.ID)
	if mentions != nil {
		m.Mentions = mentions
	}
	return m, hasBoosts, nil
}

func scanIDs(rows pgx.Rows, err error) ([]int64, error) {
	return collect(rows, err, rowscan.ID)
}

// collect reads every row with scan; an empty result is an empty slice.
func collect[T any](rows pgx.Rows, err error, scan func(rowscan.Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.All(rows, scan)
}
