// Package wire owns the JSON shapes of the public contract (../shared/API.md):
// the objects the HTTP API returns and the frames the cable sends. The HTTP
// handlers, the cable and the event publisher all encode through here, so a
// message looks the same wherever a client sees it.
package wire

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
)

// Time encodes as RFC 3339 UTC with milliseconds, as the contract says.
type Time time.Time

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func (t Time) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + tt.UTC().Format(timeLayout) + `"`), nil
}

func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	tt, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = Time(tt)
	return nil
}

// FormatTime renders t the way the JSON does (for query strings and pages).
func FormatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// User is the contract's user object.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Bio       string    `json:"bio"`
	Role      chat.Role `json:"role"`
	AvatarURL string    `json:"avatar_url"`
	Email     string    `json:"email,omitempty"`
	CreatedAt Time      `json:"created_at"`
}

// AvatarURL is where a user's avatar is served.
func AvatarURL(id int64) string { return "/api/v1/users/" + strconv.FormatInt(id, 10) + "/avatar" }

// NewUser converts u; withEmail is true only for admins and u themself.
func NewUser(u chat.User, withEmail bool) User {
	w := User{ID: u.ID, Name: u.Name, Bio: u.Bio, Role: u.Role, AvatarURL: UserAvatarURL(u), CreatedAt: Time(u.CreatedAt)}
	if withEmail {
		w.Email = u.Email
	}
	return w
}

// Room is the contract's room object.
type Room struct {
	ID            int64            `json:"id"`
	Name          string           `json:"name"`
	Type          chat.RoomType    `json:"type"`
	CreatorID     int64            `json:"creator_id"`
	Involvement   chat.Involvement `json:"involvement,omitempty"`
	Unread        bool             `json:"unread"`
	Invisible     bool             `json:"invisible"`
	LastSeq       int64            `json:"last_seq"`
	LastMessageAt Time             `json:"last_message_at"`
	CreatedAt     Time             `json:"created_at"`
	Members       []Member         `json:"members,omitempty"`
}

// Member is a room member in a room's detail view.
type Member struct {
	User
	Involvement chat.Involvement `json:"involvement"`
}

// NewRoom converts a room as one member sees it.
func NewRoom(r chat.RoomView) Room {
	return Room{
		ID: r.ID, Name: r.Name, Type: r.Type, CreatorID: r.CreatorID,
		Involvement: r.Involvement, Unread: r.Unread, Invisible: r.Involvement == chat.InvolvementInvisible,
		LastSeq: r.LastSeq, LastMessageAt: Time(r.LastMessageAt), CreatedAt: Time(r.CreatedAt),
	}
}

// Boost is the contract's boost object.
type Boost struct {
	ID        int64  `json:"id"`
	MessageID int64  `json:"message_id"`
	Content   string `json:"content"`
	Booster   User   `json:"booster"`
	CreatedAt Time   `json:"created_at"`
}

// NewBoost converts b.
func NewBoost(b chat.Boost) Boost {
	return Boost{ID: b.ID, MessageID: b.MessageID, Content: b.Content, Booster: NewUser(b.Booster, false), CreatedAt: Time(b.CreatedAt)}
}

// Message is the contract's message object.
type Message struct {
	ID              int64   `json:"id"`
	RoomID          int64   `json:"room_id"`
	Seq             int64   `json:"seq"`
	ClientMessageID string  `json:"client_message_id"`
	Body            string  `json:"body"`
	BodyHTML        string  `json:"body_html"`
	Creator         User    `json:"creator"`
	Mentions        []int64 `json:"mentions"`
	Boosts          []Boost `json:"boosts"`
	CreatedAt       Time    `json:"created_at"`
	UpdatedAt       Time    `json:"updated_at"`
	// Preview is the link preview card, absent until one is found.
	Preview *Preview `json:"preview,omitempty"`
	// EditedAt is null until the body is edited (boosts move only
	// UpdatedAt).
	EditedAt Time `json:"edited_at"`
	// Attachment is the message's file; absent for a message without one.
	Attachment *Attachment `json:"attachment,omitempty"`
	// Sound is what a "/play NAME" message plays; absent otherwise.
	Sound *Sound `json:"sound,omitempty"`
}

// NewMessage converts m.
func NewMessage(m chat.Message) Message {
	w := Message{
		ID: m.ID, RoomID: m.RoomID, Seq: m.Seq, ClientMessageID: m.ClientMessageID,
		Body: m.Body, BodyHTML: m.BodyHTML, Creator: NewUser(m.Creator, false),
		Mentions: m.Mentions, Boosts: make([]Boost, len(m.Boosts)),
		CreatedAt: Time(m.CreatedAt), UpdatedAt: Time(m.UpdatedAt), EditedAt: Time(m.EditedAt),
		Attachment: NewAttachment(m.Attachment),
	}
	w.Preview = NewPreview(m.Preview)
	w.Sound = NewSound(m.Body)
	if w.Mentions == nil {
		w.Mentions = []int64{}
	}
	for i, b := range m.Boosts {
		w.Boosts[i] = NewBoost(b)
	}
	return w
}

// NewMessages converts a list, never returning nil (so JSON has []).
func NewMessages(ms []chat.Message) []Message {
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = NewMessage(m)
	}
	return out
}
