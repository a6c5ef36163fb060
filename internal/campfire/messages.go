package campfire

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/render"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/wire"
)

// PostMessage is the one path every message takes, from the API, the cable
// and bots: authorize, validate, render once, commit, then publish. A retry
// with the same clientMessageID returns the original with created=false.
func (c *Core) PostMessage(ctx context.Context, u chat.User, roomID int64, body, clientMessageID string) (chat.Message, bool, error) {
	start := time.Now()
	l := c.opts.Limits
	if err := chat.CheckBody(body, l); err != nil {
		return chat.Message{}, false, err
	}
	if err := chat.CheckClientMessageID(clientMessageID, l); err != nil {
		return chat.Message{}, false, err
	}
	room, err := c.RoomForUser(ctx, u, roomID)
	if err != nil {
		return chat.Message{}, false, err
	}
	// A retry of a message already stored is answered without spending the
	// posting budget: a client resending after a lost reply must get its
	// message back, not a 429. One indexed read; the store's idempotency
	// stays the arbiter: a retry racing its first attempt misses here and
	// is deduplicated by CreateMessage.
	if clientMessageID != "" {
		m, err := c.store.MessageByClientID(ctx, roomID, u.ID, clientMessageID)
		if err == nil {
			c.publishRetry(ctx, m)
			return m, false, nil
		}
		if !errors.Is(err, chat.ErrNotFound) {
			return chat.Message{}, false, err
		}
	}
	if err := c.limit(ctx, c.postBudget(u), keyUser(u.ID), postCost(body), "posting", failOpen); err != nil {
		return chat.Message{}, false, err
	}
	html, mentions, err := c.renderBody(ctx, roomID, body)
	if err != nil {
		return chat.Message{}, false, err
	}
	// Once rendered, the write goes through even if the client hangs up:
	// a commit the caller never hears about would otherwise also go
	// unpublished until the next post fills the gap.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	m, created, unread, err := c.store.CreateMessage(wctx, store.NewMessage{
		RoomID: roomID, CreatorID: u.ID, ClientMessageID: clientMessageID,
		Body: body, BodyHTML: html, Mentions: mentions,
		SkipUnread: c.online(ctx, roomID), CreatedAt: c.now().UTC(),
	})
	if errors.Is(err, chat.ErrForbidden) {
		return chat.Message{}, false, chat.Forbidden("your account is deactivated")
	}
	if err != nil {
		return chat.Message{}, false, notFoundAs(err, "room")
	}
	if !created {
		c.publishRetry(ctx, m)
		return m, false, nil
	}
	if c.opts.OnMessage != nil {
		c.opts.OnMessage(time.Since(start))
	}
	c.publish(ctx, broker.Event{
		Type: wire.TypeMessageCreated, RoomID: roomID, Seq: m.Seq,
		Frame: wire.MessageFrame(wire.TypeMessageCreated, wire.NewMessage(m)),
	})
	c.publishToUsers(ctx, wire.TypeRoomUnread, unread, wire.RoomIDFrame(wire.TypeRoomUnread, roomID))
	c.notifyBots(ctx, room.Room, m)
	c.pushLater(room.Room, m)
	c.queuePreview(m)
	return m, true, nil
}

// publishRetry publishes a retried message again: its first attempt may
// have committed without being published (the poster timed out).
// Publishing twice is harmless, as hubs drop a seq they already delivered.
func (c *Core) publishRetry(ctx context.Context, m chat.Message) {
	c.publish(ctx, broker.Event{
		Type: wire.TypeMessageCreated, RoomID: m.RoomID, Seq: m.Seq,
		Frame: wire.MessageFrame(wire.TypeMessageCreated, wire.NewMessage(m)),
	})
}

// renderBody renders Markdown, resolving @mentions against the room's
// members. The member list is read only when the body could mention anyone.
func (c *Core) renderBody(ctx context.Context, roomID int64, body string) (string, []int64, error) {
	var members []render.Mentionable
	if strings.Contains(body, "@") {
		ms, err := c.store.Members(ctx, roomID)
		if err != nil {
			return "", nil, err
		}
		members = make([]render.Mentionable, len(ms))
		for i, m := range ms {
			members[i] = render.Mentionable{ID: m.User.ID, Name: m.User.Name}
		}
	}
	html, mentions := c.render.Render(body, members)
	return html, mentions, nil
}

