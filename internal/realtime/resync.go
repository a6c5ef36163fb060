package realtime

import (
	"errors"

	"github.com/campfire-go/campfire/internal/chat"
)

// resync recovers from a broker that may have lost events (it reconnected):
// every local room is caught up from the database by seq, and every
// socket's session, user and room memberships are checked again, because
// a revocation (sign-out, deactivation, membership loss) published while
// the broker was away cannot be re-read by seq. One resync runs at a time;
// a request during one runs another after it, since the later reconnect
// may have lost later events.
func (h *Hub) resync() {
	h.resyncMu.Lock()
	if h.resyncing {
		h.resyncAgain = true
		h.resyncMu.Unlock()
		return
	}
	h.resyncing = true
	h.resyncMu.Unlock()
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		for {
			h.resyncOnce()
			h.resyncMu.Lock()
			again := h.resyncAgain && h.ctx.Err() == nil
			h.resyncAgain, h.resyncing = false, again
			h.resyncMu.Unlock()
			if !again {
				return
			}
		}
	}()
}

func (h *Hub) resyncOnce() {
	h.stats.resyncs.Add(1)
	var rooms []*room
	for i := range h.rooms {
		s := &h.rooms[i]
		s.mu.RLock()
		for _, rm := range s.m {
			rooms = append(rooms, rm)
		}
		s.mu.RUnlock()
	}
	for _, rm := range rooms {
		if h.ctx.Err() != nil {
			return
		}
		h.catchUp(rm)
	}

	var conns []*conn
	h.eachConn(func(c *conn) { conns = append(conns, c) })
	for _, c := range conns {
		if h.ctx.Err() != nil {
			return
		}
		h.recheck(c)
	}
}

// recheck closes c if its session or user was revoked and drops the
// subscriptions to rooms its user has left. A failing database is logged
// and changes nothing: sockets are not closed on a guess.
func (h *Hub) recheck(c *conn) {
	ctx, cancel := h.backendCtx()
	defer cancel()
	u, err := h.backend.SessionUser(ctx, c.user.ID, c.session)
	if errors.Is(err, chat.ErrNotFound) {
		c.stop(CloseUnauthorized, "access revoked")
		return
	}
	if err != nil {
		h.log.Warn("re-checking a socket's session (after it opened, or a broker reconnect)", "user_id", c.user.ID, "err", err)
		return
	}
	c.mu.Lock()
	ids := make([]int64, 0, len(c.subs))
	for id := range c.subs {
		ids = append(ids, id)
	}
	c.mu.Unlock()
	for _, id := range ids {
		if _, err := h.backend.RoomForUser(ctx, u, id); errors.Is(err, chat.ErrNotFound) {
			c.leave(id)
		} else if err != nil {
			h.log.Warn("re-checking a socket's membership (after it opened, or a broker reconnect)", "user_id", u.ID, "room_id", id, "err", err)
		}
	}
}
