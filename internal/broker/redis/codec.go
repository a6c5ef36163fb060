package redis

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/campfire-go/campfire/internal/broker"
)

// The wire format of one event on a Redis channel, version 1:
//
//	byte     version (1)
//	[8]byte  origin: the publishing broker's nonce (echo suppression)
//	byte     flags (bit 0: AllUsers)
//	uvarint  len(Type), Type
//	varint   RoomID
//	varint   Seq
//	uvarint  len(UserIDs), each a varint
//	uvarint  len(Sessions), each a uvarint length and the bytes
//	...      Frame: the rest of the payload, unchanged
//
// Binary rather than JSON because Frame is already JSON: embedding it as a
// string would escape every quote, and as raw bytes it costs no copy to
// encode and one to decode. A payload of another version is dropped (and
// logged), so a rolling upgrade that changes the format loses events only
// between instances of different versions, which resync recovers.
const (
	codecVersion = 1
	nonceLen     = 8
	flagAllUsers = 1 << 0
)

type nonce [nonceLen]byte

var errMalformed = errors.New("malformed event")

// encode appends e, published by origin, to buf.
func encode(buf []byte, origin nonce, e broker.Event) []byte {
	buf = append(buf, codecVersion)
	buf = append(buf, origin[:]...)
	var flags byte
	if e.AllUsers {
		flags |= flagAllUsers
	}
	buf = append(buf, flags)
	buf = binary.AppendUvarint(buf, uint64(len(e.Type)))
	buf = append(buf, e.Type...)
	buf = binary.AppendVarint(buf, e.RoomID)
	buf = binary.AppendVarint(buf, e.Seq)
	buf = binary.AppendUvarint(buf, uint64(len(e.UserIDs)))
	for _, id := range e.UserIDs {
		buf = binary.AppendVarint(buf, id)
	}
	buf = binary.AppendUvarint(buf, uint64(len(e.Sessions)))
	for _, s := range e.Sessions {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	return append(buf, e.Frame...)
}

// encodedLen bounds the size of e's encoding, so encode allocates once.
func encodedLen(e broker.Event) int {
	n := 1 + nonceLen + 1 + binary.MaxVarintLen64*(4+len(e.UserIDs)+len(e.Sessions)) + len(e.Type) + len(e.Frame)
	for _, s := range e.Sessions {
		n += len(s)
	}
	return n
}

// origin returns the nonce of a payload without decoding the rest, so a
// broker skips its own echo cheaply.
func origin(p string) (nonce, bool) {
	var n nonce
	if len(p) < 1+nonceLen || p[0] != codecVersion {
		return n, false
	}
	copy(n[:], p[1:1+nonceLen])
	return n, true
}

// decoder reads a payload; the first error sticks.
type decoder struct {
	p   string
	err error
}

// decode parses a payload. It never panics: every length is checked
// against what is left, so a hostile count cannot make it allocate more
// than the payload's size.
func decode(p string) (broker.Event, error) {
	e, frame, err := decodeHeader(p)
	if err == nil && frame != "" {
		e.Frame = []byte(frame)
	}
	return e, err
}

// decodeHeader parses everything but the frame, which it returns as is, so
// that an event nobody here watches costs no copy.
func decodeHeader(p string) (e broker.Event, frame string, err error) {
	if len(p) < 1+nonceLen+1 {
		return e, "", fmt.Errorf("%w: %d bytes", errMalformed, len(p))
	}
	if p[0] != codecVersion {
		return e, "", fmt.Errorf("%w: version %d", errMalformed, p[0])
	}
	flags := p[1+nonceLen]
	d := decoder{p: p[1+nonceLen+1:]}
	e.AllUsers = flags&flagAllUsers != 0
	e.Type = d.str()
	e.RoomID = d.varint()
	e.Seq = d.varint()
	if n := d.count(); n > 0 {
		e.UserIDs = make([]int64, n)
		for i := range e.UserIDs {
			e.UserIDs[i] = d.varint()
		}
	}
	if n := d.count(); n > 0 {
		e.Sessions = make([]string, n)
		for i := range e.Sessions {
			e.Sessions[i] = d.str()
		}
	}
	if d.err != nil {
		return broker.Event{}, "", d.err
	}
	return e, d.p, nil
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	var v uint64
	for i := 0; i < len(d.p) && i < binary.MaxVarintLen64; i++ {
		b := d.p[i]
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				break // overflows 64 bits
			}
			d.p = d.p[i+1:]
			return v
		}
	}
	d.err = fmt.Errorf("%w: bad varint", errMalformed)
	return 0
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

// count reads a list length; each element takes at least one byte, so a
// count above what is left is malformed.
func (d *decoder) count() int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.p)) {
		d.err = fmt.Errorf("%w: count %d past the end", errMalformed, n)
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.p)) {
		d.err = fmt.Errorf("%w: string of %d bytes past the end", errMalformed, n)
		return ""
	}
	s := d.p[:n]
	d.p = d.p[n:]
	return s
}
