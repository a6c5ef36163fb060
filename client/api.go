package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Operations.

// Health asks whether the server is alive (GET /health). It checks no
// dependency; see Ready.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var h Health
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/health"}, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// Ready returns nil when the server and its dependencies answer (GET
// /ready), else an *Error with status 503.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/ready"}, nil)
	return err
}

// Accounts and sessions.

// Setup is first run: it creates the account, its first (admin) user and
// the open room "All Talk". A server already set up answers 409
// already_set_up.
func (c *Client) Setup(ctx context.Context, accountName, name, email, password string) (*Session, error) {
	return c.session(ctx, "/api/v1/setup", map[string]string{
		"account_name": accountName, "name": name, "email": email, "password": password,
	})
}

// SignIn starts a session with email and password. Wrong credentials are
// 401 invalid_credentials; too many attempts from one address, 429.
func (c *Client) SignIn(ctx context.Context, email, password string) (*Session, error) {
	return c.session(ctx, "/api/v1/session", map[string]string{"email": email, "password": password})
}

// Join signs a new person up with the account's join code; they join every
// open room.
func (c *Client) Join(ctx context.Context, joinCode, name, email, password string) (*Session, error) {
	return c.session(ctx, "/api/v1/join/"+joinCode, map[string]string{
		"name": name, "email": email, "password": password,
	})
}

func (c *Client) session(ctx context.Context, path string, body any) (*Session, error) {
	var s Session
	if _, err := c.do(ctx, request{method: http.MethodPost, path: path, body: body}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// SignOut revokes the client's token.
func (c *Client) SignOut(ctx context.Context) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/api/v1/session", auth: true}, nil)
	return err
}

// Account returns the account's name and join code.
func (c *Client) Account(ctx context.Context) (*Account, error) {
	var a Account
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/account", auth: true}, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// RotateJoinCode replaces the join code (admin); old links stop working.
func (c *Client) RotateJoinCode(ctx context.Context) (*Account, error) {
	var a Account
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/account/join_code", auth: true}, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Users.

// Users lists the active people and bots, by name.
func (c *Client) Users(ctx context.Context) ([]User, error) {
	var res struct {
		Users []User `json:"users"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/users", auth: true}, &res); err != nil {
		return nil, err
	}
	return res.Users, nil
}

// User returns one user, deactivated ones included.
func (c *Client) User(ctx context.Context, id int64) (*User, error) {
	return c.user(ctx, http.MethodGet, "/api/v1/users/"+itoa(id), nil)
}

// Me returns the signed-in user, with their email.
func (c *Client) Me(ctx context.Context) (*User, error) {
	return c.user(ctx, http.MethodGet, "/api/v1/users/me", nil)
}

// ProfileUpdate changes the signed-in user's profile; nil fields are left
// as they are (new("Bea") makes a *string).
type ProfileUpdate struct {
	Name     *string `json:"name,omitempty"`
	Bio      *string `json:"bio,omitempty"`
	Email    *string `json:"email,omitempty"`
	Password *string `json:"password,omitempty"`
}

// UpdateMe changes the signed-in user's profile.
func (c *Client) UpdateMe(ctx context.Context, p ProfileUpdate) (*User, error) {
	return c.user(ctx, http.MethodPatch, "/api/v1/users/me", p)
}

// SetRole makes a person an admin or a member (admin; not oneself, not a
// bot).
func (c *Client) SetRole(ctx context.Context, userID int64, role Role) (*User, error) {
	return c.user(ctx, http.MethodPatch, "/api/v1/users/"+itoa(userID), map[string]Role{"role": role})
}

// Deactivate deactivates a user (admin): their sessions are revoked and
// their sockets closed.
func (c *Client) Deactivate(ctx context.Context, userID int64) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/api/v1/users/" + itoa(userID), auth: true}, nil)
	return err
}

func (c *Client) user(ctx context.Context, method, path string, body any) (*User, error) {
	var u User
	if _, err := c.do(ctx, request{method: method, path: path, body: body, auth: true}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// Rooms.

// Rooms lists the caller's rooms, invisible ones flagged.
func (c *Client) Rooms(ctx context.Context) ([]Room, error) {
	var res struct {
		Rooms []Room `json:"rooms"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/rooms", auth: true}, &res); err != nil {
		return nil, err
	}
	return res.Rooms, nil
}

// NewRoom describes a room to create. Type defaults to closed; the creator
// is always a member; an open room has every active user.
type NewRoom struct {
	Name    string   `json:"name"`
	Type    RoomType `json:"type,omitempty"`
	UserIDs []int64  `json:"user_ids,omitempty"`
}

// CreateRoom creates an open or closed room.
func (c *Client) CreateRoom(ctx context.Context, r NewRoom) (*Room, error) {
	return c.room(ctx, http.MethodPost, "/api/v1/rooms", r)
}

// DirectRoom finds or starts the direct room with exactly these people
// (the caller included). created is false when it already existed.
func (c *Client) DirectRoom(ctx context.Context, userIDs ...int64) (room *Room, created bool, err error) {
	if userIDs == nil {
		userIDs = []int64{}
	}
	var r Room
	status, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/rooms/direct", auth: true,
		body: map[string][]int64{"user_ids": userIDs}}, &r)
	if err != nil {
		return nil, false, err
	}
	return &r, status == http.StatusCreated, nil
}

// Room returns a room with its members.
func (c *Client) Room(ctx context.Context, id int64) (*Room, error) {
	return c.room(ctx, http.MethodGet, "/api/v1/rooms/"+itoa(id), nil)
}

// RoomUpdate changes a room; nil fields are left as they are. UserIDs
// replaces a closed room's members (the creator stays); a non-nil empty
// slice leaves only the creator.
type RoomUpdate struct {
	Name    *string
	Type    *RoomType
	UserIDs []int64
}

// UpdateRoom renames a room, changes its type or members (creator or
// admin).
func (c *Client) UpdateRoom(ctx context.Context, id int64, u RoomUpdate) (*Room, error) {
	body := map[string]any{}
	if u.Name != nil {
		body["name"] = *u.Name
	}
	if u.Type != nil {
		body["type"] = *u.Type
	}
	if u.UserIDs != nil {
		body["user_ids"] = u.UserIDs
	}
	return c.room(ctx, http.MethodPatch, "/api/v1/rooms/"+itoa(id), body)
}

// DeleteRoom deletes a room and its messages (creator or admin).
func (c *Client) DeleteRoom(ctx context.Context, id int64) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/api/v1/rooms/" + itoa(id), auth: true}, nil)
	return err
}

