package client

import (
	"encoding/json"
	"testing"
)

const typical = `{"type":"message.created","room_id":7,"message":{"id":12345,"room_id":7,"seq":345,"client_message_id":"0f8e","body":"Deploying **v2.4** to \"prod\" \u00e9 ✓","body_html":"<p>x</p>","creator":{"id":3,"name":"Bea","bio":"","role":"member","avatar_url":"/a","created_at":"2026-11-27T00:34:51.444Z"},"mentions":[1,2],"boosts":[{"id":1,"message_id":12345,"content":"🔥","booster":{"id":4,"name":"C"},"created_at":"2026-11-27T00:34:51.444Z"}],"created_at":"2026-11-27T00:34:51.483Z","updated_at":"2026-11-27T00:34:51.483Z","edited_at":null}}`

// full is what the full decoder makes of a frame, reduced to what skim
// keeps.
func full(raw []byte) (int64, Message, bool) {
	var f struct {
		RoomID  int64   `json:"room_id"`
		Message Message `json:"message"`
	}
	if json.Unmarshal(raw, &f) != nil {
		return 0, Message{}, false
	}
	m := f.Message
	return f.RoomID, Message{ID: m.ID, RoomID: m.RoomID, Seq: m.Seq, Body: m.Body, CreatedAt: m.CreatedAt,
		Creator: User{ID: m.Creator.ID}}, true
}

func same(a, b Message) bool {
	return a.ID == b.ID && a.RoomID == b.RoomID && a.Seq == b.Seq && a.Body == b.Body &&
		a.CreatedAt.Equal(b.CreatedAt) && a.Creator.ID == b.Creator.ID
}

func TestSkimCreated(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		ok        bool
	}{
		{"typical", typical, true},
		{"spaces and order", ` { "message" : { "seq" : 2 , "body" : "" , "id" : 9 } , "type" : "message.created" , "room_id" : 1 } `, true},
		{"invalid utf-8 body", "{\"room_id\":1,\"message\":{\"id\":1,\"seq\":1,\"body\":\"a\xffb\"}}", true},
		{"no seq", `{"room_id":1,"message":{"id":1,"body":"x"}}`, false},
		{"float seq", `{"room_id":1,"message":{"id":1,"seq":1.5}}`, false},
		{"negative", `{"room_id":1,"message":{"id":1,"seq":-1}}`, false},
		{"escaped key", `{"room_id":1,"message":{"id":1,"s\u0065q":1}}`, false},
		{"trailing data", `{"room_id":1,"message":{"id":1,"seq":1}} x`, false},
		{"truncated", typical[:200], false},
		{"bad time", `{"room_id":1,"message":{"id":1,"seq":1,"created_at":"yesterday"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			room, m, ok := skimCreated([]byte(tc.raw))
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			froom, fm, fok := full([]byte(tc.raw))
			if !fok || room != froom || !same(m, fm) {
				t.Errorf("skim %d %+v\nfull %d %+v", room, m, froom, fm)
			}
		})
	}
}

// Whatever skim accepts, the full decoder reads the same way.
func FuzzSkimCreated(f *testing.F) {
	f.Add(typical)
	f.Add(`{"room_id":1,"message":{"id":1,"seq":1,"body":"\ud83d\ude00 \n"}}`)
	f.Fuzz(func(t *testing.T, raw string) {
		room, m, ok := skimCreated([]byte(raw))
		if !ok {
			return
		}
		froom, fm, fok := full([]byte(raw))
		if !fok {
			return // skim trusts the parts it skips; the full decoder does not
		}
		if room != froom || !same(m, fm) {
			t.Errorf("%q:\nskim %d %+v\nfull %d %+v", raw, room, m, froom, fm)
		}
	})
}

func BenchmarkSkimCreated(b *testing.B) {
	raw := []byte(typical)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := skimCreated(raw); !ok {
			b.Fatal("not skimmed")
		}
	}
}

func BenchmarkFullCreated(b *testing.B) {
	raw := []byte(typical)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := full(raw); !ok {
			b.Fatal("not decoded")
		}
	}
}
