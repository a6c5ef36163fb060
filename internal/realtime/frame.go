package realtime

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Client → server frame types. "visibility" is an extension to the
// contract: a hidden tab's socket does not count as connected for presence.
const (
	typeSubscribe   = "subscribe"
	typeUnsubscribe = "unsubscribe"
	typePost        = "post"
	typeTyping      = "typing"
	typePing        = "ping"
	typeVisibility  = "visibility"
)

// Error codes of cable error frames (besides the core's own codes, such as
// not_found, which pass through).
const (
	codeBadFrame         = "bad_frame"
	codeUnknownType      = "unknown_type"
	codeFrameTooLarge    = "frame_too_large"
	codeRateLimited      = "rate_limited"
	codeTooManySubs      = "too_many_subscriptions"
	codeNotSubscribed    = "not_subscribed"
	codeInternal         = "internal"
	messageInternal      = "something went wrong; try again"
	codeUnavailable      = "unavailable"
	messageUnavailable   = "the server is busy; try again shortly"
	messageRateLimited   = "slow down: too many frames"
	messageNotSubscribed = "subscribe to the room first"
)

// clientFrame is any client frame; which fields matter depends on Type.
type clientFrame struct {
	Type            string `json:"type"`
	RoomID          int64  `json:"room_id"`
	Since           *int64 `json:"since"`
	Body            string `json:"body"`
	ClientMessageID string `json:"client_message_id"`
	Active          *bool  `json:"active"`
	Visible         *bool  `json:"visible"`
}

// frameError is a client mistake, answered with an error frame.
type frameError struct {
	code, message string
	roomID        int64
	clientID      string
}

func (e *frameError) Error() string { return e.code + ": " + e.message }

// decodeFrame parses and checks one client frame. It never panics on any
// input (see FuzzDecodeFrame).
func decodeFrame(b []byte) (clientFrame, error) {
	var f clientFrame
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return f, &frameError{code: codeBadFrame, message: "a frame is one JSON object"}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return clientFrame{}, &frameError{code: codeBadFrame, message: "malformed JSON frame"}
	}
	bad := func(format string, args ...any) error {
		return &frameError{code: codeBadFrame, message: fmt.Sprintf(format, args...), roomID: max(f.RoomID, 0), clientID: f.ClientMessageID}
	}
	switch f.Type {
	case typeSubscribe, typeUnsubscribe, typePost, typeTyping:
		if f.RoomID <= 0 {
			return f, bad("%s needs a positive room_id", f.Type)
		}
	case typePing, typeVisibility:
	case "":
		return f, bad("frame has no type")
	default:
		return f, &frameError{code: codeUnknownType, message: "unknown frame type " + truncate(f.Type, 40)}
	}
	switch f.Type {
	case typeSubscribe:
		if f.Since != nil && *f.Since < 0 {
			return f, bad("since must not be negative")
		}
	case typeTyping:
		if f.Active == nil {
			return f, bad("typing needs active: true or false")
		}
	case typeVisibility:
		if f.Visible == nil {
			return f, bad("visibility needs visible: true or false")
		}
	}
	return f, nil
}

// truncate shortens s for an error message, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for i := range s {
		if i > n {
			return s[:i] + "…"
		}
	}
	return s
}
