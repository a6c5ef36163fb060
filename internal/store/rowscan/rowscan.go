// Package rowscan maps rows to chat types for the SQL stores: the column
// lists their queries select and the scans that read them, written once
// because SQLite and PostgreSQL lay these rows out alike. Both *sql.Rows and
// pgx.Rows satisfy Scanner and Rows.
//
// Times are stored as unix milliseconds; a nullable time is selected as
// coalesce(col, 0) so one int64 reads it in either database. Placeholders,
// SQL dialect and conversions only one database needs stay in its package.
package rowscan

import (
	"strings"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
)

// Column lists for the queries that load each type, in the order the scans
// below read them. The table aliases are fixed: u users, r rooms,
// m messages, b boosts, s sessions.
const (
	UserCols = `u.id, u.name, coalesce(u.email, ''), u.role, u.status, u.password_hash, u.bio,
		u.bot_token_hash, u.webhook_url, u.created_at, u.updated_at, u.avatar_key`
	RoomCols = `r.id, r.name, r.type, r.creator_id, r.last_seq, coalesce(r.last_message_at, 0),
		r.created_at, r.updated_at`
	MessageCols = `m.id, m.room_id, m.seq, m.creator_id, coalesce(m.client_message_id, ''), m.body, m.body_html,
		m.created_at, m.updated_at, coalesce(m.edited_at, 0), ` + UserCols
	BoostCols   = `b.id, b.message_id, b.booster_id, b.content, b.created_at, ` + UserCols
	SessionCols = `s.id, s.user_id, s.token_hash, s.ip, s.user_agent, s.created_at, s.last_active_at`
	AccountCols = `id, name, join_code, created_at, logo_key`
)

// For a RETURNING clause, which takes no alias.
var (
	UserReturning = strings.ReplaceAll(UserCols, "u.", "")
	RoomReturning = strings.ReplaceAll(RoomCols, "r.", "")
)

// Scanner is one row: *sql.Row, *sql.Rows, pgx.Row, pgx.Rows.
type Scanner interface{ Scan(dest ...any) error }

// Rows is a result set being read; closing it is the caller's, because
// database/sql and pgx close differently.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// All reads every remaining row with scan; an empty result is an empty
// slice, not nil.
func All[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ID reads a row of one integer column.
func ID(sc Scanner) (id int64, err error) {
	err = sc.Scan(&id)
	return id, err
}

// ToMillis is how a time is stored.
func ToMillis(t time.Time) int64 { return t.UnixMilli() }

// FromMillis reads a stored time.
func FromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// FromNullMillis reads a nullable time selected as coalesce(col, 0).
func FromNullMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return FromMillis(ms)
}

// Now is the stores' clock, truncated to what a row keeps so a returned
// value equals the one read back later.
func Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// OrNow is t as a row keeps it, or Now for the zero time.
func OrNow(t time.Time) time.Time {
	if t.IsZero() {
		return Now()
	}
	return t.UTC().Truncate(time.Millisecond)
}

// NullString stores "" as NULL, for columns whose unique index must ignore
// absent values (emails of bots, client message ids).
func NullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// User reads UserCols; it is embedded in the scans of rows that carry a
// user (a message's creator, a boost's booster, a session's user).
type User struct {
	u                chat.User
	created, updated int64
}

// Dest is the scan destinations for UserCols.
func (s *User) Dest() []any {
	u := &s.u
	return []any{&u.ID, &u.Name, &u.Email, (*string)(&u.Role), (*string)(&u.Status), &u.PasswordHash, &u.Bio,
		&u.BotTokenHash, &u.WebhookURL, &s.created, &s.updated, &u.AvatarKey}
}

// User is the user read, after a successful Scan into Dest.
func (s *User) User() chat.User {
	s.u.CreatedAt, s.u.UpdatedAt = FromMillis(s.created), FromMillis(s.updated)
	return s.u
}

