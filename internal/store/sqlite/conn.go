package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

// querier is what the loaders need, so one loader serves reads (a read
// transaction on the pool) and writes (the writer's connection).
type querier interface {
	query(query string, args ...any) (rowsIter, error)
	queryRow(query string, args ...any) rowscan.Scanner
}

// rowsIter is the part of *sql.Rows the loaders use.
type rowsIter interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// readQ runs queries on the read pool, in a read transaction when tx is
// set, through statements prepared once per connection (parsing costs more
// than running most of these queries).
type readQ struct {
	ctx context.Context
	s   *Store
	tx  *sql.Tx
}

// read is a querier on the read pool, outside any transaction.
func (s *Store) read(ctx context.Context) readQ { return readQ{ctx: ctx, s: s} }

func (r readQ) stmt(query string) (*sql.Stmt, error) {
	st, err := r.s.readStmt(r.ctx, query)
	if err != nil {
		return nil, err
	}
	if r.tx != nil {
		st = r.tx.StmtContext(r.ctx, st)
	}
	return st, nil
}

func (r readQ) query(query string, args ...any) (rowsIter, error) {
	st, err := r.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(r.ctx, args...)
}

func (r readQ) queryRow(query string, args ...any) rowscan.Scanner {
	st, err := r.stmt(query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(r.ctx, args...)
}

type errRow struct{ err error }

func (e errRow) Scan(...any) error { return e.err }

// readStmt is query prepared on the read pool (database/sql prepares it on
// each connection as it is first used there).
func (s *Store) readStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.readStmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.rdb.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.readStmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// wtx is the writer's connection as a job sees it. It talks to the driver
// directly rather than through database/sql: every write runs on the one
// writer goroutine, and database/sql's per-statement bookkeeping (locks,
// argument conversion, a Rows object per query) cost three times the
// statement itself for the small statements a post is made of. Statements
// are prepared once and kept for the connection's life.
//
// It never sees a caller's context: cancelling a statement interrupts it,
// and an interrupted write rolls back the whole transaction, which holds
// other callers' jobs too.
type wtx struct {
	conn   driver.Conn
	execer driver.ExecerContext
	stmts  map[string]*prepared
	args   []driver.NamedValue // reused for every statement

	// dirty says the running job has changed the database.
	dirty bool
	// rooms and unindexed are what posts left pending; see flush.
	rooms     map[int64]*roomCounter
	unindexed []int64
	// users caches users as committed, for the creator of each new
	// message. The writer is the only thing that changes users, so jobs
	// that do call forgetUser, and a rollback forgets everything.
	users map[int64]chat.User
}

type prepared struct {
	exec  driver.StmtExecContext
	query driver.StmtQueryContext
	close func() error
	write bool // anything but a SELECT may change the database
}

var bg = context.Background()

func newWtx(dc any) (*wtx, error) {
	conn, ok := dc.(driver.Conn)
	if !ok {
		return nil, fmt.Errorf("sqlite: driver connection %T is not a driver.Conn", dc)
	}
	execer, ok := dc.(driver.ExecerContext)
	if !ok {
		return nil, fmt.Errorf("sqlite: driver connection %T cannot Exec", dc)
	}
	return &wtx{conn: conn, execer: execer, stmts: map[string]*prepared{}, users: map[int64]chat.User{},
		rooms: map[int64]*roomCounter{}}, nil
}

func (t *wtx) stmt(query string) (*prepared, error) {
	if p, ok := t.stmts[query]; ok {
		return p, nil
	}
	var st driver.Stmt
	var err error
	if pc, ok := t.conn.(driver.ConnPrepareContext); ok {
		st, err = pc.PrepareContext(bg, query)
	} else {
		st, err = t.conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	ex, ok1 := st.(driver.StmtExecContext)
	qu, ok2 := st.(driver.StmtQueryContext)
	if !ok1 || !ok2 {
		st.Close()
		return nil, fmt.Errorf("sqlite: driver statement %T lacks context methods", st)
	}
	head := strings.ToUpper(strings.TrimSpace(query))
	p := &prepared{exec: ex, query: qu, close: st.Close, write: !strings.HasPrefix(head, "SELECT")}
	t.stmts[query] = p
	return p, nil
}

func (t *wtx) bind(args []any) ([]driver.NamedValue, error) {
	t.args = t.args[:0]
	for i, a := range args {
		var v driver.Value
		switch x := a.(type) {
		case nil, int64, string, bool, float64, []byte:
			v = x
		case int:
			v = int64(x)
		default:
			var err error
			if v, err = driver.DefaultParameterConverter.ConvertValue(a); err != nil {
				return nil, fmt.Errorf("sqlite: argument %d: %w", i+1, err)
			}
		}
		t.args = append(t.args, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	return t.args, nil
}

// exec runs a statement that returns no rows.
func (t *wtx) exec(query string, args ...any) (driver.Result, error) {
	p, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	nv, err := t.bind(args)
	if err != nil {
		return nil, err
	}
	res, err := p.exec.ExecContext(bg, nv)
	switch {
	case err != nil:
		// A constraint violation undoes its own statement and nothing else.
		t.dirty = t.dirty || rollsBackTx(err)
	case p.write:
		n, rerr := res.RowsAffected()
		t.dirty = t.dirty || rerr != nil || n > 0
	}
	return res, err
}

// query runs a statement that returns rows (a SELECT, or a write with
// RETURNING, whose changes are all made by the first step).
func (t *wtx) query(query string, args ...any) (rowsIter, error) {
	p, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	nv, err := t.bind(args)
	if err != nil {
		return nil, err
	}
	if p.write {
		t.dirty = true
	}
	rows, err := p.query.QueryContext(bg, nv)
	if err != nil {
		return nil, err
	}
	r := &rawRows{rows: rows, dest: make([]driver.Value, len(rows.Columns()))}
	return r, nil
}

func (t *wtx) queryRow(query string, args ...any) rowscan.Scanner {
	rows, err := t.query(query, args...)
	return &rawRow{rows: rows, err: err}
}

// execScript runs SQL text that may hold several statements (migrations,
// transaction control), unprepared.
func (t *wtx) execScript(query string) error {
	t.dirty = true
	_, err := t.execer.ExecContext(bg, query, nil)
	return err
}

func (t *wtx) close() error {
	var errs []error
	for _, p := range t.stmts {
		errs = append(errs, p.close())
	}
	clear(t.stmts)
	return errors.Join(errs...)
}

// rawRows adapts driver.Rows to rowsIter, with the conversions this
// package's scans need.
type rawRows struct {
	rows driver.Rows
	dest []driver.Value
	err  error
	done bool
}

func (r *rawRows) Next() bool {
	if r.done {
		return false
	}
	if err := r.rows.Next(r.dest); err != nil {
		r.done = true
		if err != io.EOF {
			r.err = err
		}
		r.rows.Close()
		return false
	}
	return true
}

func (r *rawRows) Scan(dest ...any) error {
	if len(dest) != len(r.dest) {
		return fmt.Errorf("sqlite: scan: %d destinations for %d columns", len(dest), len(r.dest))
	}
	for i, d := range dest {
		if err := assign(d, r.dest[i]); err != nil {
			return fmt.Errorf("sqlite: scan column %d: %w", i, err)
		}
	}
	return nil
}

func (r *rawRows) Err() error { return r.err }

func (r *rawRows) Close() error {
	if r.done {
		return nil
	}
	r.done = true
	return r.rows.Close()
}

// rawRow is queryRow's result, like *sql.Row.
type rawRow struct {
	rows rowsIter
	err  error
}

func (r *rawRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	return r.rows.Scan(dest...)
}

// assign stores a column value in dest: the handful of destination types
// the scans in this package use.
func assign(dest any, v driver.Value) error {
	switch d := dest.(type) {
	case *int64:
		switch x := v.(type) {
		case int64:
			*d = x
			return nil
		case float64:
			*d = int64(x)
			return nil
		}
	case *int:
		if x, ok := v.(int64); ok {
			*d = int(x)
			return nil
		}
	case *string:
		switch x := v.(type) {
		case string:
			*d = x
			return nil
		case []byte:
			*d = string(x)
			return nil
		}
	case *bool:
		switch x := v.(type) {
		case int64:
			*d = x != 0
			return nil
		case bool:
			*d = x
			return nil
		}
	case *sql.NullInt64:
		if v == nil {
			*d = sql.NullInt64{}
			return nil
		}
		if x, ok := v.(int64); ok {
			*d = sql.NullInt64{Int64: x, Valid: true}
			return nil
		}
	case *any:
		*d = v
		return nil
	}
	return fmt.Errorf("cannot store %T in %T", v, dest)
}
