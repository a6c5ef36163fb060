// Package migrate copies a Campfire database from SQLite to PostgreSQL
// (`campfire migrate-data`), for moving one instance's data to a
// multi-instance deployment.
//
// Everything is copied as it is, ids and seqs included, so clients' cursors
// (message ids, per-room seqs) stay valid: the rooms' seq counters, users
// with their password digests, sessions, bots with their token hashes and
// webhooks, memberships with involvement and unread markers, messages,
// mentions, boosts, bans and the account. PostgreSQL's search column is
// generated from each body as it is written, so the search index is rebuilt
// by the copy itself. Afterwards every identity sequence is moved past the
// highest id SQLite ever handed out, so new rows never take a copied id.
//
// The copy runs table by table, parents first, in batches in primary-key
// order. Each batch goes in with COPY and commits together with a progress
// row in a bookkeeping table on the target, so an interrupted run (Ctrl-C,
// a lost connection) is resumed by running it again: it continues after the
// last committed key. Finally the row count and a checksum of every table
// (SHA-256 over its rows in key order, in one canonical form, computed from
// both databases) are compared; only then is the bookkeeping table dropped.
//
// The source is opened read-only and read in one transaction, so a run
// copies one consistent snapshot. Campfire must not be writing to it: stop
// the server first (a resumed run would otherwise mix two snapshots, which
// the checksums then report).
package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/store/postgres"
	"github.com/campfire-go/campfire/internal/store/sqlite"
)

var (
	// ErrTargetNotEmpty means the target holds data that no interrupted
	// run of this command left there; Options.Force overwrites it.
	ErrTargetNotEmpty = errors.New("the target database is not empty")
	// ErrMismatch means the verification found a table whose row count or
	// checksum differs between the two databases.
	ErrMismatch = errors.New("the target differs from the source")
	// ErrBusy means another migrate-data is running on the same target.
	ErrBusy = errors.New("another migrate-data is running on the target database")
)

// DefaultBatchSize is the rows per COPY and commit when Options leave it 0:
// large enough that the per-batch round trips are noise, small enough that
// an interruption loses a second of work.
const DefaultBatchSize = 5000

// progressTable is the bookkeeping table on the target; it exists only
// while a migration is unfinished (or failed its verification).
const progressTable = "data_migration"

// Options say what to copy where.
type Options struct {
	// From is the source, sqlite://PATH.
	From string
	// To is the target, postgres://… (its schema is created or migrated).
	To string
	// Force empties the target first (every Campfire table, and any
	// unfinished migration's progress) and copies from scratch.
	Force bool
	// VerifyOnly copies nothing: it compares counts and checksums only.
	VerifyOnly bool
	// BatchSize is the rows per COPY and commit. Default DefaultBatchSize.
	BatchSize int
	// Progress receives a line per table and, while a table copies, one
	// every ProgressEvery with its rows/s. Nil: none.
	Progress io.Writer
	// ProgressEvery is how often a copying table reports. Default 1 s.
	ProgressEvery time.Duration
	// OnBatch, if set, is called after each batch has committed, with the
	// table and its rows committed so far (all runs counted).
	OnBatch func(table string, committed int64)
}

// TableReport is what happened to one table.
type TableReport struct {
	Name string
	// Copied is the rows this run copied, in Elapsed.
	Copied  int64
	Elapsed time.Duration
	// The verification: rows and checksum on each side.
	SourceRows, TargetRows int64
	SourceSum, TargetSum   string
}

// OK reports whether the table is the same on both sides.
func (t TableReport) OK() bool {
	return t.SourceRows == t.TargetRows && t.SourceSum == t.TargetSum
}

// RowsPerSecond is this run's copy rate for the table.
func (t TableReport) RowsPerSecond() float64 {
	if t.Elapsed <= 0 {
		return 0
	}
	return float64(t.Copied) / t.Elapsed.Seconds()
}

