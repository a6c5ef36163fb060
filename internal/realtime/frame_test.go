package realtime

import (
	"encoding/json"
	"testing"
)

func TestDecodeFrame(t *testing.T) {
	for _, tc := range []struct {
		in   string
		typ  string
		code string
	}{
		{`{"type":"subscribe","room_id":3,"since":0}`, typeSubscribe, ""},
		{`{"type":"subscribe","room_id":3}`, typeSubscribe, ""},
		{` {"type":"ping"} `, typePing, ""},
		{`{"type":"post","room_id":1,"body":"hi","client_message_id":"x"}`, typePost, ""},
		{`{"type":"typing","room_id":1,"active":false}`, typeTyping, ""},
		{`{"type":"visibility","visible":false}`, typeVisibility, ""},
		{`{"type":"visibility"}`, "", codeBadFrame},
		{`{"type":"subscribe","room_id":"3"}`, "", codeBadFrame},
		{`{"type":"subscribe"}`, "", codeBadFrame},
		{`{"type":"nope"}`, "", codeUnknownType},
		{`"ping"`, "", codeBadFrame},
		{``, "", codeBadFrame},
		{`{"type":"ping"`, "", codeBadFrame},
	} {
		f, err := decodeFrame([]byte(tc.in))
		if tc.code != "" {
			fe, ok := err.(*frameError)
			if !ok || fe.code != tc.code {
				t.Errorf("%s: err %v, want %s", tc.in, err, tc.code)
			}
			continue
		}
		if err != nil || f.Type != tc.typ {
			t.Errorf("%s: %+v %v", tc.in, f, err)
		}
	}
}

// FuzzDecodeFrame: no input panics, every rejection is a frameError with a
// code and a message, and every accepted frame is one the handlers can act
// on without further checks.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"subscribe","room_id":3,"since":10}`,
		`{"type":"unsubscribe","room_id":3}`,
		`{"type":"post","room_id":1,"body":"hi","client_message_id":"x"}`,
		`{"type":"typing","room_id":1,"active":true}`,
		`{"type":"ping"}`,
		`{"type":"visibility","visible":true}`,
		`{"type":"subscribe","room_id":-1}`,
		`{"type":"\u00ff","room_id":1e400}`,
		`[]`, `null`, `{}`, `{"type":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fr, err := decodeFrame(in)
		if err != nil {
			fe, ok := err.(*frameError)
			if !ok || fe.code == "" || fe.message == "" {
				t.Fatalf("bad rejection %#v", err)
			}
			if _, err := json.Marshal(fe.message); err != nil {
				t.Fatal(err)
			}
			return
		}
		switch fr.Type {
		case typeSubscribe, typeUnsubscribe, typePost:
			if fr.RoomID <= 0 || (fr.Since != nil && *fr.Since < 0) {
				t.Fatalf("accepted %+v", fr)
			}
		case typeTyping:
			if fr.RoomID <= 0 || fr.Active == nil {
				t.Fatalf("accepted %+v", fr)
			}
		case typeVisibility:
			if fr.Visible == nil {
				t.Fatalf("accepted %+v", fr)
			}
		case typePing:
		default:
			t.Fatalf("accepted unknown type %q", fr.Type)
		}
	})
}
