// Package memory is the in-process broker.Broker of a single instance.
//
// Guarantee (the broker contract, narrowed): Publish never blocks. It puts
// the event on one bounded FIFO queue; the goroutine inside Run hands the
// events to the subscribed handler in exactly publish order, so events of
// one room published by one goroutine arrive in that order, and events from
// different goroutines arrive in the order their Publish calls took the
// queue. When the queue is full the event is dropped and Publish returns
// ErrFull: delivery is at-most-once, and clients recover what they missed
// from the database by seq (the hub fills its own gaps the same way).
// After Close, Publish returns ErrClosed and the handler is not called
// again.
package memory

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/campfire-go/campfire/internal/broker"
)

// DefaultQueue is the number of events Publish may run ahead of delivery.
// The hub's handler only hands bytes to bounded socket queues, so in
// practice the queue holds a handful of events; the headroom absorbs a
// burst of posts while the scheduler is busy elsewhere.
const DefaultQueue = 4096

var (
	// ErrFull means the event was dropped because delivery is behind.
	ErrFull = errors.New("memory broker: queue full, event dropped")
	// ErrClosed means the broker was closed.
	ErrClosed = errors.New("memory broker: closed")
)

// Broker is the in-process broker. The zero value is not usable: call New.
type Broker struct {
	queue chan broker.Event

	mu     sync.RWMutex // guards handle and closed against Publish
	handle func(broker.Event)
	closed bool

	done    chan struct{} // closed by Close
	running chan struct{} // closed when Run's loop has returned
	started atomic.Bool
	dropped atomic.Int64
}

var _ broker.Broker = (*Broker)(nil)

// New returns a broker whose queue holds size events (DefaultQueue when
// size <= 0).
func New(size int) *Broker {
	if size <= 0 {
		size = DefaultQueue
	}
	return &Broker{
		queue:   make(chan broker.Event, size),
		done:    make(chan struct{}),
		running: make(chan struct{}),
	}
}

// Publish queues e for the handler without blocking.
func (b *Broker) Publish(ctx context.Context, e broker.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	select {
	case b.queue <- e:
		return nil
	default:
		b.dropped.Add(1)
		return ErrFull
	}
}

// Subscribe sets the handler. A second call replaces the first.
func (b *Broker) Subscribe(handle func(broker.Event)) {
	b.mu.Lock()
	b.handle = handle
	b.mu.Unlock()
}

// WatchRoom is a no-op: every event of this instance reaches the handler.
func (b *Broker) WatchRoom(roomID int64, on bool) {}

// WatchUser is a no-op: every event of this instance reaches the handler.
func (b *Broker) WatchUser(userID int64, on bool) {}

// Run delivers queued events until ctx is done or Close is called. It may
// be called once.
func (b *Broker) Run(ctx context.Context) error {
	if !b.started.CompareAndSwap(false, true) {
		return errors.New("memory broker: Run called twice")
	}
	defer close(b.running)
	b.mu.RLock()
	handle := b.handle
	b.mu.RUnlock()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-b.done:
			return nil
		case e := <-b.queue:
			// Close may have raced with the receive: check before handing on
			// so that nothing is delivered after Close returns.
			select {
			case <-b.done:
				return nil
			default:
			}
			if handle != nil {
				handle(e)
			}
		}
	}
}

// Close stops delivery. It waits for an event being handled to finish, so
// the handler is never called after Close returns.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.done)
	b.mu.Unlock()
	if b.started.Load() {
		<-b.running
	}
	return nil
}

// Dropped reports how many events Publish dropped because the queue was
// full (for metrics).
func (b *Broker) Dropped() int64 { return b.dropped.Load() }