// Report is what a run did.
type Report struct {
	Source string // the SQLite file
	Tables []TableReport
	// Resumed says an earlier, interrupted run had committed some tables
	// or batches, which this run kept.
	Resumed bool
	// Cleaned counts text values holding NUL or invalid UTF-8, which
	// PostgreSQL cannot store: they were copied with those bytes replaced
	// by U+FFFD, as the postgres store does with any input.
	Cleaned int64
	Elapsed time.Duration
}

// Run copies From to To (or only verifies, with VerifyOnly) and verifies
// the result. It returns ErrTargetNotEmpty, ErrBusy or ErrMismatch (with
// the report filled in) as those cases arise; an interrupted run returns
// the context's error, and running again resumes it.
func Run(ctx context.Context, opts Options) (Report, error) {
	start := time.Now()
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = time.Second
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	srcPath, err := sourcePath(opts.From)
	if err != nil {
		return Report{}, err
	}
	if err := targetURL(opts.To); err != nil {
		return Report{}, err
	}
	m := &migration{opts: opts, rep: Report{Source: srcPath}}
	if err := m.openSource(ctx, srcPath); err != nil {
		return m.rep, err
	}
	defer m.closeSource()
	if err := m.openTarget(ctx); err != nil {
		return m.rep, err
	}
	defer m.dst.Close(context.Background())

	if !opts.VerifyOnly {
		if err := m.copyAll(ctx); err != nil {
			return m.rep, err
		}
	}
	err = m.verify(ctx)
	m.rep.Elapsed = time.Since(start)
	if err != nil || opts.VerifyOnly {
		return m.rep, err
	}
	// Done: the target is now an ordinary Campfire database.
	if _, err := m.dst.Exec(ctx, "DROP TABLE IF EXISTS "+progressTable); err != nil {
		return m.rep, fmt.Errorf("target: drop %s: %w", progressTable, err)
	}
	return m.rep, nil
}

// sourcePath parses sqlite://PATH as DATABASE_URL does.
func sourcePath(from string) (string, error) {
	if from == "" {
		return "", errors.New("no source: want --from sqlite://PATH")
	}
	db, err := config.Config{DatabaseURL: from}.Database()
	if err != nil {
		return "", fmt.Errorf("--from: %w", err)
	}
	if db.Driver != "sqlite" {
		return "", fmt.Errorf("--from must be a sqlite:// URL, got %s://", db.Driver)
	}
	abs, err := filepath.Abs(db.Path)
	if err != nil {
		return "", fmt.Errorf("--from: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("source database: %w", err)
	}
	return abs, nil
}

func targetURL(to string) error {
	if to == "" {
		return errors.New("no target: want --to postgres://…")
	}
	db, err := config.Config{DatabaseURL: to}.Database()
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if db.Driver != "postgres" {
		return fmt.Errorf("--to must be a postgres:// URL, got %s://", db.Driver)
	}
	return nil
}

// Redact hides the password of a database URL, for messages.
func Redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

type migration struct {
	opts Options
	rep  Report

	srcDB *sql.DB
	src   *sql.Tx // one snapshot for the whole run
	// srcSeq is sqlite_sequence: the highest id each AUTOINCREMENT table
	// ever handed out, deleted rows included.
	srcSeq map[string]int64

	dst *pgx.Conn
}

// openSource opens the SQLite file read-only, checks it is a Campfire
// database at this binary's schema version, and starts the read
// transaction every read of the run goes through.
func (m *migration) openSource(ctx context.Context, path string) error {
	// A FIFO or device would block the open forever (deaf to Ctrl-C):
	// only a regular file, or a link to one, is a database.
	if fi, err := os.Stat(path); err != nil {
		return fmt.Errorf("source %s: %w", path, err)
	} else if !fi.Mode().IsRegular() {
		return fmt.Errorf("source %s is not a regular file", path)
	}
	u := (&url.URL{Scheme: "file", Path: path}).String()
	db, err := sql.Open("sqlite", u+"?mode=ro&_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	if err != nil {
		return fmt.Errorf("source %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	m.srcDB = db
	if m.src, err = db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}); err != nil {
		db.Close()
		return fmt.Errorf("source %s: %w", path, err)
	}
	if err := m.checkSource(ctx); err != nil {
		m.closeSource()
		return fmt.Errorf("source %s: %w", path, err)
	}
	return nil
}

func (m *migration) closeSource() {
	_ = m.src.Rollback() // read-only: nothing to keep
	m.srcDB.Close()
}

func (m *migration) checkSource(ctx context.Context) error {
	var n int
	err := m.src.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	if err != nil {
		return err
	}
	if n == 0 {
		return errors.New("not a Campfire database (no schema_migrations table)")
	}
	var v int
	if err := m.src.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return err
	}
	switch latest := sqlite.LatestSchemaVersion(); {
	case v < latest:
		return fmt.Errorf("schema version %d is older than this binary's %d: run `campfire migrate` on it first (DATABASE_URL=sqlite://…)", v, latest)
	case v > latest:
		return fmt.Errorf("schema version %d is newer than this binary's %d: use the campfire that wrote it", v, latest)
	}

	// Every table and column must be one this package copies.
	names, err := m.srcStrings(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return err
	}
	for _, name := range names {
		if notCopied(name) {
			continue
		}
		t, ok := tableNamed(name)
		if !ok {
			return fmt.Errorf("table %s is not one migrate-data knows: this binary cannot copy this database", name)
		}
		cols, err := m.srcStrings(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, name)
		if err != nil {
			return err
		}
		if err := sameColumns(t, cols); err != nil {
			return err
		}
	}
	m.srcSeq = map[string]int64{}
	rows, err := m.src.QueryContext(ctx, `SELECT name, seq FROM sqlite_sequence`)
	if err != nil {
		return fmt.Errorf("read sqlite_sequence: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			return fmt.Errorf("read sqlite_sequence: %w", err)
		}
		m.srcSeq[name] = seq
	}
	return rows.Err()
}

