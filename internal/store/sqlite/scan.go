package sqlite

import (
	"strconv"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

// The column lists and scans shared with the PostgreSQL store are in
// rowscan; these are the ones only this package reads.

func scanUsers(rows rowsIter, err error) ([]chat.User, error) {
	return collect(rows, err, rowscan.ScanUser)
}

// scanMessage reads rowscan.MessageCols; mentions and boosts are loaded
// apart.
func scanMessage(sc rowscan.Scanner) (chat.Message, error) {
	var s rowscan.Message
	if err := sc.Scan(s.Dest()...); err != nil {
		return chat.Message{}, err
	}
	return s.Message(), nil
}

func scanIDs(rows rowsIter, err error) ([]int64, error) {
	return collect(rows, err, rowscan.ID)
}

// collect reads every row with scan; an empty result is an empty slice.
func collect[T any](rows rowsIter, err error, scan func(rowscan.Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.All(rows, scan)
}

// idList encodes ids as a JSON array for `IN (SELECT value FROM
// json_each(?))`: one statement text whatever the count, so it is prepared
// once, and no variable-number limit.
func idList(ids []int64) string {
	b := make([]byte, 0, 2+len(ids)*8)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}