// Page is a request for a window of a room's messages.
type Page struct {
	Before, After, AfterSeq int64
	// Forward pages oldest first from After/AfterSeq even when they are 0
	// (after_seq=0: from the room's first message).
	Forward bool
	Limit   int
}

// Messages pages through a room the caller is a member of. Reading the
// newest page counts as reading the room.
func (c *Core) Messages(ctx context.Context, u chat.User, roomID int64, p Page) ([]chat.Message, error) {
	room, err := c.RoomForUser(ctx, u, roomID)
	if err != nil {
		return nil, err
	}
	set := 0
	for _, v := range []int64{p.Before, p.After, p.AfterSeq} {
		if v < 0 {
			return nil, chat.Invalid("invalid_cursor", "before, after and after_seq must be positive")
		}
		if v > 0 {
			set++
		}
	}
	if set > 1 || (p.Forward && p.Before > 0) {
		return nil, chat.Invalid("invalid_cursor", "use only one of before, after and after_seq")
	}
	l := c.opts.Limits
	if p.Limit <= 0 {
		p.Limit = l.DefaultPage
	}
	p.Limit = min(p.Limit, l.PageSize)
	ms, err := c.store.Messages(ctx, roomID, store.Page{Before: p.Before, After: p.After, AfterSeq: p.AfterSeq, Forward: p.Forward, Limit: p.Limit})
	if err != nil {
		return nil, err
	}
	// Only an unread room needs the write (every page load reads the
	// newest page).
	if set == 0 && !p.Forward && room.Unread {
		if err := c.markRead(ctx, u, roomID); err != nil {
			c.log.Warn("marking room read", "room", roomID, "user", u.ID, "err", err)
		}
	}
	return ms, nil
}

// MessagesUpdatedSince lists messages edited or boosted after t, for a
// client catching up after a reconnect.
func (c *Core) MessagesUpdatedSince(ctx context.Context, u chat.User, roomID int64, t time.Time) ([]chat.Message, error) {
	if _, err := c.RoomForUser(ctx, u, roomID); err != nil {
		return nil, err
	}
	return c.store.MessagesUpdatedSince(ctx, roomID, t, c.opts.Limits.PageSize)
}

// MessagesAfter serves the hub's replay and gap filling; the caller has
// already authorized the room.
func (c *Core) MessagesAfter(ctx context.Context, roomID, afterSeq int64, limit int) ([]chat.Message, error) {
	return c.store.Messages(ctx, roomID, store.Page{AfterSeq: afterSeq, Forward: true, Limit: limit})
}

// Message returns one message the caller may see.
func (c *Core) Message(ctx context.Context, u chat.User, id int64) (chat.Message, error) {
	m, err := c.store.Message(ctx, id)
	if err != nil {
		return m, notFoundAs(err, "message")
	}
	if _, err := c.store.RoomForUser(ctx, m.RoomID, u.ID); err != nil {
		return chat.Message{}, notFoundAs(err, "message")
	}
	return m, nil
}

func canEdit(u chat.User, m chat.Message) bool { return m.CreatorID == u.ID || u.IsAdmin() }

// UpdateMessage edits a message (author or admin).
func (c *Core) UpdateMessage(ctx context.Context, u chat.User, id int64, body string) (chat.Message, error) {
	m, err := c.Message(ctx, u, id)
	if err != nil {
		return m, err
	}
	if !canEdit(u, m) {
		return m, chat.Forbidden("only the author or an administrator can edit this message")
	}
	if err := chat.CheckBody(body, c.opts.Limits); err != nil {
		return m, err
	}
	if err := c.limit(ctx, c.postBudget(u), keyUser(u.ID), postCost(body), "editing", failOpen); err != nil {
		return m, err
	}
	html, mentions, err := c.renderBody(ctx, m.RoomID, body)
	if err != nil {
		return m, err
	}
	m, err = c.store.UpdateMessage(ctx, id, store.MessageUpdate{Body: body, BodyHTML: html, Mentions: mentions, UpdatedAt: c.now().UTC()})
	if err != nil {
		return m, notFoundAs(err, "message")
	}
	c.publish(ctx, broker.Event{Type: wire.TypeMessageUpdated, RoomID: m.RoomID,
		Frame: wire.MessageFrame(wire.TypeMessageUpdated, wire.NewMessage(m))})
	c.queuePreview(m)
	return m, nil
}

