package client

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// skimCreated decodes the few fields of a message.created frame that a
// load generator needs (room, id, seq, creator id, body, created_at) in one
// pass that skips everything else, several times cheaper than
// encoding/json's full decode. ok is false when the frame is not what it
// expects (then the caller decodes it fully): it never guesses.
func skimCreated(raw []byte) (roomID int64, m Message, ok bool) {
	s := skimmer{b: raw}
	ok = s.object(func(key []byte) bool {
		switch string(key) {
		case "room_id":
			var ok bool
			roomID, ok = s.int()
			return ok
		case "message":
			return s.object(func(key []byte) bool {
				var ok bool
				switch string(key) {
				case "id":
					m.ID, ok = s.int()
				case "room_id":
					m.RoomID, ok = s.int()
				case "seq":
					m.Seq, ok = s.int()
				case "body":
					m.Body, ok = s.string()
				case "created_at":
					var t string
					if t, ok = s.string(); ok {
						var err error
						m.CreatedAt, err = time.Parse(time.RFC3339Nano, t)
						ok = err == nil
					}
				case "creator":
					ok = s.object(func(key []byte) bool {
						if string(key) == "id" {
							var ok bool
							m.Creator.ID, ok = s.int()
							return ok
						}
						return !foldsTo(key, "id") && s.skip()
					})
				default:
					ok = !foldsTo(key, "id", "room_id", "seq", "body", "created_at", "creator") && s.skip()
				}
				return ok
			})
		}
		return !foldsTo(key, "room_id", "message") && s.skip()
	})
	s.ws()
	if !ok || s.i != len(raw) || m.ID <= 0 || m.Seq <= 0 || roomID <= 0 {
		return 0, Message{}, false
	}
	return roomID, m, true
}

// foldsTo reports whether encoding/json could match key to one of names
// other than exactly (it folds case, Unicode included): such a frame is left
// to the full decoder.
func foldsTo(key []byte, names ...string) bool {
	for _, c := range key {
		if c >= 0x80 {
			return true
		}
	}
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

// skimmer walks JSON the server wrote. Every method reports false on
// anything unexpected rather than trying to recover.
type skimmer struct {
	b []byte
	i int
}

func (s *skimmer) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// object calls field for each key of an object, with the skimmer at the
// key's value, which field must consume.
func (s *skimmer) object(field func(key []byte) bool) bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return false
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		s.ws()
		tok, ok := s.token()
		if !ok {
			return false
		}
		key := tok[1 : len(tok)-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			return false // an escaped key: leave it to the full decoder
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		if !field(key) {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// token returns the string token (quotes included) at the cursor.
func (s *skimmer) token() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '\\':
			j++ // the escaped byte cannot end the string
		case c == '"':
			s.i = j + 1
			return s.b[start:s.i], true
		case c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// string decodes the string at the cursor.
func (s *skimmer) string() (string, bool) {
	s.ws()
	tok, ok := s.token()
	if !ok {
		return "", false
	}
	inner := tok[1 : len(tok)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	var out string
	return out, json.Unmarshal(tok, &out) == nil
}

// int decodes a non-negative integer at the cursor.
func (s *skimmer) int() (int64, bool) {
	s.ws()
	start := s.i
	var n int64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		if n > (1<<63-1-9)/10 {
			return 0, false
		}
		n = n*10 + int64(s.b[s.i]-'0')
		s.i++
	}
	if s.i == start || s.i-start > 1 && s.b[start] == '0' {
		return 0, false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return n, true
}

// skip passes over one value of any kind.
func (s *skimmer) skip() bool {
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, ok := s.token()
		return ok
	case c == '{':
		return s.object(func([]byte) bool { return s.skip() })
	case c == '[':
		s.i++
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			return true
		}
		for {
			if !s.skip() {
				return false
			}
			s.ws()
			if s.i >= len(s.b) {
				return false
			}
			switch s.b[s.i] {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
	default:
		// A number, true, false or null: up to the next delimiter.
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return s.i > start
			}
			s.i++
		}
		return false
	}
}
