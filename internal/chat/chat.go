// Package chat holds Campfire's domain types and the pure rules about them:
// roles, room types, involvement levels, limits and input validation. It
// imports nothing from the rest of the project, so every layer can use it.
package chat

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Role is what a user may do.
type Role string

const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
	RoleBot    Role = "bot"
)

// Status says whether a user may sign in.
type Status string

const (
	StatusActive      Status = "active"
	StatusDeactivated Status = "deactivated"
	StatusBanned      Status = "banned"
)

// RoomType decides who is in a room.
type RoomType string

const (
	// RoomOpen includes every active user, now and later.
	RoomOpen RoomType = "open"
	// RoomClosed includes only the users added to it.
	RoomClosed RoomType = "closed"
	// RoomDirect is a "ping": one room per exact set of people.
	RoomDirect RoomType = "direct"
)

// Involvement is how much of a room a member wants to hear about.
type Involvement string

const (
	InvolvementEverything Involvement = "everything"
	InvolvementMentions   Involvement = "mentions"
	InvolvementNothing    Involvement = "nothing"
	// InvolvementInvisible hides the room from the member's sidebar.
	InvolvementInvisible Involvement = "invisible"
)

// Valid reports whether i is one of the four levels.
func (i Involvement) Valid() bool {
	switch i {
	case InvolvementEverything, InvolvementMentions, InvolvementNothing, InvolvementInvisible:
		return true
	}
	return false
}

// DefaultInvolvement is what a new member of a room of type t gets: direct
// rooms are conversations with you, so you hear everything; shared rooms only
// call for you when you are mentioned.
func DefaultInvolvement(t RoomType) Involvement {
	if t == RoomDirect {
		return InvolvementEverything
	}
	return InvolvementMentions
}

// NextInvolvement is the level the UI's bell moves to from i, as Campfire
// cycles it: shared rooms mentions → everything → nothing → invisible →
// mentions; direct rooms everything ↔ nothing.
func NextInvolvement(t RoomType, i Involvement) Involvement {
	if t == RoomDirect {
		if i == InvolvementEverything {
			return InvolvementNothing
		}
		return InvolvementEverything
	}
	switch i {
	case InvolvementMentions:
		return InvolvementEverything
	case InvolvementEverything:
		return InvolvementNothing
	case InvolvementNothing:
		return InvolvementInvisible
	default:
		return InvolvementMentions
	}
}

// Account is the one organisation this server hosts.
type Account struct {
	ID        int64
	Name      string
	JoinCode  string
	LogoKey   string // blob key of the uploaded logo, "" for none
	CreatedAt time.Time
}

// User is a person or a bot.
type User struct {
	ID           int64
	Name         string
	Email        string
	Bio          string
	Role         Role
	Status       Status
	PasswordHash string
	// BotTokenHash is the SHA-256 of a bot's key token; empty for people.
	BotTokenHash string
	// AvatarKey is the blob key of an uploaded avatar, "" for the
	// generated initials; a new picture gets a new key.
	AvatarKey string
	// WebhookURL is where a bot hears about mentions and pings.
	WebhookURL string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// IsAdmin reports whether u may administer the account.
func (u User) IsAdmin() bool { return u.Role == RoleAdmin }

// Active reports whether u may sign in and appear in rooms.
func (u User) Active() bool { return u.Status == StatusActive }

// Session is a signed-in browser or API client. The token itself is never
// stored, only its hash.
type Session struct {
	ID           int64
	UserID       int64
	TokenHash    string
	IP           string
	UserAgent    string
	CreatedAt    time.Time
	LastActiveAt time.Time
}

// Room is a place where messages are posted.
type Room struct {
	ID        int64
	Name      string
	Type      RoomType
	CreatorID int64
	// LastSeq is the seq of the newest message ever posted (0 for none).
	LastSeq       int64
	LastMessageAt time.Time // zero when the room has no messages
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Shared reports whether the room is open or closed rather than direct.
func (r Room) Shared() bool { return r.Type != RoomDirect }

// RoomView is a room as one member sees it.
type RoomView struct {
	Room
	Involvement Involvement
	Unread      bool
}

// Member is one user's membership of a room.
type Member struct {
	User        User
	Involvement Involvement
}

// Message is one post in a room.
type Message struct {
	ID              int64
	RoomID          int64
	Seq             int64
	CreatorID       int64
	ClientMessageID string
	Body            string
	BodyHTML        string
	Creator         User
	Mentions        []int64
	Boosts          []Boost
	CreatedAt       time.Time
	// Preview is the link preview found after posting, nil for none.
	Preview *LinkPreview
	// UpdatedAt moves on edits and on boosts (what a reconnecting client
	// refetches); EditedAt only on edits, zero when never edited.
	UpdatedAt time.Time
	EditedAt  time.Time
	// Attachment is the file this message carries, nil for none.
	Attachment *Attachment
}

// Boost is a short reaction (an emoji or up to 16 characters) on a message.
type Boost struct {
	ID        int64
	MessageID int64
	BoosterID int64
	Content   string
	Booster   User
	CreatedAt time.Time
}

// DirectKey identifies the exact set of people in a direct room: the sorted,
// de-duplicated user ids joined by commas. A unique index on it makes "one
// direct room per set of people" a database rule and its lookup indexed.
func DirectKey(userIDs []int64) string {
	ids := slices.Clone(userIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}