func (m *migration) srcStrings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := m.src.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func tableNamed(name string) (table, bool) {
	for _, t := range tables {
		if t.name == name {
			return t, true
		}
	}
	return table{}, false
}

// sameColumns checks a database's columns of t are exactly those copied.
func sameColumns(t table, got []string) error {
	want := t.colNames()
	for _, c := range got {
		if !slices.Contains(want, c) {
			return fmt.Errorf("column %s.%s is not one migrate-data copies: this binary cannot copy this database", t.name, c)
		}
	}
	for _, c := range want {
		if !slices.Contains(got, c) {
			return fmt.Errorf("column %s.%s is missing", t.name, c)
		}
	}
	return nil
}

// openTarget creates or migrates the target's schema with the postgres
// store's own migrations, then connects for the copy and takes the lock
// that keeps a second run off the same schema.
func (m *migration) openTarget(ctx context.Context) error {
	st, err := postgres.Open(ctx, m.opts.To, postgres.Options{NoMigrate: m.opts.VerifyOnly, MaxConns: 1, MinConns: 1})
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	v, err := st.SchemaVersion(ctx)
	st.Close()
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	if v != postgres.LatestSchemaVersion() {
		return fmt.Errorf("target: schema version %d, want %d (verify a target this binary migrated)", v, postgres.LatestSchemaVersion())
	}
	m.dst, err = pgx.Connect(ctx, m.opts.To)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	fail := func(err error) error {
		m.dst.Close(context.Background())
		return fmt.Errorf("target: %w", err)
	}
	var locked bool
	// Session-level: released when the connection closes, however the run
	// ends. Keyed by schema like the store's migration lock.
	if err := m.dst.QueryRow(ctx, `SELECT pg_try_advisory_lock(1667330153, hashtext(current_schema()))`).Scan(&locked); err != nil {
		return fail(err)
	}
	if !locked {
		return fail(ErrBusy)
	}
	for _, t := range tables {
		rows, err := m.dst.Query(ctx, `SELECT column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'
			ORDER BY ordinal_position`, t.name)
		if err != nil {
			return fail(err)
		}
		cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fail(err)
		}
		if err := sameColumns(t, cols); err != nil {
			return fail(err)
		}
	}
	return nil
}

