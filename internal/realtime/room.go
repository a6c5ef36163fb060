package realtime

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/campfire-go/campfire/internal/wire"
)

// room is one room's local subscribers and its seq order.
type room struct {
	id int64

	mu   sync.Mutex // orders every delivery to the room
	subs []*subscription
	dead bool // removed from its shard; a new room replaces it

	// lastSeq is the last message.created seq delivered. pending holds
	// events that arrived past a gap (seq > lastSeq+1), sorted by seq;
	// fillTo is the highest seq seen, which a gap fill reads up to even
	// when pending had to drop events to stay bounded.
	lastSeq  int64
	pending  []seqFrame
	fillTo   int64
	timer    *time.Timer
	doneFill func() // settles the Shutdown accounting of a stopped timer
	filling  bool
}

type seqFrame struct {
	seq   int64
	frame []byte
}

// subscription is one socket's subscription to one room.
type subscription struct {
	c   *conn
	rm  *room
	idx int // position in rm.subs, guarded by rm.mu

	mu sync.Mutex
	// lastSeq is the last message.created seq queued to the socket: a seq
	// is never sent twice.
	lastSeq int64
	// While replaying, live events wait in buffer (bounded by half the
	// queue, the other half being the replay's) and are released,
	// de-duplicated, when the replay ends.
	replaying bool
	buffer    []seqFrame
	gone      bool
}

// deliver queues frame to every subscriber. rm.mu is held.
func (rm *room) deliver(frame []byte, seq int64) {
	if seq > 0 && len(rm.subs) > 0 { // a message event: one add per event, not per socket
		rm.subs[0].c.hub.stats.deliveries.Add(uint64(len(rm.subs)))
	}
	for _, s := range rm.subs {
		s.deliver(frame, seq)
	}
}

// lockAndDeliver is deliver for callers that do not hold rm.mu (events
// without a seq).
func (rm *room) lockAndDeliver(frame []byte, seq int64) {
	rm.mu.Lock()
	if !rm.dead {
		rm.deliver(frame, seq)
	}
	rm.mu.Unlock()
}

func (s *subscription) deliver(frame []byte, seq int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return
	}
	if s.replaying {
		if len(s.buffer) >= max(s.c.hub.cfg.QueueSize/2, 1) {
			s.c.slow()
			return
		}
		s.buffer = append(s.buffer, seqFrame{seq, frame})
		return
	}
	if seq > 0 {
		if seq <= s.lastSeq {
			return
		}
		s.lastSeq = seq
	}
	s.c.push(frame)
}

// sequence delivers message.created events of rm in seq order.
func (h *Hub) sequence(rm *room, seq int64, frame []byte) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.dead || seq <= rm.lastSeq {
		return // duplicate, or already filled from the database
	}
	if seq == rm.lastSeq+1 {
		rm.lastSeq = seq
		rm.deliver(frame, seq)
		rm.drainPending()
		return
	}
	rm.fillTo = max(rm.fillTo, seq)
	i, found := slices.BinarySearchFunc(rm.pending, seq, func(p seqFrame, s int64) int { return cmp.Compare(p.seq, s) })
	if !found && len(rm.pending) < h.cfg.MaxPending {
		rm.pending = slices.Insert(rm.pending, i, seqFrame{seq, frame})
	}
	if rm.filling || rm.timer != nil {
		return
	}
	wait := h.cfg.GapWait
	if len(rm.pending) >= h.cfg.MaxPending {
		wait = 0
	}
	h.armFill(rm, wait)
}

// drainPending delivers pending events that now follow lastSeq. rm.mu is
// held.
func (rm *room) drainPending() {
	n := 0
	for _, p := range rm.pending {
		if p.seq <= rm.lastSeq {
			n++
			continue
		}
		if p.seq != rm.lastSeq+1 {
			break
		}
		rm.lastSeq = p.seq
		rm.deliver(p.frame, p.seq)
		n++
	}
	rm.pending = slices.Delete(rm.pending, 0, n)
	if len(rm.pending) == 0 && rm.fillTo <= rm.lastSeq && rm.timer != nil {
		if rm.timer.Stop() {
			// The fill will not run; settle its accounting.
			rm.timer = nil
			rm.doneFill()
		}
	}
}

// armFill schedules a gap fill. rm.mu is held.
func (h *Hub) armFill(rm *room, wait time.Duration) {
	h.bg.Add(1)
	rm.doneFill = h.bg.Done
	rm.timer = time.AfterFunc(wait, func() {
		defer h.bg.Done()
		h.fillGap(rm)
	})
}

// fillGap reads the seqs rm is missing from the database and delivers
// them merged with the pending events, in order. A seq absent from the
// database below a seq that was published belongs to a deleted message:
// seqs are assigned in commit order, so everything below a committed seq
// is committed too.
func (h *Hub) fillGap(rm *room) {
	rm.mu.Lock()
	rm.timer = nil
	if rm.dead || rm.fillTo <= rm.lastSeq {
		rm.mu.Unlock()
		return
	}
	h.fill(rm, rm.fillTo)
}

