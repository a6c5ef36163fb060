package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

// errClosed is what writes get once Close has begun.
var errClosed = fmt.Errorf("sqlite: store is closed: %w", chat.ErrUnavailable)

// job is one caller's write. Its result travels back through done, never
// through variables the caller shares with the writer: a caller whose
// context ends stops listening while the job may still be running.
type job struct {
	ctx  context.Context
	fn   func(*wtx) (any, error)
	kind jobKind
	done chan jobResult // buffered: the writer never waits for a caller
}

type jobResult struct {
	val any
	err error
}

type jobKind uint8

const (
	// jobWrite sees the database exactly as committed by the jobs before
	// it: the writer flushes what posts left pending (see wtx.flush) first.
	jobWrite jobKind = iota
	// jobPost is CreateMessage: it may leave room counters and search
	// entries pending, to be written once for the whole batch.
	jobPost
	// jobSolo runs alone, outside any batch transaction, and manages its
	// own (migrations: one transaction each).
	jobSolo
)

// writer owns the only write connection. It takes whatever jobs are
// waiting, runs them in one transaction and commits once for all of them
// (group commit): under load one commit, and one write of each touched
// page, serves many callers.
type writer struct {
	conn     *sql.Conn
	jobs     chan *job
	maxBatch int
	tx       *wtx // set by run, used only on the writer goroutine

	// mu is held for reading by every submitter until its job is queued;
	// close takes it for writing, so no send can race the channel's close.
	mu      sync.RWMutex
	closed  bool
	stopped chan struct{}

	jobsRun, batchesRun, batchesRedone atomic.Uint64
}

// WriteStats counts the writer's work since Open. Jobs/Batches is the
// average number of writes that shared a commit.
type WriteStats struct {
	Jobs    uint64
	Batches uint64
	// Redone counts batches run a second time, with savepoints, because a
	// job failed after writing.
	Redone uint64
}

// WriteStats reports the writer's counters (for metrics and tests).
func (s *Store) WriteStats() WriteStats {
	return WriteStats{Jobs: s.w.jobsRun.Load(), Batches: s.w.batchesRun.Load(), Redone: s.w.batchesRedone.Load()}
}

func startWriter(conn *sql.Conn, maxBatch, queue int) *writer {
	w := &writer{
		conn:     conn,
		jobs:     make(chan *job, queue),
		maxBatch: maxBatch,
		stopped:  make(chan struct{}),
	}
	go w.run()
	return w
}

// submit queues fn and waits for its outcome. The answer comes after the
// commit, so a nil error means the write is durable and visible to readers.
// If ctx ends first, submit returns its error at once: a job the writer has
// not reached yet is then skipped, but one already running still commits,
// as with any database when a deadline passes during a commit.
//
// fn may run more than once: when another job of its batch fails after
// writing, the batch is redone (see runBatch).
func (w *writer) submit(ctx context.Context, fn func(*wtx) (any, error), kind jobKind) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j := &job{ctx: ctx, fn: fn, kind: kind, done: make(chan jobResult, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return nil, errClosed
	}
	select {
	case w.jobs <- j:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		return nil, ctx.Err()
	}
	select {
	case r := <-j.done:
		return r.val, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// submitT is submit for a job with a result of type T.
func submitT[T any](ctx context.Context, w *writer, kind jobKind, fn func(*wtx) (T, error)) (T, error) {
	v, err := w.submit(ctx, func(t *wtx) (any, error) { return fn(t) }, kind)
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}

// submitSolo runs fn alone, outside any batch (see jobSolo).
func (w *writer) submitSolo(ctx context.Context, fn func(*wtx) error) error {
	_, err := w.submit(ctx, func(t *wtx) (any, error) { return nil, fn(t) }, jobSolo)
	return err
}

// close stops new submissions, lets the writer finish everything queued and
// waits for it to exit, then releases the connection.
func (w *writer) close() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.jobs)
	}
	w.mu.Unlock()
	<-w.stopped
	if err := w.conn.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("sqlite: close write connection: %w", err)
	}
	return nil
}

func (w *writer) run() {
	defer close(w.stopped)
	// The writer keeps the driver connection for its whole life (see wtx).
	err := w.conn.Raw(func(dc any) error {
		t, err := newWtx(dc)
		if err != nil {
			return err
		}
		w.tx = t
		w.loop()
		return t.close()
	})
	if err != nil && w.tx == nil {
		// No connection to write with: answer every job with why.
		err = fmt.Errorf("sqlite: writer: %w", err)
		for j := range w.jobs {
			j.done <- jobResult{err: err}
		}
	}
}

