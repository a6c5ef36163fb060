package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/campfire-go/campfire/internal/chat"
)

// The poster groups concurrent posts into shared transactions (group
// commit). Each post holds its room's lock until its commit, and a commit
// waits for the WAL to reach the disk (milliseconds): one post per
// transaction caps a busy room at one post per disk flush. A batch takes
// every post waiting, up to maxBatch, runs them as one pipeline and commits
// once, so the room's lock and the flush serve them all.
//
// Batching is only for throughput. Order still comes from the database:
// each post takes its seq under its room's row lock inside the batch's
// transaction, whichever instance or batch it is in.
type poster struct {
	s        *Store
	jobs     chan *postJob
	maxBatch int

	// mu is held for reading by every submitter until its job is queued;
	// close takes it for writing, so no job is queued after the workers
	// have drained the queue.
	mu       sync.RWMutex
	closed   bool
	stopping chan struct{} // closed first by close: wakes blocked submitters
	drain    chan struct{} // closed once no job can be queued any more
	wg       sync.WaitGroup

	jobsRun, batchesRun, batchesRedone atomic.Uint64
}

// PostStats counts the poster's work since Open. Jobs/Batches is the
// average number of posts that shared a commit.
type PostStats struct {
	Jobs    uint64
	Batches uint64
	// Redone counts batches that failed as a whole and ran again one post
	// at a time.
	Redone uint64
}

// PostStats reports the poster's counters (for metrics and tests).
func (s *Store) PostStats() PostStats {
	p := s.posts
	return PostStats{Jobs: p.jobsRun.Load(), Batches: p.batchesRun.Load(), Redone: p.batchesRedone.Load()}
}

const (
	postWorkers  = 2    // batches in flight at once: one fills while the other commits
	postMaxBatch = 128  // posts per transaction
	postQueue    = 1024 // posts waiting; beyond it callers wait (as long as their context allows)
	// batchTimeout bounds one batch, which belongs to no single caller.
	batchTimeout = 30 * time.Second
)

var errClosed = fmt.Errorf("postgres: store is closed: %w", chat.ErrUnavailable)

func startPoster(s *Store) *poster {
	p := &poster{s: s, jobs: make(chan *postJob, postQueue), maxBatch: postMaxBatch,
		stopping: make(chan struct{}), drain: make(chan struct{})}
	for range postWorkers {
		p.wg.Go(p.run)
	}
	return p
}

// submit queues j and waits for its answer, which comes after the commit.
// If ctx ends first, submit returns its error at once: a job not yet taken
// is then skipped, one already running still commits.
func (p *poster) submit(ctx context.Context, j *postJob) (postResult, error) {
	if err := ctx.Err(); err != nil {
		return postResult{}, err
	}
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		return postResult{}, errClosed
	}
	select {
	case p.jobs <- j:
		p.mu.RUnlock()
	case <-ctx.Done():
		p.mu.RUnlock()
		return postResult{}, ctx.Err()
	case <-p.stopping:
		p.mu.RUnlock()
		return postResult{}, errClosed
	}
	select {
	case r := <-j.done:
		return r, nil
	case <-ctx.Done():
		return postResult{}, ctx.Err()
	}
}

// close stops taking jobs, lets the workers finish those queued and waits
// for them.
func (p *poster) close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.stopping)
		close(p.drain)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *poster) run() {
	batch := make([]*postJob, 0, p.maxBatch)
	for {
		var j *postJob
		select {
		case j = <-p.jobs:
		case <-p.drain:
			select {
			case j = <-p.jobs:
			default:
				return // closed and nothing left
			}
		}
		batch = append(batch[:0], j)
	more:
		for len(batch) < p.maxBatch {
			select {
			case j := <-p.jobs:
				batch = append(batch, j)
			default:
				break more
			}
		}
		p.runBatch(batch)
		clear(batch) // drop references to answered jobs
	}
}

// runBatch runs jobs in one transaction. If it fails as a whole, each job
// runs again alone, so one job's failure (or a deadlock) is not the
// others'.
func (p *poster) runBatch(jobs []*postJob) {
	live := jobs[:0]
	for _, j := range jobs {
		if err := j.ctx.Err(); err != nil {
			j.done <- postResult{err: err} // the caller has gone: skip it
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	p.jobsRun.Add(uint64(len(live)))
	p.batchesRun.Add(1)
	// Rooms are locked in ascending id order, so two batches (of this
	// instance or another) never wait for each other in a cycle; the
	// stable sort keeps each room's posts in arrival order.
	slices.SortStableFunc(live, func(a, b *postJob) int { return cmp.Compare(a.nm.RoomID, b.nm.RoomID) })
	err := p.attempt(live)
	if err == nil {
		return
	}
	if len(live) == 1 {
		live[0].done <- postResult{err: err}
		return
	}
	p.batchesRedone.Add(1)
	for _, j := range live {
		if err := p.attempt([]*postJob{j}); err != nil {
			j.done <- postResult{err: err}
		}
	}
}

// attempt runs jobs in one transaction, again if PostgreSQL chose it as a
// deadlock victim. On nil every job has been answered.
func (p *poster) attempt(jobs []*postJob) error {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	var err error
	for range maxAttempts {
		err = p.s.with(ctx, func(c *pgxpool.Conn) error { return runPosts(ctx, c, jobs) })
		if err == nil || !isRetryable(err) {
			return err
		}
	}
	return err
}

// maxAttempts bounds the runs of a transaction PostgreSQL aborted to break
// a deadlock.
const maxAttempts = 3
