package presence

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Memory is the in-process Presence of a single instance. It starts empty,
// which is how presence is reset on start, and holds one small record per
// (room, socket), so it is bounded by sockets × their subscriptions. Safe
// for concurrent use.
type Memory struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	rooms map[int64]map[int64]map[string]time.Time // room → user → conn → last heartbeat
}

var _ Presence = (*Memory)(nil)

// NewMemory returns an empty Memory whose records expire after ttl
// (DefaultTTL when ttl <= 0).
func NewMemory(ttl time.Duration) *Memory { return NewMemoryClock(ttl, time.Now) }

// NewMemoryClock is NewMemory reading the time from now (tests pass a fake
// clock).
func NewMemoryClock(ttl time.Duration, now func() time.Time) *Memory {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Memory{ttl: ttl, now: now, rooms: make(map[int64]map[int64]map[string]time.Time)}
}

// fresh reports whether any of conns heartbeated within the TTL of now.
func (p *Memory) fresh(conns map[string]time.Time, now time.Time) bool {
	for _, at := range conns {
		if now.Sub(at) < p.ttl {
			return true
		}
	}
	return false
}

func (p *Memory) Join(ctx context.Context, roomID, userID int64, conn string) (bool, error) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	users := p.rooms[roomID]
	if users == nil {
		users = make(map[int64]map[string]time.Time)
		p.rooms[roomID] = users
	}
	conns := users[userID]
	if conns == nil {
		conns = make(map[string]time.Time, 1)
		users[userID] = conns
	}
	was := p.fresh(conns, now)
	conns[conn] = now
	return !was, nil
}

func (p *Memory) Leave(ctx context.Context, roomID, userID int64, conn string) (bool, error) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	conns := p.rooms[roomID][userID]
	if conns == nil {
		return false, nil
	}
	was := p.fresh(conns, now)
	delete(conns, conn)
	if len(conns) == 0 {
		p.drop(roomID, userID)
	}
	return was && !p.fresh(conns, now), nil
}

// drop deletes a user's empty record set and the room's when it empties.
func (p *Memory) drop(roomID, userID int64) {
	users := p.rooms[roomID]
	delete(users, userID)
	if len(users) == 0 {
		delete(p.rooms, roomID)
	}
}

func (p *Memory) Online(ctx context.Context, roomID int64) ([]int64, error) {
	now := p.now()
	p.mu.Lock()
	users := p.rooms[roomID]
	ids := make([]int64, 0, len(users))
	for id, conns := range users {
		if p.fresh(conns, now) {
			ids = append(ids, id)
		}
	}
	p.mu.Unlock()
	slices.Sort(ids)
	return ids, nil
}

func (p *Memory) Sweep(ctx context.Context) ([]int64, error) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	var changed []int64
	for roomID, users := range p.rooms {
		gone := false
		for userID, conns := range users {
			for c, at := range conns {
				if now.Sub(at) >= p.ttl {
					delete(conns, c)
				}
			}
			if len(conns) == 0 {
				p.drop(roomID, userID)
				gone = true
			}
		}
		if gone {
			changed = append(changed, roomID)
		}
	}
	slices.Sort(changed)
	return changed, nil
}