func (w *writer) loop() {
	batch := make([]*job, 0, w.maxBatch)
	for j := range w.jobs {
		batch = append(batch[:0], j)
	drain:
		for len(batch) < w.maxBatch {
			select {
			case j, ok := <-w.jobs:
				if !ok {
					break drain
				}
				batch = append(batch, j)
			default:
				break drain
			}
		}
		for i := 0; i < len(batch); {
			if batch[i].kind == jobSolo {
				w.runSolo(batch[i])
				i++
				continue
			}
			k := i + 1
			for k < len(batch) && batch[k].kind != jobSolo {
				k++
			}
			w.runBatch(batch[i:k])
			i = k
		}
		clear(batch) // drop references to finished jobs
	}
}

func (w *writer) runSolo(j *job) {
	w.jobsRun.Add(1)
	w.batchesRun.Add(1)
	if err := j.ctx.Err(); err != nil {
		j.done <- jobResult{err: err}
		return
	}
	v, err := j.fn(w.tx)
	j.done <- jobResult{v, err}
	clear(w.tx.users) // a migration may have changed anything
}

// runBatch runs jobs in one transaction and commits once; an error of the
// transaction itself (begin, commit, a lost savepoint) is every job's answer,
// since none of them was kept.
//
// Jobs first run back to back without savepoints. A job that fails before
// writing anything just reports its error (the usual failures: not found,
// a taken email). A job that fails after writing would leave half its work
// in the transaction, so then the batch is rolled back and run again with
// each job inside its own SAVEPOINT, where a failure undoes only that job.
// Savepoints are not the default because they are expensive here: SQLite
// journals every page first touched inside one, and FTS5 flushes its
// pending index to disk at every SAVEPOINT, so a savepoint per job made it
// write and merge an index segment per message instead of one per commit
// (profiled: a fifth of the writer's time went to those flushes).
func (w *writer) runBatch(jobs []*job) {
	w.jobsRun.Add(uint64(len(jobs)))
	w.batchesRun.Add(1)
	res := make([]jobResult, len(jobs))
	err := w.runJobs(jobs, res, false)
	if errors.Is(err, errRedo) {
		w.batchesRedone.Add(1)
		err = w.runJobs(jobs, res, true)
	}
	for i, j := range jobs {
		if err != nil {
			res[i] = jobResult{err: err}
		}
		j.done <- res[i]
	}
}

// errRedo asks runBatch to run the batch again with savepoints.
var errRedo = errors.New("sqlite: redo batch with savepoints")

