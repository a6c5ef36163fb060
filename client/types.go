package client

import "time"

// Times are the server's RFC 3339 UTC times; a zero time.Time stands for
// the contract's null.

// Role is a user's role.
type Role string

// Roles.
const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
	RoleBot    Role = "bot"
)

// RoomType is a room's type.
type RoomType string

// Room types. Direct rooms are made with DirectRoom.
const (
	RoomOpen   RoomType = "open"
	RoomClosed RoomType = "closed"
	RoomDirect RoomType = "direct"
)

// Involvement is how much of a room a member hears about.
type Involvement string

// Involvements.
const (
	InvolvementEverything Involvement = "everything"
	InvolvementMentions   Involvement = "mentions"
	InvolvementNothing    Involvement = "nothing"
	InvolvementInvisible  Involvement = "invisible"
)

// User is a person or a bot.
type User struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Bio       string `json:"bio"`
	Role      Role   `json:"role"`
	AvatarURL string `json:"avatar_url"`
	// Email is shown only to admins and to the user themself.
	Email     string    `json:"email,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Session is what Setup, SignIn and Join return: a token to pass to
// WithToken, and who it signs in.
type Session struct {
	Token string `json:"token"`
	User  User   `json:"user"`
}

// Account is the account's name and, for people, its join code.
type Account struct {
	Name     string `json:"name"`
	JoinCode string `json:"join_code"`
	// JoinPath is the page a person opens to sign up ("/join/<code>").
	JoinPath string `json:"join_path"`
}

// Room is a room as the caller sees it.
type Room struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Type      RoomType `json:"type"`
	CreatorID int64    `json:"creator_id"`
	// Involvement and Unread are the caller's; they are empty in the cable's
	// room.created and room.updated events.
	Involvement Involvement `json:"involvement"`
	Unread      bool        `json:"unread"`
	Invisible   bool        `json:"invisible"`
	// LastSeq is the seq of the room's newest message, 0 for none.
	LastSeq       int64     `json:"last_seq"`
	LastMessageAt time.Time `json:"last_message_at"`
	CreatedAt     time.Time `json:"created_at"`
	// Members is filled by Client.Room only.
	Members []Member `json:"members,omitempty"`
}

// Member is a room's member with their involvement.
type Member struct {
	User
	Involvement Involvement `json:"involvement"`
}

// Message is a message. Body is Markdown as typed; BodyHTML its sanitized
// rendering, safe to insert into a page.
type Message struct {
	ID     int64 `json:"id"`
	RoomID int64 `json:"room_id"`
	// Seq is the message's place in its room: 1, 2, 3… in commit order; a
	// deleted message leaves its number unused.
	Seq             int64   `json:"seq"`
	ClientMessageID string  `json:"client_message_id"`
	Body            string  `json:"body"`
	BodyHTML        string  `json:"body_html"`
	Creator         User    `json:"creator"`
	Mentions        []int64 `json:"mentions"`
	Boosts          []Boost `json:"boosts"`
	// Attachment is nil for a text message.
	Attachment *Attachment `json:"attachment,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
	// UpdatedAt moves on edits and boosts (what UpdatedSince selects).
	UpdatedAt time.Time `json:"updated_at"`
	// EditedAt is when the body was last edited, zero if never.
	EditedAt time.Time `json:"edited_at"`
}

// MentionsUser reports whether m mentions the user with id userID.
func (m *Message) MentionsUser(userID int64) bool {
	for _, id := range m.Mentions {
		if id == userID {
			return true
		}
	}
	return false
}

// Attachment is a file attached to a message. Width and Height are nil
// until known (images only).
type Attachment struct {
	URL          string `json:"url"`
	Filename     string `json:"filename"`
	ContentType  string `json:"content_type"`
	ByteSize     int64  `json:"byte_size"`
	Width        *int   `json:"width"`
	Height       *int   `json:"height"`
	ThumbnailURL string `json:"thumbnail_url"`
}

// Boost is a short reaction to a message.
type Boost struct {
	ID        int64     `json:"id"`
	MessageID int64     `json:"message_id"`
	Content   string    `json:"content"`
	Booster   User      `json:"booster"`
	CreatedAt time.Time `json:"created_at"`
}

// Bot is a bot as its administrators see it.
type Bot struct {
	User
	WebhookURL string `json:"webhook_url"`
	// Key is set only when it was just issued (CreateBot, ResetBotKey): the
	// server keeps only a hash. Pass it to Client.Bot.
	Key string `json:"bot_key,omitempty"`
}

// Health is the server's liveness answer.
type Health struct {
	Status        string `json:"status"`
	Version       string `json:"version"`
	Instance      string `json:"instance"`
	UptimeSeconds int64  `json:"uptime_seconds"`
}