// SetInvolvement sets how much of a room the caller hears about.
func (c *Client) SetInvolvement(ctx context.Context, roomID int64, inv Involvement) (*Room, error) {
	return c.room(ctx, http.MethodPut, "/api/v1/rooms/"+itoa(roomID)+"/involvement", map[string]Involvement{"involvement": inv})
}

// MarkRead clears the caller's unread marker of a room and tells their
// other sockets (room.read).
func (c *Client) MarkRead(ctx context.Context, roomID int64) error {
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/rooms/" + itoa(roomID) + "/read", auth: true}, nil)
	return err
}

func (c *Client) room(ctx context.Context, method, path string, body any) (*Room, error) {
	var r Room
	if _, err := c.do(ctx, request{method: method, path: path, body: body, auth: true}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Messages.

// MessagesOption selects a page of messages. Give at most one cursor
// (Before, After, AfterSeq), or UpdatedSince alone.
type MessagesOption func(url.Values)

// Before selects the newest messages with id < id (scrolling back).
func Before(id int64) MessagesOption { return func(q url.Values) { q.Set("before", itoa(id)) } }

// After selects the oldest messages with id > id; After(0) starts at the
// room's first message.
func After(id int64) MessagesOption { return func(q url.Values) { q.Set("after", itoa(id)) } }

// AfterSeq selects the oldest messages with seq > seq (catching up);
// AfterSeq(0) starts at the room's first message.
func AfterSeq(seq int64) MessagesOption {
	return func(q url.Values) { q.Set("after_seq", itoa(seq)) }
}

// Limit sets the page size (default 40; the server clamps it to 100).
func Limit(n int) MessagesOption { return func(q url.Values) { q.Set("limit", strconv.Itoa(n)) } }

// UpdatedSince selects the messages edited or boosted since t: what a
// client refetches after a reconnect.
func UpdatedSince(t time.Time) MessagesOption {
	return func(q url.Values) { q.Set("updated_since", t.UTC().Format(time.RFC3339Nano)) }
}

func messagesQuery(opts []MessagesOption) url.Values {
	if len(opts) == 0 {
		return nil
	}
	q := url.Values{}
	for _, o := range opts {
		o(q)
	}
	return q
}

// Messages returns a page of a room's messages, oldest first. Without a
// cursor it is the newest page (and marks the room read).
func (c *Client) Messages(ctx context.Context, roomID int64, opts ...MessagesOption) ([]Message, error) {
	return c.messages(ctx, request{method: http.MethodGet, path: "/api/v1/rooms/" + itoa(roomID) + "/messages",
		query: messagesQuery(opts), auth: true})
}

func (c *Client) messages(ctx context.Context, req request) ([]Message, error) {
	var res struct {
		Messages []Message `json:"messages"`
	}
	if _, err := c.do(ctx, req, &res); err != nil {
		return nil, err
	}
	return res.Messages, nil
}

// Message returns one message in a room the caller is in.
func (c *Client) Message(ctx context.Context, id int64) (*Message, error) {
	return c.message(ctx, request{method: http.MethodGet, path: "/api/v1/messages/" + itoa(id), auth: true})
}

// postAttempts and postBackoff bound PostMessage's retries.
const (
	postAttempts = 4
	postBackoff  = 200 * time.Millisecond
)

// PostMessage posts body (Markdown) in a room. clientMessageID makes the
// post idempotent: "" uses a fresh NewClientMessageID. Because the server
// stores a message once per id, PostMessage retries by itself, with the
// same id, when the network fails or the server answers 502/503/504 (up to
// four attempts, with backoff, within ctx); a retry that finds the message
// already stored returns it. Other refusals, 429 included, are returned as
// *Error (see Error.RetryAfter).
func (c *Client) PostMessage(ctx context.Context, roomID int64, body, clientMessageID string) (*Message, error) {
	if clientMessageID == "" {
		clientMessageID = NewClientMessageID()
	}
	req := request{method: http.MethodPost, path: "/api/v1/rooms/" + itoa(roomID) + "/messages", auth: true,
		body: map[string]string{"body": body, "client_message_id": clientMessageID}}
	var err error
	for attempt := range postAttempts {
		if attempt > 0 {
			d := postBackoff << (attempt - 1)
			d = d/2 + rand.N(d/2+1)
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, errors.Join(err, ctx.Err())
			case <-t.C:
			}
		}
		var m *Message
		if m, err = c.message(ctx, req); err == nil {
			return m, nil
		}
		if ctx.Err() != nil || !retryable(err) {
			return nil, err
		}
	}
	return nil, err
}

// EditMessage replaces a message's body (author or admin).
func (c *Client) EditMessage(ctx context.Context, id int64, body string) (*Message, error) {
	return c.message(ctx, request{method: http.MethodPatch, path: "/api/v1/messages/" + itoa(id), auth: true,
		body: map[string]string{"body": body}})
}

// DeleteMessage deletes a message (author or admin).
func (c *Client) DeleteMessage(ctx context.Context, id int64) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/api/v1/messages/" + itoa(id), auth: true}, nil)
	return err
}

