// Package sqlite is Campfire's embedded store: one SQLite file in WAL mode
// (pure Go, modernc.org/sqlite), read through a pool of read-only
// connections and written by a single writer goroutine.
//
// Every write is a job handed to that goroutine. It takes all the jobs
// waiting, runs them in one transaction and commits once (group commit):
// writes never contend for SQLite's lock, and under load one commit, and
// one write of each page touched, serves many callers. A caller hears back
// only after the commit, so whatever it was told is durable and visible to
// reads. A job that fails undoes only itself (see writer.runBatch).
//
// The file layout is in migrations/; Open applies them, and refuses a
// database migrated by a newer binary (ErrSchemaTooNew).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

var _ store.Store = (*Store)(nil)

// Options tune a Store. The zero value is the production default.
type Options struct {
	// NoMigrate opens the database without applying pending migrations;
	// `campfire migrate` uses it and then calls Migrate. A schema newer
	// than this binary is refused either way.
	NoMigrate bool
	// ReadConns caps the read pool. Default 20.
	ReadConns int
	// MaxBatch caps how many write jobs share one commit. Default 256.
	MaxBatch int
	// QueueSize bounds the write jobs waiting for the writer; beyond it
	// callers wait (as long as their context allows). Default 1024.
	QueueSize int
	// BusyTimeout is how long a connection waits for a lock held by another
	// process (a backup tool, the sqlite3 shell). Default 5 s.
	BusyTimeout time.Duration
}

func (o *Options) setDefaults() {
	if o.ReadConns <= 0 {
		o.ReadConns = 20
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1024
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
}

// Store is the SQLite implementation of store.Store. It is safe for
// concurrent use.
type Store struct {
	path string
	opts Options
	rdb  *sql.DB // read-only pool
	// readStmts holds the read pool's prepared statements by query text.
	readStmts sync.Map
	wdb       *sql.DB // exactly one connection, owned by w
	w         *writer

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating it and its directory if needed) the database at path,
// applies pending migrations unless opts.NoMigrate, and starts the writer.
// It refuses a database whose schema is newer than this binary with an
// error matching ErrSchemaTooNew.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	opts.setDefaults()
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: invalid database path %q", path)
	}
	// Two pools over one in-memory database would be two databases.
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: %q: want a file path", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: create database directory: %w", err)
	}
	// The file holds every message and password hash: readable by the
	// server's user only. SQLite gives the -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: creating %s: %w", path, err)
	}
	f.Close()

	s := &Store{path: path, opts: opts}
	s.wdb, err = sql.Open("sqlite", dsn(path, opts, "_pragma=cache_size(-64000)"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open writer: %w", err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxIdleTime(0)
	s.wdb.SetConnMaxLifetime(0)

	// The writer connection is taken first: it sets journal_mode=WAL, which
	// read-only connections cannot do on a new file.
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.w = startWriter(conn, opts.MaxBatch, opts.QueueSize)
	fail := func(err error) (*Store, error) {
		s.w.close()
		s.wdb.Close()
		if s.rdb != nil {
			s.rdb.Close()
		}
		return nil, err
	}

	prepare := migrate
	if opts.NoMigrate {
		prepare = func(t *wtx) error { _, err := checkVersion(t); return err }
	}
	if err := s.w.submitSolo(ctx, prepare); err != nil {
		return fail(err)
	}

	// Each connection has its own page cache: 20 readers at the writer's
	// 64 MB could hold over a gigabyte.
	s.rdb, err = sql.Open("sqlite", dsn(path, opts, "_pragma=cache_size(-16000)", "_query_only=1"))
	if err != nil {
		return fail(fmt.Errorf("sqlite: open readers: %w", err))
	}
	s.rdb.SetMaxOpenConns(opts.ReadConns)
	s.rdb.SetMaxIdleConns(min(5, opts.ReadConns))
	s.rdb.SetConnMaxIdleTime(10 * time.Minute)
	s.rdb.SetConnMaxLifetime(30 * time.Minute)
	if err := s.rdb.PingContext(ctx); err != nil {
		return fail(fmt.Errorf("sqlite: open readers: %w", err))
	}
	return s, nil
}

// dsn builds the connection string: busy_timeout comes first so the other
// PRAGMAs (journal_mode in particular) wait for a lock instead of failing.
func dsn(path string, opts Options, extra ...string) string {
	q := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", opts.BusyTimeout.Milliseconds()),
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(NORMAL)",
		"_pragma=foreign_keys(ON)",
		"_pragma=temp_store(MEMORY)",
	}
	q = append(q, extra...)
	return path + "?" + strings.Join(q, "&")
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Ping checks both pools answer. The writer is checked through its queue so
// a wedged writer shows as not ready.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping readers: %w", err)
	}
	return s.write(ctx, func(*wtx) error { return nil })
}

// Close stops accepting writes, finishes the queued ones, stops the writer
// and closes the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		errs := []error{s.w.close()}
		s.readStmts.Range(func(_, st any) bool {
			errs = append(errs, st.(*sql.Stmt).Close())
			return true
		})
		if err := s.wdb.Close(); err != nil {
			errs = append(errs, fmt.Errorf("sqlite: close writer: %w", err))
		}
		if err := s.rdb.Close(); err != nil {
			errs = append(errs, fmt.Errorf("sqlite: close readers: %w", err))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// write runs fn in the writer's next batch and returns once that batch has
// committed (or fn failed). fn may run more than once (see submit).
func (s *Store) write(ctx context.Context, fn func(*wtx) error) error {
	_, err := s.w.submit(ctx, func(t *wtx) (any, error) { return nil, fn(t) }, jobWrite)
	return err
}

// writeT is write for a job with a result.
func writeT[T any](ctx context.Context, s *Store, fn func(*wtx) (T, error)) (T, error) {
	return submitT(ctx, s.w, jobWrite, fn)
}

// readTx runs fn in one read transaction, so the several queries that load
// a page of messages see one snapshot.
func (s *Store) readTx(ctx context.Context, fn func(querier) error) error {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	return fn(readQ{ctx: ctx, s: s, tx: tx})
}

// isUnique reports whether err is a unique or primary key violation.
func isUnique(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
	}
	return false
}

func isForeignKey(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// dbErr wraps err with what failed, mapping "no rows" to chat.ErrNotFound
// and unique violations to chat.ErrConflict.
func dbErr(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", what, chat.ErrNotFound)
	case isUnique(err):
		return fmt.Errorf("%s: %w (%v)", what, chat.ErrConflict, err)
	case isForeignKey(err):
		// A reference to a row that does not exist (a user, a room).
		return fmt.Errorf("%s: %w (%v)", what, chat.ErrNotFound, err)
	case errors.Is(err, chat.ErrNotFound), errors.Is(err, chat.ErrConflict),
		errors.Is(err, chat.ErrInvalid), errors.Is(err, chat.ErrUnavailable),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", what, err)
	default:
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
}

func notFound(what string) error { return fmt.Errorf("%s: %w", what, chat.ErrNotFound) }
