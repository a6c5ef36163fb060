package push

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Payload is what the service worker receives and shows. Its JSON is the
// contract with sw.js.
type Payload struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	// Path is the page to open on click: the message's permalink.
	Path string `json:"path"`
	// Badge is the recipient's unread room count (the app badge).
	Badge     int   `json:"badge"`
	RoomID    int64 `json:"room_id"`
	MessageID int64 `json:"message_id"`
}

// MaxPayload caps a payload's JSON: push services take about 4 KB of
// encrypted body, and the record adds 103 bytes.
const MaxPayload = 3072

// Encode returns the payload's JSON, the body (then the title) cut on a
// rune boundary with an ellipsis so the whole fits in limit bytes.
func (p Payload) Encode(limit int) []byte {
	p.Title = oneLine(p.Title)
	p.Body = oneLine(p.Body)
	b, _ := json.Marshal(p)
	if len(b) <= limit {
		return b
	}
	// Escapes make JSON longer than the text, so search for the longest
	// cut of the body (then the title) that fits.
	for _, field := range []*string{&p.Body, &p.Title} {
		full := *field
		lo, hi := 0, len(full) // lo fits (or is 0), hi does not
		for lo+1 < hi {
			mid := (lo + hi) / 2
			*field = cut(full, mid)
			if b, _ = json.Marshal(p); len(b) <= limit {
				lo = mid
			} else {
				hi = mid
			}
		}
		*field = cut(full, lo)
		if b, _ = json.Marshal(p); len(b) <= limit {
			return b
		}
	}
	return b
}

// cut shortens s to at most n bytes plus an ellipsis, on a rune boundary.
func cut(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	if n <= 0 {
		return ""
	}
	return strings.TrimRightFunc(s[:n], unicode.IsSpace) + "…"
}

// oneLine folds whitespace runs (newlines of a pasted block) into single
// spaces, as a notification shows one paragraph.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