// progress is a table's bookkeeping row.
type progress struct {
	lastKey []int64 // nil before the first batch
	copied  int64
	done    bool
}

// prepare readies the target: emptied with Force; otherwise an unfinished
// run's progress is picked up, and a target holding anything else is
// refused.
func (m *migration) prepare(ctx context.Context) (map[string]progress, error) {
	var exists bool
	if err := m.dst.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, progressTable).Scan(&exists); err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	if exists && !m.opts.Force {
		return m.resume(ctx)
	}
	if m.opts.Force {
		// No CASCADE: a table this package does not know that refers to
		// these should stop the run, not be emptied silently.
		if _, err := m.dst.Exec(ctx, "TRUNCATE "+strings.Join(tableNames(), ", ")+" RESTART IDENTITY"); err != nil {
			return nil, fmt.Errorf("target: empty it (--force): %w", err)
		}
		if _, err := m.dst.Exec(ctx, "DROP TABLE IF EXISTS "+progressTable); err != nil {
			return nil, fmt.Errorf("target: %w", err)
		}
	} else {
		var nonEmpty []string
		for _, t := range tables {
			var has bool
			if err := m.dst.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+t.name+")").Scan(&has); err != nil {
				return nil, fmt.Errorf("target: %w", err)
			}
			if has {
				nonEmpty = append(nonEmpty, t.name)
			}
		}
		if len(nonEmpty) > 0 {
			return nil, fmt.Errorf("%w (%s hold rows): use --force to empty it and copy again", ErrTargetNotEmpty, strings.Join(nonEmpty, ", "))
		}
	}
	err := pgx.BeginFunc(ctx, m.dst, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TABLE `+progressTable+` (
			table_name TEXT PRIMARY KEY,
			source     TEXT     NOT NULL,
			last_key   BIGINT[],
			copied     BIGINT   NOT NULL DEFAULT 0,
			done       BOOLEAN  NOT NULL DEFAULT false,
			updated_at BIGINT   NOT NULL
		)`); err != nil {
			return err
		}
		for _, t := range tables {
			if _, err := tx.Exec(ctx, `INSERT INTO `+progressTable+` (table_name, source, updated_at) VALUES ($1, $2, $3)`,
				t.name, m.rep.Source, time.Now().UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("target: create %s: %w", progressTable, err)
	}
	return map[string]progress{}, nil
}

// resume reads an unfinished run's progress, which must be from the same
// source.
func (m *migration) resume(ctx context.Context) (map[string]progress, error) {
	rows, err := m.dst.Query(ctx, `SELECT table_name, source, last_key, copied, done FROM `+progressTable)
	if err != nil {
		return nil, fmt.Errorf("target: read %s: %w", progressTable, err)
	}
	defer rows.Close()
	out := map[string]progress{}
	for rows.Next() {
		var name, source string
		var p progress
		if err := rows.Scan(&name, &source, &p.lastKey, &p.copied, &p.done); err != nil {
			return nil, fmt.Errorf("target: read %s: %w", progressTable, err)
		}
		if source != m.rep.Source {
			return nil, fmt.Errorf("%w: it holds an unfinished migration from %s, not %s: use --force to start over from this source",
				ErrTargetNotEmpty, source, m.rep.Source)
		}
		if p.copied > 0 || p.done {
			m.rep.Resumed = true
		}
		out[name] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("target: read %s: %w", progressTable, err)
	}
	return out, nil
}

// copyAll copies every table not yet done, then moves the sequences.
func (m *migration) copyAll(ctx context.Context) error {
	prog, err := m.prepare(ctx)
	if err != nil {
		return err
	}
	if m.rep.Resumed {
		fmt.Fprintf(m.opts.Progress, "resuming the unfinished migration from %s\n", m.rep.Source)
	}
	for _, t := range tables {
		tr := TableReport{Name: t.name}
		err := m.copyTable(ctx, t, prog[t.name], &tr)
		m.rep.Tables = append(m.rep.Tables, tr)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted while copying %s (every batch before was committed; run the same command again to resume): %w", t.name, ctx.Err())
			}
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	if err := m.moveSequences(ctx); err != nil {
		return err
	}
	// Fresh statistics, so the planner knows the tables are no longer empty.
	if _, err := m.dst.Exec(ctx, "ANALYZE "+strings.Join(tableNames(), ", ")); err != nil {
		return fmt.Errorf("target: analyze: %w", err)
	}
	return nil
}

// copyTable streams the table's rows after p's last key from the source
// and writes them in batches, each committed with its progress row.
func (m *migration) copyTable(ctx context.Context, t table, p progress, tr *TableReport) error {
	w := m.opts.Progress
	if p.done {
		fmt.Fprintf(w, "%s: copied by an earlier run (%d rows)\n", t.name, p.copied)
		return nil
	}
	query, args := t.selectAll(), []any(nil)
	if p.lastKey != nil {
		query = t.selectAfter()
		for _, k := range p.lastKey {
			args = append(args, k)
		}
		fmt.Fprintf(w, "%s: resuming after %s %v (%d rows copied earlier)\n", t.name, strings.Join(t.key, ","), p.lastKey, p.copied)
	}
	var remaining int64
	countQ := "SELECT count(*) FROM " + t.name
	if p.lastKey != nil {
		countQ += t.whereAfter()
	}
	if err := m.src.QueryRowContext(ctx, countQ, args...).Scan(&remaining); err != nil {
		return fmt.Errorf("source: count: %w", err)
	}

	start := time.Now()
	lastReport := start
	defer func() { tr.Elapsed = time.Since(start) }()
	report := func(final bool) {
		el := time.Since(start)
		rate := float64(tr.Copied) / max(el.Seconds(), 1e-9)
		if final {
			fmt.Fprintf(w, "%s: %d rows copied in %s (%.0f rows/s)\n", t.name, tr.Copied, el.Round(time.Millisecond), rate)
			return
		}
		fmt.Fprintf(w, "%s: %d/%d rows (%d%%), %.0f rows/s\n", t.name, tr.Copied, remaining,
			tr.Copied*100/max(remaining, 1), rate)
	}

	rows, err := m.src.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer rows.Close()

	ncols, size := len(t.cols), m.opts.BatchSize
	cols, keyIdx := t.colNames(), t.keyIndex()
	slab := make([]any, size*ncols) // the batch's values, reused batch after batch
	batch := make([][]any, 0, size)
	vals := make([]any, ncols)
	ptrs := make([]any, ncols)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	committed := p.copied
	prevKey := slices.Clone(p.lastKey) // the last row read, for messages
	flush := func(done bool) error {
		var lastKey []int64
		if len(batch) > 0 {
			last := batch[len(batch)-1]
			for _, i := range keyIdx {
				lastKey = append(lastKey, last[i].(int64))
			}
		}
		err := pgx.BeginFunc(ctx, m.dst, func(tx pgx.Tx) error {
			if len(batch) > 0 {
				n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, cols, pgx.CopyFromRows(batch))
				if err != nil {
					return err
				}
				if n != int64(len(batch)) {
					return fmt.Errorf("COPY wrote %d rows of %d", n, len(batch))
				}
			}
			_, err := tx.Exec(ctx, `UPDATE `+progressTable+` SET last_key = coalesce($2, last_key),
				copied = copied + $3, done = $4, updated_at = $5 WHERE table_name = $1`,
				t.name, lastKey, len(batch), done, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("target: %w", err)
		}
		committed += int64(len(batch))
		tr.Copied += int64(len(batch))
		batch = batch[:0]
		if m.opts.OnBatch != nil {
			m.opts.OnBatch(t.name, committed)
		}
		if !done && time.Since(lastReport) >= m.opts.ProgressEvery {
			lastReport = time.Now()
			report(false)
		}
		return nil
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("source: %w", err)
		}
		row := slab[len(batch)*ncols : (len(batch)+1)*ncols : (len(batch)+1)*ncols]
		for i, c := range t.cols {
			v, cleaned, err := normalize(c, vals[i])
			if err != nil {
				return fmt.Errorf("source: a row after %s %v: %w", strings.Join(t.key, ","), prevKey, err)
			}
			if cleaned {
				m.rep.Cleaned++
			}
			row[i] = v
		}
		prevKey = prevKey[:0]
		for _, i := range keyIdx {
			k, ok := row[i].(int64)
			if !ok {
				return fmt.Errorf("source: key column %s is NULL", t.cols[i].name)
			}
			prevKey = append(prevKey, k)
		}
		batch = append(batch, row)
		if len(batch) == size {
			if err := flush(false); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if err := flush(true); err != nil {
		return err
	}
	report(true)
	return nil
}

// moveSequences sets each identity sequence so the next id is above both
// the highest id copied and the highest SQLite ever handed out (its
// AUTOINCREMENT tables remember deleted newest rows, whose ids clients may
// still hold as cursors).
func (m *migration) moveSequences(ctx context.Context) error {
	for _, t := range tables {
		if !t.identity {
			continue
		}
		var top int64
		if err := m.dst.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM "+t.name).Scan(&top); err != nil {
			return fmt.Errorf("target: %s: max id: %w", t.name, err)
		}
		top = max(top, m.srcSeq[t.name])
		// setval(seq, 1, false) makes 1 the next id of an empty table.
		if _, err := m.dst.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), $2, $3)`,
			t.name, max(top, 1), top > 0); err != nil {
			return fmt.Errorf("target: %s: move its id sequence: %w", t.name, err)
		}
	}
	return nil
}

