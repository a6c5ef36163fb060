// Package postgres is Campfire's store on PostgreSQL, for running several
// instances on one database. It talks to PostgreSQL through a pgx pool.
//
// Correctness comes from the database, never from a lock in this process,
// so any number of instances may share it: a post takes its room's next seq
// by updating the room's counter row in the post's own transaction, and
// that row lock, held until the commit, orders the room's posts by commit
// (see CreateMessage). A post is one round trip: its statements go to the
// server as one pipeline, which runs them as one transaction.
//
// The schema is in migrations/; Open applies it under an advisory lock, so
// instances starting together migrate once, and refuses a schema newer
// than this binary (ErrSchemaTooNew). Table and column names are those of
// the SQLite store, so data copies across column by column.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

var _ store.Store = (*Store)(nil)

// Options tune a Store. Zero values mean the defaults, which are the
// scaling guide's pool settings.
type Options struct {
	// NoMigrate opens the database without applying pending migrations;
	// `campfire migrate` uses it and then calls Migrate. A schema newer
	// than this binary is refused either way.
	NoMigrate bool
	// MaxConns caps the pool. Default 20. Mind the server's
	// max_connections: N instances hold up to N×MaxConns.
	MaxConns int32
	// MinConns are kept open even when idle. Default 5.
	MinConns int32
	// AcquireTimeout bounds the wait for a pooled connection (all busy, or
	// the server unreachable), on top of the caller's context. Default 30 s.
	AcquireTimeout time.Duration
	// MaxConnIdleTime closes connections idle this long. Default 10 min.
	MaxConnIdleTime time.Duration
	// MaxConnLifetime replaces connections this old (so a failed-over
	// server's address is picked up). Default 30 min.
	MaxConnLifetime time.Duration
}

func (o *Options) setDefaults() {
	if o.MaxConns <= 0 {
		o.MaxConns = 20
	}
	if o.MinConns <= 0 {
		o.MinConns = 5
	}
	o.MinConns = min(o.MinConns, o.MaxConns)
	if o.AcquireTimeout <= 0 {
		o.AcquireTimeout = 30 * time.Second
	}
	if o.MaxConnIdleTime <= 0 {
		o.MaxConnIdleTime = 10 * time.Minute
	}
	if o.MaxConnLifetime <= 0 {
		o.MaxConnLifetime = 30 * time.Minute
	}
}

// defaultConnectTimeout bounds dialling a server that does not answer when
// the URL sets no connect_timeout.
const defaultConnectTimeout = 10 * time.Second

// Store is the PostgreSQL implementation of store.Store. It is safe for
// concurrent use, by any number of processes at once.
type Store struct {
	pool  *pgxpool.Pool
	opts  Options
	posts *poster

	closeOnce sync.Once
}

// Open connects to the database at url (postgres://…), applies pending
// migrations unless opts.NoMigrate, and returns the store. It refuses a
// database whose schema is newer than this binary with an error matching
// ErrSchemaTooNew.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	opts.setDefaults()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The error names the URL's parts, never the password.
		return nil, fmt.Errorf("postgres: database URL: %w", err)
	}
	cfg.MaxConns = opts.MaxConns
	cfg.MinConns = opts.MinConns
	cfg.MaxConnIdleTime = opts.MaxConnIdleTime
	cfg.MaxConnLifetime = opts.MaxConnLifetime
	cfg.MaxConnLifetimeJitter = opts.MaxConnLifetime / 10 // instances do not reconnect in step
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, opts: opts}
	if opts.NoMigrate {
		err = s.with(ctx, func(c *pgxpool.Conn) error {
			_, err := checkVersion(ctx, c)
			return err
		})
	} else {
		err = s.Migrate(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.posts = startPoster(s)
	return s, nil
}

// Ping checks the database answers (for /ready).
func (s *Store) Ping(ctx context.Context) error {
	return dbErr("ping", s.with(ctx, func(c *pgxpool.Conn) error { return c.Ping(ctx) }))
}

// Close stops taking posts, finishes those queued, and closes the pool,
// waiting for connections in use to be returned. It is safe to call more
// than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.posts.close()
		s.pool.Close()
	})
	return nil
}

// with runs fn on a pooled connection. The wait for one is bounded by
// AcquireTimeout as well as ctx.
func (s *Store) with(ctx context.Context, fn func(c *pgxpool.Conn) error) error {
	actx, cancel := context.WithTimeout(ctx, s.opts.AcquireTimeout)
	c, err := s.pool.Acquire(actx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			// Our own bound, not the caller's: the database is out of reach
			// or every connection is busy.
			return fmt.Errorf("postgres: acquire a connection: %w: %w", chat.ErrUnavailable, err)
		}
		return fmt.Errorf("postgres: acquire a connection: %w", err)
	}
	defer c.Release()
	return fn(c)
}