func (c *Client) message(ctx context.Context, req request) (*Message, error) {
	var m Message
	if _, err := c.do(ctx, req, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Boost reacts to a message with content (an emoji or up to 16
// characters).
func (c *Client) Boost(ctx context.Context, messageID int64, content string) (*Boost, error) {
	var b Boost
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/messages/" + itoa(messageID) + "/boosts",
		auth: true, body: map[string]string{"content": content}}, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// DeleteBoost removes a boost (the booster only).
func (c *Client) DeleteBoost(ctx context.Context, id int64) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/api/v1/boosts/" + itoa(id), auth: true}, nil)
	return err
}

// Search returns the newest 100 messages matching q in the caller's rooms,
// newest first. A query over 200 bytes is 422 query_too_long.
func (c *Client) Search(ctx context.Context, q string) ([]Message, error) {
	return c.messages(ctx, request{method: http.MethodGet, path: "/api/v1/search",
		query: url.Values{"q": {q}}, auth: true})
}

// Bots, administered.

// CreateBot adds a bot (admin). The answer's Key is shown once; webhookURL
// may be "".
func (c *Client) CreateBot(ctx context.Context, name, webhookURL string) (*Bot, error) {
	return c.bot(ctx, http.MethodPost, "/api/v1/bots", map[string]string{"name": name, "webhook_url": webhookURL})
}

// Bots lists the active bots (admin), without keys.
func (c *Client) Bots(ctx context.Context) ([]Bot, error) {
	var res struct {
		Bots []Bot `json:"bots"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/bots", auth: true}, &res); err != nil {
		return nil, err
	}
	return res.Bots, nil
}

// ResetBotKey issues a new key for a bot (admin); the old one stops
// working at once.
func (c *Client) ResetBotKey(ctx context.Context, botID int64) (*Bot, error) {
	return c.bot(ctx, http.MethodPost, "/api/v1/bots/"+itoa(botID)+"/key", nil)
}

// DeleteBot deactivates a bot (admin); its key stops working.
func (c *Client) DeleteBot(ctx context.Context, botID int64) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/api/v1/bots/" + itoa(botID), auth: true}, nil)
	return err
}

func (c *Client) bot(ctx context.Context, method, path string, body any) (*Bot, error) {
	var b Bot
	if _, err := c.do(ctx, request{method: method, path: path, body: body, auth: true}, &b); err != nil {
		return nil, err
	}
	return &b, nil
}
