package main

import "math/bits"

// seqCheck verifies what one socket got of one room: every seq after the
// one it subscribed at, once each. Seqs are kept in a bitmap relative to
// the start, so checking costs a bit per message and no search; the
// verdict compares it with the room's final seq, so lost and duplicated
// messages are counted, never estimated from totals.
//
// It is not safe for concurrent use: one socket's reader writes it, and
// it is read after that reader has stopped.
type seqCheck struct {
	start   int64 // the room's seq when the subscription took effect
	started bool
	seen    []uint64 // bit i: seq start+1+i arrived
	max     int64    // highest seq seen
	got     int64    // distinct seqs above start
	dups    int64    // seqs that arrived again
	ooo     int64    // seqs that arrived below one already seen
	stale   int64    // seqs at or below start, or before the start was known
}

// begin sets the seq the subscription starts after; later calls (a
// resubscription after a reconnect) change nothing.
func (c *seqCheck) begin(start int64) {
	if c.started {
		return
	}
	c.start, c.started, c.max = start, true, start
}

// add records seq and reports whether it was new.
func (c *seqCheck) add(seq int64) bool {
	if !c.started || seq <= c.start {
		c.stale++
		return false
	}
	i := seq - c.start - 1
	w := int(i / 64)
	if w >= len(c.seen) {
		c.seen = append(c.seen, make([]uint64, w+1-len(c.seen))...)
	}
	bit := uint64(1) << (i % 64)
	if c.seen[w]&bit != 0 {
		c.dups++
		return false
	}
	c.seen[w] |= bit
	c.got++
	if seq < c.max {
		c.ooo++
	}
	c.max = max(c.max, seq)
	return true
}

// verdict compares what arrived with a room whose last seq is final:
// expected is every seq in (start, final]; lost are those that did not
// arrive; extra arrived above final (posted by someone else, or a seq the
// room never had).
func (c *seqCheck) verdict(final int64) (expected, lost, extra int64) {
	if !c.started {
		return 0, 0, 0
	}
	expected = max(final-c.start, 0)
	var in int64
	for w, word := range c.seen {
		lo := int64(w) * 64
		if lo >= expected {
			break
		}
		if hi := lo + 64; hi > expected {
			word &= uint64(1)<<(expected-lo) - 1
		}
		in += int64(bits.OnesCount64(word))
	}
	return expected, expected - in, c.got - in
}
