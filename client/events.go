package client

import (
	"encoding/json"
	"time"
)

// Event is something the cable tells its user: one of the types below.
// Switch on its dynamic type; types this package does not know arrive as
// Unknown.
type Event interface{ event() }

// MessageCreated is a new message. Per room, a Cable delivers these in seq
// order with no duplicates, across reconnects (see Cable).
type MessageCreated struct {
	RoomID  int64
	Message Message
}

// MessageUpdated is an edited (or boosted) message.
type MessageUpdated struct {
	RoomID  int64
	Message Message
}

// MessageDeleted is a deleted message; its seq stays unused.
type MessageDeleted struct{ RoomID, MessageID int64 }

// BoostCreated is a new boost on a message.
type BoostCreated struct {
	RoomID, MessageID int64
	Boost             Boost
}

// BoostDeleted is a removed boost.
type BoostDeleted struct{ RoomID, MessageID, BoostID int64 }

// Typing says someone started or stopped typing in a room (the typist's
// own sockets included: filter by User.ID).
type Typing struct {
	RoomID int64
	User   User
	Active bool
}

// Presence is the set of people connected to a room.
type Presence struct {
	RoomID  int64
	UserIDs []int64
}

// RoomCreated is a room the user can now see. Room has no per-member
// fields (Involvement, Unread): refetch the room for those.
type RoomCreated struct{ Room Room }

// RoomUpdated is a changed room, without per-member fields.
type RoomUpdated struct{ Room Room }

// RoomDeleted is a deleted room. A Cable drops its subscription to it.
type RoomDeleted struct{ RoomID int64 }

// RoomUnread says a room of the user has unread messages (sent to every
// socket of the user, subscribed or not).
type RoomUnread struct{ RoomID int64 }

// RoomRead says the user read a room elsewhere.
type RoomRead struct{ RoomID int64 }

// Subscribed confirms a subscription (also each one a reconnect restores):
// Seq is the room's last seq when it took effect. The messages the
// subscription replays follow it.
type Subscribed struct{ RoomID, Seq int64 }

// ErrorEvent is an error frame the server sent that no call was waiting
// for, such as a refused typing frame, or a subscription the server
// dropped (the Cable has already scheduled its renewal: this is for
// information and counting).
type ErrorEvent struct {
	Code, Message   string
	RoomID          int64
	ClientMessageID string
}

// Disconnected says the socket dropped; Err says why. Unless the Cable is
// closed (or the server revoked its session), it reconnects by itself and
// a Reconnected follows.
type Disconnected struct{ Err error }

// Reconnected says the Cable is connected again and has asked for every
// subscription again from the last seq it delivered; the replayed
// messages follow. Edits and boosts made while away are not replayed:
// refetch them with Client.Messages(..., UpdatedSince(t)) if they matter.
type Reconnected struct {
	// Attempts is how many dials it took.
	Attempts int
	// Downtime is how long the Cable was disconnected.
	Downtime time.Duration
}

// Unknown is a frame of a type this package does not know (a newer
// server's): Raw is the whole frame.
type Unknown struct {
	Type string
	Raw  json.RawMessage
}

func (MessageCreated) event() {}
func (MessageUpdated) event() {}
func (MessageDeleted) event() {}
func (BoostCreated) event()   {}
func (BoostDeleted) event()   {}
func (Typing) event()         {}
func (Presence) event()       {}
func (RoomCreated) event()    {}
func (RoomUpdated) event()    {}
func (RoomDeleted) event()    {}
func (RoomUnread) event()     {}
func (RoomRead) event()       {}
func (Subscribed) event()     {}
func (ErrorEvent) event()     {}
func (Disconnected) event()   {}
func (Reconnected) event()    {}
func (Unknown) event()        {}

// frame is any server → client frame; which fields are set depends on
// Type. "message" is an object in message frames and a string in error
// frames, so it is decoded in a second step.
type frame struct {
	Type            string          `json:"type"`
	RoomID          int64           `json:"room_id"`
	Message         json.RawMessage `json:"message"`
	MessageID       int64           `json:"message_id"`
	Boost           *Boost          `json:"boost"`
	BoostID         int64           `json:"boost_id"`
	User            *User           `json:"user"`
	Active          bool            `json:"active"`
	UserIDs         []int64         `json:"user_ids"`
	Room            *Room           `json:"room"`
	Seq             int64           `json:"seq"`
	ClientMessageID string          `json:"client_message_id"`
	Code            string          `json:"code"`
}

// Server → client frame types.
const (
	typeSubscribed     = "subscribed"
	typeAck            = "ack"
	typePong           = "pong"
	typeError          = "error"
	typeMessageCreated = "message.created"
	typeMessageUpdated = "message.updated"
	typeMessageDeleted = "message.deleted"
	typeBoostCreated   = "boost.created"
	typeBoostDeleted   = "boost.deleted"
	typeTyping         = "typing"
	typePresence       = "presence"
	typeRoomCreated    = "room.created"
	typeRoomUpdated    = "room.updated"
	typeRoomDeleted    = "room.deleted"
	typeRoomUnread     = "room.unread"
	typeRoomRead       = "room.read"
)

// errorText is an error frame's message.
func (f *frame) errorText() string {
	var s string
	_ = json.Unmarshal(f.Message, &s)
	return s
}

// event converts a data frame to its Event; the caller handles the frame
// types that answer calls (subscribed, ack, pong, error).
func (f *frame) event(raw []byte) (Event, error) {
	switch f.Type {
	case typeMessageCreated, typeMessageUpdated:
		var m Message
		if err := json.Unmarshal(f.Message, &m); err != nil {
			return nil, err
		}
		if f.Type == typeMessageCreated {
			return MessageCreated{RoomID: f.RoomID, Message: m}, nil
		}
		return MessageUpdated{RoomID: f.RoomID, Message: m}, nil
	case typeMessageDeleted:
		return MessageDeleted{RoomID: f.RoomID, MessageID: f.MessageID}, nil
	case typeBoostCreated:
		e := BoostCreated{RoomID: f.RoomID, MessageID: f.MessageID}
		if f.Boost != nil {
			e.Boost = *f.Boost
		}
		return e, nil
	case typeBoostDeleted:
		return BoostDeleted{RoomID: f.RoomID, MessageID: f.MessageID, BoostID: f.BoostID}, nil
	case typeTyping:
		e := Typing{RoomID: f.RoomID, Active: f.Active}
		if f.User != nil {
			e.User = *f.User
		}
		return e, nil
	case typePresence:
		return Presence{RoomID: f.RoomID, UserIDs: f.UserIDs}, nil
	case typeRoomCreated, typeRoomUpdated:
		var r Room
		if f.Room != nil {
			r = *f.Room
		}
		if f.Type == typeRoomCreated {
			return RoomCreated{Room: r}, nil
		}
		return RoomUpdated{Room: r}, nil
	case typeRoomDeleted:
		return RoomDeleted{RoomID: f.RoomID}, nil
	case typeRoomUnread:
		return RoomUnread{RoomID: f.RoomID}, nil
	case typeRoomRead:
		return RoomRead{RoomID: f.RoomID}, nil
	}
	return Unknown{Type: f.Type, Raw: append(json.RawMessage(nil), raw...)}, nil
}
