package importonce

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"

	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/store/postgres"
	"github.com/campfire-go/campfire/internal/store/sqlite"
)

// target is our database, written in one transaction with plain SQL on
// either backend: the store's own methods would take a transaction per
// message (and renumber ids), where an import wants Campfire's ids kept
// and all or nothing.
type target struct {
	driver string // "sqlite" or "postgres"
	db     *sql.DB
	tx     *sql.Tx
}

// openTarget brings the schema up to date with the store's own migrations,
// then opens a plain connection and begins the import's transaction.
func openTarget(ctx context.Context, databaseURL string) (*target, error) {
	d, err := config.Config{DatabaseURL: databaseURL}.Database()
	if err != nil {
		return nil, err
	}
	t := &target{driver: d.Driver}
	switch d.Driver {
	case "sqlite":
		st, err := sqlite.Open(ctx, d.Path, sqlite.Options{})
		if err != nil {
			return nil, fmt.Errorf("opening SQLite database %s: %w", d.Path, err)
		}
		if err := st.Close(); err != nil {
			return nil, err
		}
		abs, err := filepath.Abs(d.Path) // a file: URI wants an absolute path
		if err != nil {
			return nil, err
		}
		u := (&url.URL{Scheme: "file", Path: abs}).String()
		// _txlock=immediate takes the write lock at BEGIN: a server
		// started meanwhile waits rather than interleaving.
		t.db, err = sql.Open("sqlite", u+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_txlock=immediate")
		if err != nil {
			return nil, err
		}
	case "postgres":
		st, err := postgres.Open(ctx, d.URL, postgres.Options{MaxConns: 1, MinConns: 1})
		if err != nil {
			return nil, fmt.Errorf("opening PostgreSQL database: %w", err)
		}
		st.Close()
		if t.db, err = sql.Open("pgx", d.URL); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("DATABASE_URL: %s is not supported", d.Driver)
	}
	t.db.SetMaxOpenConns(1)
	if t.tx, err = t.db.BeginTx(ctx, nil); err != nil {
		t.db.Close()
		return nil, fmt.Errorf("target database: %w", err)
	}
	return t, nil
}

func (t *target) close() {
	_ = t.tx.Rollback() // a no-op after Commit
	t.db.Close()
}

// q rewrites ? placeholders as $1, $2… for PostgreSQL.
func (t *target) q(query string) string {
	if t.driver != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (t *target) exec(ctx context.Context, query string, args ...any) error {
	_, err := t.tx.ExecContext(ctx, t.q(query), args...)
	return err
}

func (t *target) count(ctx context.Context, query string) (int64, error) {
	var n int64
	err := t.tx.QueryRowContext(ctx, t.q(query)).Scan(&n)
	return n, err
}

// inserter writes rows of one table in multi-row INSERTs.
type inserter struct {
	t     *target
	table string
	cols  []string
	rows  []any // flattened
	n     int
	// parent is flushed first: its rows are what this table's refer to.
	parent *inserter
}

func (t *target) inserter(table string, cols ...string) *inserter {
	return &inserter{t: t, table: table, cols: cols}
}

// maxArgs keeps a statement under both databases' parameter limits.
const maxArgs = 4000

func (in *inserter) add(ctx context.Context, vals ...any) error {
	if len(vals) != len(in.cols) {
		return fmt.Errorf("%s: %d values for %d columns", in.table, len(vals), len(in.cols))
	}
	for _, v := range vals {
		if s, ok := v.(string); ok {
			v = postgres.CleanText(s)
		}
		in.rows = append(in.rows, v)
	}
	in.n++
	if len(in.rows)+len(in.cols) > maxArgs {
		return in.flush(ctx)
	}
	return nil
}

func (in *inserter) flush(ctx context.Context) error {
	if in.parent != nil {
		if err := in.parent.flush(ctx); err != nil {
			return err
		}
	}
	if in.n == 0 {
		return nil
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(in.cols)), ", ") + ")"
	query := "INSERT INTO " + in.table + " (" + strings.Join(in.cols, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(row+", ", in.n), ", ")
	if err := in.t.exec(ctx, query, in.rows...); err != nil {
		return fmt.Errorf("writing %s: %w", in.table, err)
	}
	in.rows, in.n = in.rows[:0], 0
	return nil
}
