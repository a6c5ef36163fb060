package postgres

import (
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/campfire-go/campfire/internal/chat"
)

// Column lists shared by the queries that load each type, with the scan
// that reads them. The table aliases are fixed: u users, r rooms, m messages,
// b boosts.
const (
	userCols = `u.id, u.name, coalesce(u.email, ''), u.role, u.status, u.password_hash, u.bio,
		u.bot_token_hash, u.webhook_url, u.created_at, u.updated_at`
	roomCols = `r.id, r.name, r.type, r.creator_id, r.last_seq, coalesce(r.last_message_at, 0),
		r.created_at, r.updated_at`
	messageCols = `m.id, m.room_id, m.seq, m.creator_id, coalesce(m.client_message_id, ''), m.body, m.body_html,
		m.created_at, m.updated_at, coalesce(m.edited_at, 0), ` + userCols
	boostCols = `b.id, b.message_id, b.booster_id, b.content, b.created_at, ` + userCols
)

// userReturning is userCols for a RETURNING clause, which takes no alias.
var userReturning = strings.ReplaceAll(userCols, "u.", "")

type scanner interface{ Scan(dest ...any) error }

// userScan reads userCols; it is embedded in the scans of rows that carry
// a user (a message's creator, a boost's booster).
type userScan struct {
	u                chat.User
	created, updated int64
}

func (s *userScan) dest() []any {
	u := &s.u
	return []any{&u.ID, &u.Name, &u.Email, (*string)(&u.Role), (*string)(&u.Status), &u.PasswordHash, &u.Bio,
		&u.BotTokenHash, &u.WebhookURL, &s.created, &s.updated}
}

func (s *userScan) user() chat.User {
	s.u.CreatedAt, s.u.UpdatedAt = fromMillis(s.created), fromMillis(s.updated)
	return s.u
}

func scanUser(sc scanner) (chat.User, error) {
	var s userScan
	if err := sc.Scan(s.dest()...); err != nil {
		return chat.User{}, err
	}
	return s.user(), nil
}

func scanUsers(rows pgx.Rows, err error) ([]chat.User, error) {
	return collect(rows, err, scanUser)
}

type roomScan struct {
	r                               chat.Room
	lastMessageAt, created, updated int64
}

func (s *roomScan) dest() []any {
	r := &s.r
	return []any{&r.ID, &r.Name, (*string)(&r.Type), &r.CreatorID, &r.LastSeq, &s.lastMessageAt, &s.created, &s.updated}
}

func (s *roomScan) room() chat.Room {
	s.r.LastMessageAt = fromNullMillis(s.lastMessageAt)
	s.r.CreatedAt, s.r.UpdatedAt = fromMillis(s.created), fromMillis(s.updated)
	return s.r
}

func scanRoom(sc scanner) (chat.Room, error) {
	var s roomScan
	if err := sc.Scan(s.dest()...); err != nil {
		return chat.Room{}, err
	}
	return s.room(), nil
}

// scanRoomView reads roomCols, the involvement and whether unread_at is set.
func scanRoomView(sc scanner) (chat.RoomView, error) {
	var s roomScan
	var v chat.RoomView
	if err := sc.Scan(append(s.dest(), (*string)(&v.Involvement), &v.Unread)...); err != nil {
		return chat.RoomView{}, err
	}
	v.Room = s.room()
	return v, nil
}

// messageScan reads messageCols plus the message's mentions and whether it
// has boosts (see messagesFrom).
type messageScan struct {
	m                        chat.Message
	created, updated, edited int64
	creator                  userScan
	hasBoosts                bool
}

func scanMessage(sc scanner) (chat.Message, bool, error) {
	var s messageScan
	m := &s.m
	dest := append([]any{&m.ID, &m.RoomID, &m.Seq, &m.CreatorID, &m.ClientMessageID, &m.Body, &m.BodyHTML,
		&s.created, &s.updated, &s.edited}, s.creator.dest()...)
	dest = append(dest, &m.Mentions, &s.hasBoosts)
	if err := sc.Scan(dest...); err != nil {
		return chat.Message{}, false, err
	}
	m.CreatedAt, m.UpdatedAt = fromMillis(s.created), fromMillis(s.updated)
	if s.edited != 0 {
		m.EditedAt = fromMillis(s.edited)
	}
	m.Creator = s.creator.user()
	if m.Mentions == nil {
		m.Mentions = []int64{}
	}
	m.Boosts = []chat.Boost{}
	return s.m, s.hasBoosts, nil
}

func scanBoost(sc scanner) (chat.Boost, error) {
	var b chat.Boost
	var created int64
	var booster userScan
	dest := append([]any{&b.ID, &b.MessageID, &b.BoosterID, &b.Content, &created}, booster.dest()...)
	if err := sc.Scan(dest...); err != nil {
		return chat.Boost{}, err
	}
	b.CreatedAt = fromMillis(created)
	b.Booster = booster.user()
	return b, nil
}

func scanIDs(rows pgx.Rows, err error) ([]int64, error) {
	return collect(rows, err, func(sc scanner) (id int64, err error) {
		err = sc.Scan(&id)
		return id, err
	})
}

// collect reads every row with scan; an empty result is an empty slice.
func collect[T any](rows pgx.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
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
