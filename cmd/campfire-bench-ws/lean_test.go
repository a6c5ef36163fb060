package main

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serverFrame is an unmasked final frame, as the server sends.
func serverFrame(op byte, p []byte) []byte {
	f := []byte{0x80 | op}
	switch n := len(p); {
	case n <= 125:
		f = append(f, byte(n))
	case n <= 0xffff:
		f = append(f, 126, byte(n>>8), byte(n))
	default:
		f = binary.BigEndian.AppendUint64(append(f, 127), uint64(n))
	}
	return append(f, p...)
}

// The lean client's parser takes every length encoding, keeps a frame cut
// short for the next read, and refuses masked frames.
func TestFrames(t *testing.T) {
	var stream []byte
	var want []string
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 70000} {
		p := strings.Repeat("x", n)
		want = append(want, p)
		stream = append(stream, serverFrame(opText, []byte(p))...)
	}
	for _, cut := range []int{1, 2, 3, 9, 100, 4096, len(stream)} {
		var got []string
		var pend []byte
		for rest := stream; len(rest) > 0; {
			k := min(cut, len(rest))
			pend = append(pend, rest[:k]...)
			rest = rest[k:]
			left, err := frames(pend, func(op byte, p []byte) bool {
				got = append(got, string(p))
				return true
			})
			if err != nil {
				t.Fatalf("cut %d: %v", cut, err)
			}
			pend = append([]byte(nil), left...)
		}
		if len(got) != len(want) || len(pend) != 0 {
			t.Fatalf("cut %d: %d frames (%d bytes left), want %d", cut, len(got), len(pend), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("cut %d: frame %d has %d bytes, want %d", cut, i, len(got[i]), len(want[i]))
			}
		}
	}
	if _, err := frames(maskedText([]byte("hi")), func(byte, []byte) bool { return true }); err == nil {
		t.Error("a masked frame was accepted")
	}
}

// Client frames are masked and unmask to the payload.
func TestMaskedFrame(t *testing.T) {
	p := []byte(strings.Repeat("subscribe ", 20))
	f := maskedText(p)
	if f[0] != 0x81 || f[1] != 0x80|126 || int(binary.BigEndian.Uint16(f[2:])) != len(p) {
		t.Fatalf("header % x", f[:4])
	}
	key, body := f[4:8], f[8:]
	for i := range body {
		body[i] ^= key[i&3]
	}
	if !bytes.Equal(body, p) {
		t.Fatal("payload does not unmask")
	}
}

// record checks seq order and reads the posting time from a bench body.
func TestRecord(t *testing.T) {
	r := &subscriber{lastSeq: 4}
	sent := time.Now().Add(-5 * time.Millisecond)
	frame := func(seq int, body string) []byte {
		return []byte(`{"type":"message.created","room_id":1,"message":{"id":9,"room_id":1,"seq":` +
			strconv.Itoa(seq) + `,"body":"` + body + `"}}`)
	}
	r.record(frame(5, "bench "+strconv.FormatInt(sent.UnixNano(), 10)+" 1"), time.Now())
	r.record(frame(6, "someone else"), time.Now())
	r.record(frame(8, "bench "+strconv.FormatInt(sent.UnixNano(), 10)+" 2"), time.Now())
	r.record([]byte(`{"type":"presence","room_id":1,"user_ids":[1]}`), time.Now())
	if r.got != 2 || r.gaps != 1 || r.dups != 0 || r.lastSeq != 8 {
		t.Fatalf("got=%d gaps=%d dups=%d last=%d, want 2 1 0 8", r.got, r.gaps, r.dups, r.lastSeq)
	}
	if r.lat[0] < 5*time.Millisecond || r.lat[0] > time.Second {
		t.Fatalf("latency %v", r.lat[0])
	}
}