// ScanUser reads a row of UserCols.
func ScanUser(sc Scanner) (chat.User, error) {
	var s User
	if err := sc.Scan(s.Dest()...); err != nil {
		return chat.User{}, err
	}
	return s.User(), nil
}

// Room reads RoomCols.
type Room struct {
	r                               chat.Room
	lastMessageAt, created, updated int64
}

// Dest is the scan destinations for RoomCols.
func (s *Room) Dest() []any {
	r := &s.r
	return []any{&r.ID, &r.Name, (*string)(&r.Type), &r.CreatorID, &r.LastSeq, &s.lastMessageAt, &s.created, &s.updated}
}

// Room is the room read, after a successful Scan into Dest.
func (s *Room) Room() chat.Room {
	s.r.LastMessageAt = FromNullMillis(s.lastMessageAt)
	s.r.CreatedAt, s.r.UpdatedAt = FromMillis(s.created), FromMillis(s.updated)
	return s.r
}

// ScanRoom reads a row of RoomCols.
func ScanRoom(sc Scanner) (chat.Room, error) {
	var s Room
	if err := sc.Scan(s.Dest()...); err != nil {
		return chat.Room{}, err
	}
	return s.Room(), nil
}

// ScanRoomView reads RoomCols, the involvement and whether unread_at is set.
func ScanRoomView(sc Scanner) (chat.RoomView, error) {
	var s Room
	var v chat.RoomView
	if err := sc.Scan(append(s.Dest(), (*string)(&v.Involvement), &v.Unread)...); err != nil {
		return chat.RoomView{}, err
	}
	v.Room = s.Room()
	return v, nil
}

// Message reads MessageCols (the message and its creator).
type Message struct {
	m                        chat.Message
	created, updated, edited int64
	creator                  User
}

// Dest is the scan destinations for MessageCols.
func (s *Message) Dest() []any {
	m := &s.m
	return append([]any{&m.ID, &m.RoomID, &m.Seq, &m.CreatorID, &m.ClientMessageID, &m.Body, &m.BodyHTML,
		&s.created, &s.updated, &s.edited}, s.creator.Dest()...)
}

// Message is the message read, after a successful Scan into Dest, with
// empty (not nil) mentions and boosts for the caller to fill.
func (s *Message) Message() chat.Message {
	m := s.m
	m.CreatedAt, m.UpdatedAt = FromMillis(s.created), FromMillis(s.updated)
	if s.edited != 0 {
		m.EditedAt = FromMillis(s.edited)
	}
	m.Creator = s.creator.User()
	m.Mentions = []int64{}
	m.Boosts = []chat.Boost{}
	return m
}

// ScanBoost reads a row of BoostCols.
func ScanBoost(sc Scanner) (chat.Boost, error) {
	var b chat.Boost
	var created int64
	var booster User
	dest := append([]any{&b.ID, &b.MessageID, &b.BoosterID, &b.Content, &created}, booster.Dest()...)
	if err := sc.Scan(dest...); err != nil {
		return chat.Boost{}, err
	}
	b.CreatedAt = FromMillis(created)
	b.Booster = booster.User()
	return b, nil
}

// ScanSession reads SessionCols, then extra (say a User's Dest).
func ScanSession(sc Scanner, extra ...any) (chat.Session, error) {
	var ss chat.Session
	var created, active int64
	dest := append([]any{&ss.ID, &ss.UserID, &ss.TokenHash, &ss.IP, &ss.UserAgent, &created, &active}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return chat.Session{}, err
	}
	ss.CreatedAt, ss.LastActiveAt = FromMillis(created), FromMillis(active)
	return ss, nil
}

// ScanAccount reads a row of AccountCols.
func ScanAccount(sc Scanner) (chat.Account, error) {
	var a chat.Account
	var created int64
	if err := sc.Scan(&a.ID, &a.Name, &a.JoinCode, &created, &a.LogoKey); err != nil {
		return chat.Account{}, err
	}
	a.CreatedAt = FromMillis(created)
	return a, nil
}
