package wire

import "encoding/json"

// Server → client frame types of the cable.
const (
	TypeSubscribed     = "subscribed"
	TypeAck            = "ack"
	TypePong           = "pong"
	TypeError          = "error"
	TypeMessageCreated = "message.created"
	TypeMessageUpdated = "message.updated"
	TypeMessageDeleted = "message.deleted"
	TypeBoostCreated   = "boost.created"
	TypeBoostDeleted   = "boost.deleted"
	TypeTyping         = "typing"
	TypePresence       = "presence"
	TypeRoomCreated    = "room.created"
	TypeRoomUpdated    = "room.updated"
	TypeRoomDeleted    = "room.deleted"
	TypeRoomUnread     = "room.unread"
	TypeRoomRead       = "room.read"
)

// Encode marshals a frame. Frames are built from our own types, so an error
// is a bug; it panics rather than send a half-made frame.
func Encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("wire: encoding frame: " + err.Error())
	}
	return b
}

// MessageFrame is message.created or message.updated.
func MessageFrame(typ string, m Message) []byte {
	return Encode(struct {
		Type    string  `json:"type"`
		RoomID  int64   `json:"room_id"`
		Message Message `json:"message"`
	}{typ, m.RoomID, m})
}

// MessageDeletedFrame is message.deleted.
func MessageDeletedFrame(roomID, messageID int64) []byte {
	return Encode(struct {
		Type      string `json:"type"`
		RoomID    int64  `json:"room_id"`
		MessageID int64  `json:"message_id"`
	}{TypeMessageDeleted, roomID, messageID})
}

// BoostCreatedFrame is boost.created.
func BoostCreatedFrame(roomID int64, b Boost) []byte {
	return Encode(struct {
		Type      string `json:"type"`
		RoomID    int64  `json:"room_id"`
		MessageID int64  `json:"message_id"`
		Boost     Boost  `json:"boost"`
	}{TypeBoostCreated, roomID, b.MessageID, b})
}

// BoostDeletedFrame is boost.deleted.
func BoostDeletedFrame(roomID, messageID, boostID int64) []byte {
	return Encode(struct {
		Type      string `json:"type"`
		RoomID    int64  `json:"room_id"`
		MessageID int64  `json:"message_id"`
		BoostID   int64  `json:"boost_id"`
	}{TypeBoostDeleted, roomID, messageID, boostID})
}

// RoomFrame is room.created or room.updated. The room is sent without the
// per-member fields (involvement, unread), which differ per recipient.
func RoomFrame(typ string, r Room) []byte {
	r.Involvement, r.Unread, r.Invisible, r.Members = "", false, false, nil
	return Encode(struct {
		Type string `json:"type"`
		Room Room   `json:"room"`
	}{typ, r})
}

// RoomIDFrame is room.deleted, room.unread or room.read.
func RoomIDFrame(typ string, roomID int64) []byte {
	return Encode(struct {
		Type   string `json:"type"`
		RoomID int64  `json:"room_id"`
	}{typ, roomID})
}

// TypingFrame is typing.
func TypingFrame(roomID int64, u User, active bool) []byte {
	return Encode(struct {
		Type   string `json:"type"`
		RoomID int64  `json:"room_id"`
		User   User   `json:"user"`
		Active bool   `json:"active"`
	}{TypeTyping, roomID, u, active})
}

// PresenceFrame is presence.
func PresenceFrame(roomID int64, userIDs []int64) []byte {
	if userIDs == nil {
		userIDs = []int64{}
	}
	return Encode(struct {
		Type    string  `json:"type"`
		RoomID  int64   `json:"room_id"`
		UserIDs []int64 `json:"user_ids"`
	}{TypePresence, roomID, userIDs})
}

// SubscribedFrame answers a subscribe with the room's last seq.
func SubscribedFrame(roomID, seq int64) []byte {
	return Encode(struct {
		Type   string `json:"type"`
		RoomID int64  `json:"room_id"`
		Seq    int64  `json:"seq"`
	}{TypeSubscribed, roomID, seq})
}

// AckFrame answers a post.
func AckFrame(clientMessageID string, messageID, roomID, seq int64) []byte {
	return Encode(struct {
		Type            string `json:"type"`
		ClientMessageID string `json:"client_message_id"`
		MessageID       int64  `json:"message_id"`
		RoomID          int64  `json:"room_id"`
		Seq             int64  `json:"seq"`
	}{TypeAck, clientMessageID, messageID, roomID, seq})
}

// ErrorFrame is error. roomID and clientMessageID say what it refers to,
// when known.
func ErrorFrame(code, message string, roomID int64, clientMessageID string) []byte {
	return Encode(struct {
		Type            string `json:"type"`
		Code            string `json:"code"`
		Message         string `json:"message"`
		RoomID          int64  `json:"room_id,omitempty"`
		ClientMessageID string `json:"client_message_id,omitempty"`
	}{TypeError, code, message, roomID, clientMessageID})
}

// PongFrame answers a ping.
var PongFrame = []byte(`{"type":"pong"}`)