// tx runs fn in a transaction (READ COMMITTED) on a pooled connection and
// commits if it returns nil. A transaction PostgreSQL aborted to break a
// deadlock runs again, so fn must set its results afresh each run.
func (s *Store) tx(ctx context.Context, fn func(q querier) error) error {
	return s.with(ctx, func(c *pgxpool.Conn) error {
		var err error
		for range maxAttempts {
			err = pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error { return fn(querier{ctx: ctx, db: tx}) })
			if !isRetryable(err) {
				return err
			}
		}
		return err
	})
}

// read runs fn with a querier on a pooled connection, outside a
// transaction (each statement sees the latest commits).
func (s *Store) run(ctx context.Context, fn func(q querier) error) error {
	return s.with(ctx, func(c *pgxpool.Conn) error { return fn(querier{ctx: ctx, db: c}) })
}

// db is what a pooled connection and a transaction have in common.
type db interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// querier runs statements with one context, cleaning every text argument
// (see cleanText) so that no input reaches PostgreSQL as text it refuses.
type querier struct {
	ctx context.Context
	db  db
}

func (q querier) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	return q.db.Exec(q.ctx, sql, cleanArgs(args)...)
}

func (q querier) query(sql string, args ...any) (pgx.Rows, error) {
	return q.db.Query(q.ctx, sql, cleanArgs(args)...)
}

func (q querier) queryRow(sql string, args ...any) pgx.Row {
	return q.db.QueryRow(q.ctx, sql, cleanArgs(args)...)
}

// mustAffect turns "no row matched" into pgx.ErrNoRows, which dbErr maps to
// chat.ErrNotFound.
func mustAffect(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return pgx.ErrNoRows
	}
	return nil
}

// CleanText makes s storable as PostgreSQL text, which holds neither NUL
// nor invalid UTF-8 (SQLite keeps both): each invalid sequence and each NUL
// becomes U+FFFD. Valid text is returned as is, without copying. The
// migration and the importer write through it too.
func CleanText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

var stringType = reflect.TypeFor[string]()

// cleanArgs applies cleanText to the text arguments of a statement,
// including those of named string types (chat.Role, chat.RoomType…).
func cleanArgs(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case nil, int64, int, bool, []int64:
		case string:
			args[i] = CleanText(v)
		default:
			if rv := reflect.ValueOf(a); rv.Kind() == reflect.String {
				args[i] = CleanText(rv.Convert(stringType).Interface().(string))
			}
		}
	}
	return args
}

// SQLSTATEs this package tells apart.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
	deadlockDetected    = "40P01"
	serializationFail   = "40001"
)

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func isUnique(err error) bool { return pgCode(err) == uniqueViolation }

// isRetryable reports an error after which the whole transaction may simply
// run again (PostgreSQL chose it as a deadlock victim).
func isRetryable(err error) bool {
	c := pgCode(err)
	return c == deadlockDetected || c == serializationFail
}

// isUnavailable reports an error that says the database cannot be reached
// or is going away (as opposed to a bug or a refused statement), which the
// web layer answers with 503.
func isUnavailable(err error) bool {
	if c := pgCode(err); c != "" {
		// 08: connection exception; 57P0x: shutting down or starting up;
		// 53: out of resources (connections, disk, memory).
		return strings.HasPrefix(c, "08") || strings.HasPrefix(c, "57P0") || strings.HasPrefix(c, "53")
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "closed pool") || strings.Contains(err.Error(), "conn closed")
}

// dbErr wraps err with what failed, mapping "no rows" and references to
// absent rows to chat.ErrNotFound, unique violations to chat.ErrConflict
// and a database out of reach to chat.ErrUnavailable.
func dbErr(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%s: %w", what, chat.ErrNotFound)
	case isUnique(err):
		return fmt.Errorf("%s: %w (%v)", what, chat.ErrConflict, err)
	case pgCode(err) == foreignKeyViolation:
		// A reference to a row that does not exist (a user, a room).
		return fmt.Errorf("%s: %w (%v)", what, chat.ErrNotFound, err)
	case errors.Is(err, chat.ErrNotFound), errors.Is(err, chat.ErrConflict), errors.Is(err, chat.ErrForbidden),
		errors.Is(err, chat.ErrInvalid), errors.Is(err, chat.ErrUnavailable), errors.Is(err, ErrSchemaTooNew),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", what, err)
	case isUnavailable(err):
		return fmt.Errorf("postgres: %s: %w: %w", what, chat.ErrUnavailable, err)
	default:
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
}

func notFound(what string) error { return fmt.Errorf("%s: %w", what, chat.ErrNotFound) }
