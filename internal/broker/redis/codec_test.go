package redis

import (
	"fmt"
	"testing"

	"github.com/campfire-go/campfire/internal/broker"
)

func typeName(v any) string { return fmt.Sprintf("%T", v) }

func TestCodecRoundTrip(t *testing.T) {
	n := nonce{1, 2, 3, 4, 5, 6, 7, 8}
	for _, e := range []broker.Event{
		{},
		{Type: "message.created", RoomID: 7, Seq: 1 << 40, Frame: []byte(`{"a":"\"b\""}`)},
		{Type: "room.unread", RoomID: -1, UserIDs: []int64{3, -4, 1 << 62}, Frame: []byte("x")},
		{Type: broker.ControlCloseSession, UserIDs: []int64{3}, Sessions: []string{"", "abc"}},
		{Type: "room.created", AllUsers: true},
	} {
		p := string(encode(nil, n, e))
		if len(p) > encodedLen(e) {
			t.Errorf("encoded %d bytes, bound %d", len(p), encodedLen(e))
		}
		if o, ok := origin(p); !ok || o != n {
			t.Errorf("origin = %v, %v", o, ok)
		}
		got, err := decode(p)
		if err != nil {
			t.Fatalf("decode(%+v): %v", e, err)
		}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", e) {
			t.Errorf("got %+v, want %+v", got, e)
		}
	}
}

// FuzzDecode: no payload makes decode panic or allocate past its size.
func FuzzDecode(f *testing.F) {
	n := nonce{}
	f.Add(string(encode(nil, n, broker.Event{Type: "t", RoomID: 1, UserIDs: []int64{1, 2}, Sessions: []string{"s"}, Frame: []byte("{}")})))
	f.Add("\x01")
	f.Add("\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01")
	f.Fuzz(func(t *testing.T, p string) {
		e, err := decode(p)
		if err != nil {
			return
		}
		if len(e.UserIDs) > len(p) || len(e.Sessions) > len(p) {
			t.Fatalf("decoded %d users and %d sessions from %d bytes", len(e.UserIDs), len(e.Sessions), len(p))
		}
		again, err := decode(string(encode(nil, n, e)))
		if err != nil || fmt.Sprintf("%+v", again) != fmt.Sprintf("%+v", e) {
			t.Fatalf("re-encoding %+v gave %+v, %v", e, again, err)
		}
	})
}
