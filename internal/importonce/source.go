package importonce

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// source is ONCE Campfire's database (db/schema.rb of basecamp/once-campfire),
// opened read-only and read in one transaction, so the import sees one
// snapshot even if Campfire is still running.
type source struct {
	db   *sql.DB
	tx   *sql.Tx
	cols map[string]map[string]bool // table → its columns
}

// required are the tables and columns the import reads; a file without
// them is not a Campfire database.
var required = map[string][]string{
	"accounts":               {"name", "join_code", "created_at"},
	"users":                  {"id", "name", "email_address", "password_digest", "role", "bio", "bot_token", "created_at", "updated_at"},
	"rooms":                  {"id", "name", "type", "creator_id", "created_at", "updated_at"},
	"memberships":            {"room_id", "user_id", "involvement", "unread_at", "created_at"},
	"messages":               {"id", "room_id", "creator_id", "client_message_id", "created_at", "updated_at"},
	"action_text_rich_texts": {"record_type", "record_id", "name", "body"},
	"boosts":                 {"id", "message_id", "booster_id", "content", "created_at"},
}

func openSource(ctx context.Context, path string) (*source, error) {
	path, err := filepath.Abs(path) // a file: URI wants an absolute path
	if err != nil {
		return nil, fmt.Errorf("campfire database: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("campfire database: %w", err)
	}
	// A FIFO or device would block the open forever.
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("campfire database %s is not a regular file", path)
	}
	u := (&url.URL{Scheme: "file", Path: path}).String()
	db, err := sql.Open("sqlite", u+"?mode=ro&_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("campfire database %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	s := &source{db: db, cols: map[string]map[string]bool{}}
	if s.tx, err = db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}); err != nil {
		db.Close()
		return nil, fmt.Errorf("campfire database %s: %w", path, err)
	}
	if err := s.check(ctx); err != nil {
		s.close()
		return nil, fmt.Errorf("campfire database %s: %w", path, err)
	}
	return s, nil
}

func (s *source) close() {
	_ = s.tx.Rollback() // read-only: nothing to keep
	s.db.Close()
}

func (s *source) check(ctx context.Context) error {
	rows, err := s.tx.QueryContext(ctx, `SELECT m.name, p.name FROM sqlite_schema m, pragma_table_info(m.name) p WHERE m.type = 'table'`)
	if err != nil {
		return fmt.Errorf("not a SQLite database: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return err
		}
		if s.cols[t] == nil {
			s.cols[t] = map[string]bool{}
		}
		s.cols[t][c] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for t, cs := range required {
		if s.cols[t] == nil {
			return fmt.Errorf("not a ONCE Campfire database: no %s table", t)
		}
		for _, c := range cs {
			if !s.cols[t][c] {
				return fmt.Errorf("not a ONCE Campfire database this importer knows: no %s.%s column", t, c)
			}
		}
	}
	if !s.cols["users"]["status"] && !s.cols["users"]["active"] {
		return errors.New("not a ONCE Campfire database this importer knows: users has neither status nor active")
	}
	return nil
}

func (s *source) has(table string, cols ...string) bool {
	if s.cols[table] == nil {
		return false
	}
	for _, c := range cols {
		if !s.cols[table][c] {
			return false
		}
	}
	return true
}

func (s *source) count(ctx context.Context, q string) (int, error) {
	var n int
	err := s.tx.QueryRowContext(ctx, q).Scan(&n)
	return n, err
}

// each runs q and calls fn for every row, scanned into dest.
func (s *source) each(ctx context.Context, q string, dest []any, fn func() error) error {
	rows, err := s.tx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := fn(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// railsTime reads a datetime column: Rails writes "2006-01-02 15:04:05.999999"
// in UTC; the driver may already have parsed it.
func railsTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return x.UTC().Truncate(time.Millisecond), nil
	case int64:
		return time.Unix(x, 0).UTC(), nil
	case float64:
		return time.UnixMilli(int64(x * 1000)).UTC(), nil
	case []byte:
		return railsTime(string(x))
	case string:
		s := strings.TrimSpace(x)
		for _, layout := range []string{
			"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999",
			"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
			"2006-01-02 15:04:05.999999999 -0700", "2006-01-02 15:04:05.999999999 -0700 MST",
			"2006-01-02",
		} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC().Truncate(time.Millisecond), nil
			}
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), nil
		}
		return time.Time{}, fmt.Errorf("unreadable time %q", x)
	}
	return time.Time{}, fmt.Errorf("unreadable time of type %T", v)
}

// str reads a text column that may be NULL or a blob.
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return ""
	case int64:
		return strconv.FormatInt(x, 10)
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05")
	}
	return fmt.Sprint(v)
}

// integer reads an integer column that may be NULL, text or a boolean.
func integer(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		return int64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string, []byte:
		n, err := strconv.ParseInt(strings.TrimSpace(str(x)), 10, 64)
		if err != nil {
			switch strings.ToLower(strings.TrimSpace(str(x))) {
			case "t", "true":
				return 1, true
			case "f", "false":
				return 0, true
			}
		}
		return n, err == nil
	}
	return 0, false
}