// DeleteMessage deletes a message (author or admin).
func (c *Core) DeleteMessage(ctx context.Context, u chat.User, id int64) error {
	m, err := c.Message(ctx, u, id)
	if err != nil {
		return err
	}
	if !canEdit(u, m) {
		return chat.Forbidden("only the author or an administrator can delete this message")
	}
	if err := c.store.DeleteMessage(ctx, id); err != nil {
		return notFoundAs(err, "message")
	}
	c.deleteAttachment(ctx, m.Attachment)
	c.publish(ctx, broker.Event{Type: wire.TypeMessageDeleted, RoomID: m.RoomID,
		Frame: wire.MessageDeletedFrame(m.RoomID, id)})
	if m.Preview != nil {
		c.deleteBlob(ctx, m.Preview.ImageKey)
	}
	return nil
}

// Boost adds a reaction to a message in a room the caller is in.
func (c *Core) Boost(ctx context.Context, u chat.User, messageID int64, content string) (chat.Boost, error) {
	content, err := chat.CleanBoost(content, c.opts.Limits)
	if err != nil {
		return chat.Boost{}, err
	}
	m, err := c.Message(ctx, u, messageID)
	if err != nil {
		return chat.Boost{}, err
	}
	if err := c.limit(ctx, c.postBudget(u), keyUser(u.ID), 1, "boosting", failOpen); err != nil {
		return chat.Boost{}, err
	}
	b, err := c.store.CreateBoost(ctx, messageID, u.ID, content)
	if err != nil {
		return b, notFoundAs(err, "message")
	}
	c.publish(ctx, broker.Event{Type: wire.TypeBoostCreated, RoomID: m.RoomID,
		Frame: wire.BoostCreatedFrame(m.RoomID, wire.NewBoost(b))})
	return b, nil
}

// Unboost removes a boost; only its booster may.
func (c *Core) Unboost(ctx context.Context, u chat.User, boostID int64) error {
	b, err := c.store.Boost(ctx, boostID)
	if err != nil {
		return notFoundAs(err, "boost")
	}
	m, err := c.Message(ctx, u, b.MessageID)
	if err != nil {
		return notFoundAs(err, "boost")
	}
	if b.BoosterID != u.ID {
		return chat.Forbidden("only the person who boosted can remove a boost")
	}
	if err := c.store.DeleteBoost(ctx, boostID); err != nil {
		return notFoundAs(err, "boost")
	}
	c.publish(ctx, broker.Event{Type: wire.TypeBoostDeleted, RoomID: m.RoomID,
		Frame: wire.BoostDeletedFrame(m.RoomID, m.ID, boostID)})
	return nil
}

// Search finds the newest matches in the caller's rooms.
func (c *Core) Search(ctx context.Context, u chat.User, q string) ([]chat.Message, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return []chat.Message{}, nil
	}
	if len(q) > c.opts.Limits.SearchBytes {
		return nil, chat.Invalid("query_too_long", "search is limited to %d bytes", c.opts.Limits.SearchBytes)
	}
	if !utf8.ValidString(q) || strings.ContainsFunc(q, unicode.IsControl) {
		return nil, chat.Invalid("invalid_query", "search can't contain control characters")
	}
	return c.store.Search(ctx, u.ID, q, c.opts.Limits.SearchResults)
}

func keyUser(id int64) string { return "u" + itoa(id) }

// writeTimeout bounds a write that no longer follows its caller's context.
const writeTimeout = 10 * time.Second
