package realtime

import (
	"context"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// Typing indicators live on the instance of the typing socket: it fans
// start and stop out through the broker and expires a start that was not
// refreshed within TypingTTL. A start is re-published at most every half
// TTL while it is refreshed, so sockets that subscribe later learn of it
// and the fan-out stays throttled however fast a client repeats itself.

type typingKey struct{ roomID, userID int64 }

type typingState struct {
	c       *conn // the socket that typed last
	expires time.Time
	sent    time.Time // last published start
}

func (h *Hub) setTyping(roomID int64, c *conn, active bool) {
	now := time.Now()
	k := typingKey{roomID, c.user.ID}
	publish := false
	h.typingMu.Lock()
	st := h.typing[k]
	switch {
	case active && st == nil:
		h.typing[k] = &typingState{c: c, expires: now.Add(h.cfg.TypingTTL), sent: now}
		publish = true
	case active:
		st.c, st.expires = c, now.Add(h.cfg.TypingTTL)
		if now.Sub(st.sent) >= h.cfg.TypingTTL/2 {
			st.sent = now
			publish = true
		}
	case st != nil:
		delete(h.typing, k)
		publish = true
	}
	h.typingMu.Unlock()
	if publish {
		h.publishTyping(roomID, c.user, active)
	}
}

// stopTyping ends c's indicator in roomID (unsubscribed or closed).
func (h *Hub) stopTyping(roomID int64, c *conn) {
	k := typingKey{roomID, c.user.ID}
	h.typingMu.Lock()
	st := h.typing[k]
	mine := st != nil && st.c == c
	if mine {
		delete(h.typing, k)
	}
	h.typingMu.Unlock()
	if mine {
		h.publishTyping(roomID, c.user, false)
	}
}

func (h *Hub) expireTyping(now time.Time) {
	type expired struct {
		roomID int64
		user   chat.User
	}
	var gone []expired
	h.typingMu.Lock()
	for k, st := range h.typing {
		if !now.Before(st.expires) {
			delete(h.typing, k)
			gone = append(gone, expired{k.roomID, st.c.user})
		}
	}
	h.typingMu.Unlock()
	for _, e := range gone {
		h.publishTyping(e.roomID, e.user, false)
	}
}

func (h *Hub) publishTyping(roomID int64, u chat.User, active bool) {
	h.publish(broker.Event{
		Type:   wire.TypeTyping,
		RoomID: roomID,
		Frame:  wire.TypingFrame(roomID, wire.NewUser(u, false), active),
	})
}

// markPresence notes that a room's online set changed; flushPresence
// publishes it with the next tick, once however many joins came between.
func (h *Hub) markPresence(roomID int64) {
	h.presenceMu.Lock()
	h.presenceDirty[roomID] = struct{}{}
	h.presenceMu.Unlock()
}

func (h *Hub) flushPresence(ctx context.Context) {
	h.presenceMu.Lock()
	if len(h.presenceDirty) == 0 {
		h.presenceMu.Unlock()
		return
	}
	dirty := h.presenceDirty
	h.presenceDirty = make(map[int64]struct{})
	h.presenceMu.Unlock()
	for roomID := range dirty {
		online, err := h.presence.Online(ctx, roomID)
		if err != nil {
			h.log.Warn("presence online", "room_id", roomID, "err", err)
			continue
		}
		h.publish(broker.Event{Type: wire.TypePresence, RoomID: roomID, Frame: wire.PresenceFrame(roomID, online)})
	}
}