// verify compares each table's row count and checksum on both sides, each
// read as one snapshot, and fills in the report.
func (m *migration) verify(ctx context.Context) error {
	tx, err := m.dst.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // read-only
	var bad []string
	for _, t := range tables {
		tr := m.tableReport(t.name)
		src, err := m.sourceSum(ctx, t)
		if err != nil {
			return fmt.Errorf("verify %s: source: %w", t.name, err)
		}
		dst, err := targetSum(ctx, tx, t)
		if err != nil {
			return fmt.Errorf("verify %s: target: %w", t.name, err)
		}
		tr.SourceRows, tr.SourceSum = src.rows, src.sum()
		tr.TargetRows, tr.TargetSum = dst.rows, dst.sum()
		if !tr.OK() {
			bad = append(bad, fmt.Sprintf("%s: %d rows, checksum %.16s on the source; %d rows, checksum %.16s on the target",
				t.name, tr.SourceRows, tr.SourceSum, tr.TargetRows, tr.TargetSum))
		}
	}
	if bad != nil {
		hint := ""
		if !m.opts.VerifyOnly {
			hint = " (was the source written to during the copy? stop its server and run again with --force)"
		}
		return fmt.Errorf("%w: %s%s", ErrMismatch, strings.Join(bad, "; "), hint)
	}
	return nil
}

func (m *migration) tableReport(name string) *TableReport {
	for i := range m.rep.Tables {
		if m.rep.Tables[i].Name == name {
			return &m.rep.Tables[i]
		}
	}
	m.rep.Tables = append(m.rep.Tables, TableReport{Name: name})
	return &m.rep.Tables[len(m.rep.Tables)-1]
}

// sourceSum hashes the source's rows as they are copied (normalized).
func (m *migration) sourceSum(ctx context.Context, t table) (*checksum, error) {
	rows, err := m.src.QueryContext(ctx, t.selectAll())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	sum := newChecksum()
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, c := range t.cols {
			if vals[i], _, err = normalize(c, vals[i]); err != nil {
				return nil, err
			}
		}
		if err := sum.add(vals); err != nil {
			return nil, err
		}
	}
	return sum, rows.Err()
}

func targetSum(ctx context.Context, tx pgx.Tx, t table) (*checksum, error) {
	rows, err := tx.Query(ctx, t.selectAll())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sum := newChecksum()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		if err := sum.add(vals); err != nil {
			return nil, err
		}
	}
	return sum, rows.Err()
}