// runJobs runs jobs in one transaction, setting each job's own result in
// res. It returns errRedo (without savepoints, after a job failed having
// written) or the error of the transaction itself, which is then gone.
func (w *writer) runJobs(jobs []*job, res []jobResult, savepoints bool) error {
	t := w.tx
	t.forgetPending()
	if _, err := t.exec("BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	for i, j := range jobs {
		res[i] = jobResult{}
		if err := j.ctx.Err(); err != nil {
			res[i].err = err
			continue
		}
		// With savepoints, what earlier jobs left pending is written
		// outside this job's savepoint, so undoing this job cannot undo it.
		if savepoints || j.kind != jobPost {
			if err := t.flush(); err != nil {
				w.rollback()
				return err
			}
		}
		if savepoints {
			if _, err := t.exec("SAVEPOINT job"); err != nil {
				w.rollback()
				return fmt.Errorf("sqlite: savepoint: %w", err)
			}
		}
		t.dirty = false
		v, err := j.fn(t)
		switch {
		case err == nil && savepoints:
			if _, err := t.exec("RELEASE job"); err != nil {
				w.rollback()
				return fmt.Errorf("sqlite: release savepoint: %w", err)
			}
		case err == nil:
		case savepoints:
			t.forgetPending()
			clear(t.users)
			_, txErr := t.exec("ROLLBACK TO job")
			if txErr == nil {
				_, txErr = t.exec("RELEASE job")
			}
			if txErr != nil {
				// SQLite already rolled back the whole transaction (an I/O
				// error, a full disk): nothing in this batch survived.
				w.rollback()
				return fmt.Errorf("sqlite: transaction lost: %w", errors.Join(err, txErr))
			}
		case t.dirty || rollsBackTx(err):
			w.rollback()
			return errRedo
		}
		res[i] = jobResult{v, err}
	}
	if err := t.flush(); err != nil {
		w.rollback()
		return err
	}
	if _, err := t.exec("COMMIT"); err != nil {
		w.rollback()
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

func (w *writer) rollback() {
	w.tx.forgetPending()
	clear(w.tx.users)
	// An error here means there is no transaction left to roll back.
	_, _ = w.tx.exec("ROLLBACK")
}

// rollsBackTx reports whether err may have made SQLite roll back the whole
// transaction by itself (I/O, full disk, out of memory, busy…). Constraint
// violations undo only their statement; errors from Go (not found) touch
// nothing.
func rollsBackTx(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff != sqlite3.SQLITE_CONSTRAINT
}

// maxCachedUsers bounds the user cache; past it the cache starts over.
const maxCachedUsers = 10_000

func (t *wtx) user(id int64) (chat.User, error) {
	if u, ok := t.users[id]; ok {
		return u, nil
	}
	u, err := rowscan.ScanUser(t.queryRow(userByID, id))
	if err != nil {
		return chat.User{}, err
	}
	if len(t.users) >= maxCachedUsers {
		clear(t.users)
	}
	t.users[id] = u
	return u, nil
}

func (t *wtx) forgetUser(id int64) { delete(t.users, id) }

// What posts leave pending until the end of the batch (or the next job
// that is not a post), because writing it once per batch instead of once
// per message is most of what group commit saves:
//   - the rooms' seq counters and last_message_at: one UPDATE per room;
//   - the search entries of new messages: one INSERT for all of them, at
//     which FTS5 writes one index segment (an insert trigger would run
//     inside each statement's implicit savepoint, where FTS5 flushes,
//     writing a segment per message).

type roomCounter struct {
	seq     int64 // the room's last seq, counting pending posts
	lastAt  int64 // its last_message_at, likewise
	pending bool  // differs from the rooms row
}

// nextSeq is the seq a new message in roomID would take. The counter is
// read from the rooms row once per batch and kept here; takeSeq advances it.
func (t *wtx) nextSeq(roomID int64) (int64, error) {
	c, ok := t.rooms[roomID]
	if !ok {
		var last sql.NullInt64
		c = &roomCounter{}
		if err := t.queryRow(roomCounters, roomID).Scan(&c.seq, &last); err != nil {
			return 0, err
		}
		c.lastAt = last.Int64
		t.rooms[roomID] = c
	}
	return c.seq + 1, nil
}

// takeSeq records that a message took seq in roomID at time at.
func (t *wtx) takeSeq(roomID, seq, at int64) {
	c := t.rooms[roomID]
	c.seq, c.lastAt, c.pending = seq, max(c.lastAt, at), true
}

// indexLater queues a new message for the search index.
func (t *wtx) indexLater(messageID int64) { t.unindexed = append(t.unindexed, messageID) }

// flush writes what posts left pending.
func (t *wtx) flush() error {
	for id, c := range t.rooms {
		if !c.pending {
			continue
		}
		if _, err := t.exec(updateRoomCounters, c.seq, c.lastAt, id); err != nil {
			return fmt.Errorf("sqlite: update room %d: %w", id, err)
		}
		c.pending = false
	}
	if len(t.unindexed) > 0 {
		_, err := t.exec(indexMessages, idList(t.unindexed))
		t.unindexed = t.unindexed[:0]
		if err != nil {
			return fmt.Errorf("sqlite: index messages: %w", err)
		}
	}
	return nil
}

// forgetPending drops pending state after a rollback, and the counters
// at the start of a batch (another process may have written since).
func (t *wtx) forgetPending() {
	clear(t.rooms)
	t.unindexed = t.unindexed[:0]
}

const (
	roomCounters       = `SELECT last_seq, last_message_at FROM rooms WHERE id = ?`
	updateRoomCounters = `UPDATE rooms SET last_seq = ?, last_message_at = ? WHERE id = ?`
	indexMessages      = `INSERT INTO messages_fts (rowid, body)
		SELECT id, body FROM messages WHERE id IN (SELECT value FROM json_each(?))`
)