// catchUp delivers every message of rm committed past what it delivered,
// without waiting for a later event to reveal the gap: after a broker
// reconnect, whatever was published meanwhile may never arrive.
func (h *Hub) catchUp(rm *room) {
	rm.mu.Lock()
	if rm.dead {
		rm.mu.Unlock()
		return
	}
	h.fill(rm, 0)
}

// fill reads rm's messages past lastSeq up to seq to (to <= 0: all that
// are committed) and delivers them merged with the pending events, in
// order. rm.mu is held on entry and released while reading.
func (h *Hub) fill(rm *room, to int64) {
	rm.filling = true
	from := rm.lastSeq
	rm.mu.Unlock()

	var fetched []seqFrame
	err := h.readMessages(rm.id, from, to, func(seq int64, frame []byte) bool {
		fetched = append(fetched, seqFrame{seq, frame})
		return true
	})

	rm.mu.Lock()
	defer rm.mu.Unlock()
	rm.filling = false
	if rm.dead {
		return
	}
	h.stats.fills.Add(1)
	if err != nil {
		// The database is failing; deliver what arrived rather than hold
		// the room forever. Sockets that missed a seq recover it when they
		// reconnect.
		h.log.Error("filling a seq gap", "room_id", rm.id, "from", from, "to", to, "err", err)
	}
	merged := append(fetched, rm.pending...)
	slices.SortStableFunc(merged, func(a, b seqFrame) int { return cmp.Compare(a.seq, b.seq) })
	bound := max(to, from)
	if len(fetched) > 0 {
		bound = max(bound, fetched[len(fetched)-1].seq)
	}
	var rest []seqFrame
	for _, p := range merged {
		switch {
		case p.seq <= rm.lastSeq:
		case p.seq <= bound:
			rm.lastSeq = p.seq
			rm.deliver(p.frame, p.seq)
		default:
			rest = append(rest, p)
		}
	}
	rm.lastSeq = max(rm.lastSeq, bound)
	rm.pending = slices.CompactFunc(rest, func(a, b seqFrame) bool { return a.seq == b.seq })
	rm.drainPending()
	if rm.fillTo > rm.lastSeq && rm.timer == nil {
		h.armFill(rm, h.cfg.GapWait)
	}
}

// readMessages pages through the room's messages with from < seq, until a
// short page or past to (to <= 0: until a short page), calling send with
// each encoded message.created frame; send returns false to stop.
func (h *Hub) readMessages(roomID, from, to int64, send func(seq int64, frame []byte) bool) error {
	for {
		ctx, cancel := h.backendCtx()
		msgs, err := h.backend.MessagesAfter(ctx, roomID, from, h.cfg.ReplayPage)
		cancel()
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Seq <= from {
				continue // a backend that ignores afterSeq must not loop us
			}
			from = m.Seq
			if !send(m.Seq, wire.MessageFrame(wire.TypeMessageCreated, wire.NewMessage(m))) {
				return nil
			}
		}
		if len(msgs) < h.cfg.ReplayPage || (to > 0 && from >= to) {
			return nil
		}
	}
}

// addSub registers s in its room, creating the room with lastSeq when it
// has no local subscriber yet, and queues first (the subscribed frame)
// before any event of the room can reach s. It returns the room's last
// delivered seq.
func (h *Hub) addSub(s *subscription, roomID, lastSeq int64, first []byte) int64 {
	sh := &h.rooms[uint64(roomID)%shards]
	sh.mu.Lock()
	rm := sh.m[roomID]
	created := rm == nil
	if created {
		rm = &room{id: roomID, lastSeq: lastSeq}
		sh.m[roomID] = rm
	}
	rm.mu.Lock()
	sh.mu.Unlock()
	s.rm = rm
	s.idx = len(rm.subs)
	rm.subs = append(rm.subs, s)
	s.c.push(first)
	delivered := rm.lastSeq
	rm.mu.Unlock()
	h.stats.subs.Add(1)
	if created {
		h.broker.WatchRoom(roomID, true)
	}
	return delivered
}

// removeSub takes s out of its room, dropping the room when it empties.
func (h *Hub) removeSub(s *subscription) {
	s.mu.Lock()
	s.gone = true
	s.buffer = nil
	s.mu.Unlock()
	rm := s.rm
	sh := &h.rooms[uint64(rm.id)%shards]
	sh.mu.Lock()
	rm.mu.Lock()
	last := len(rm.subs) - 1
	moved := rm.subs[last]
	rm.subs[s.idx] = moved
	moved.idx = s.idx
	rm.subs[last] = nil
	rm.subs = rm.subs[:last]
	empty := len(rm.subs) == 0
	if empty {
		rm.dead = true
		delete(sh.m, rm.id)
		if rm.timer != nil && rm.timer.Stop() {
			rm.timer = nil
			rm.doneFill()
		}
	}
	rm.mu.Unlock()
	sh.mu.Unlock()
	h.stats.subs.Add(-1)
	if empty {
		h.broker.WatchRoom(rm.id, false)
	}
}
