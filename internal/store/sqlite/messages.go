package sqlite

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

const (
	messageIDByClientID = `SELECT id FROM messages WHERE room_id = ? AND creator_id = ? AND client_message_id = ?`
	// The seq is the room's counter plus one (see wtx.nextSeq): the writer
	// runs one job at a time, so seqs follow commit order, with no gap but
	// deleted messages. A retry with the same idempotency key inserts
	// nothing, so takes no seq.
	insertMessage = `INSERT INTO messages (room_id, seq, creator_id, client_message_id, body, body_html,
			created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (room_id, creator_id, client_message_id) WHERE client_message_id IS NOT NULL DO NOTHING`
	// Mentions of users that do not exist are dropped rather than failing
	// the post.
	insertMention = `INSERT OR IGNORE INTO mentions (message_id, user_id) SELECT ?, id FROM users WHERE id = ?`
	// insertMentions is the same for a list, used by edits.
	insertMentions = `INSERT OR IGNORE INTO mentions (message_id, user_id)
		SELECT ?, id FROM users WHERE id IN (SELECT value FROM json_each(?))`
	deleteMentions = `DELETE FROM mentions WHERE message_id = ?`
	// clearMembers lists the members a post may mark unread: those whose
	// marker is still clear, through the partial index memberships_clear
	// (its condition is repeated in the WHERE). In a busy room that is a
	// handful (the others are unread already), so the post reads a few
	// index entries and usually writes nothing. Without statistics the
	// planner would pick the primary key and walk every member.
	clearMembers = `SELECT user_id FROM memberships INDEXED BY memberships_clear
		WHERE room_id = ? AND unread_at IS NULL AND involvement <> 'invisible'`
	markUnread = `UPDATE memberships SET unread_at = ?
		WHERE room_id = ? AND user_id IN (SELECT value FROM json_each(?))`

	messageByID  = `SELECT ` + rowscan.MessageCols + ` FROM messages m JOIN users u ON u.id = m.creator_id WHERE m.id = ?`
	messagesFrom = `SELECT ` + rowscan.MessageCols + ` FROM messages m JOIN users u ON u.id = m.creator_id `
	newestPage   = messagesFrom + `WHERE m.room_id = ? ORDER BY m.id DESC LIMIT ?`
	beforePage   = messagesFrom + `WHERE m.room_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?`
	afterPage    = messagesFrom + `WHERE m.room_id = ? AND m.id > ? ORDER BY m.id LIMIT ?`
	afterSeqPage = messagesFrom + `WHERE m.room_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?`
	updatedSince = messagesFrom + `WHERE m.room_id = ? AND m.updated_at > m.created_at AND m.updated_at > ?
		ORDER BY m.updated_at, m.id LIMIT ?`
	mentionsOf = `SELECT message_id, user_id FROM mentions
		WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY message_id, user_id`
	boostsOf = `SELECT ` + rowscan.BoostCols + ` FROM boosts b JOIN users u ON u.id = b.booster_id
		WHERE b.message_id IN (SELECT value FROM json_each(?)) ORDER BY b.id`

	// Edits and boosts move updated_at strictly past created_at (even within
	// the same millisecond) and never back, which is what
	// MessagesUpdatedSince relies on.
	// edited_at gets the same value as updated_at (the right-hand sides
	// read the row as it was).
	editMessage = `UPDATE messages SET body = ?, body_html = ?, updated_at = max(?, updated_at, created_at + 1),
		edited_at = max(?, updated_at, created_at + 1)
		WHERE id = ?`
	touchMessage  = `UPDATE messages SET updated_at = max(?, updated_at, created_at + 1) WHERE id = ?`
	deleteMessage = `DELETE FROM messages WHERE id = ?`

	insertBoost = `INSERT INTO boosts (message_id, booster_id, content, created_at) VALUES (?, ?, ?, ?)`
	boostByID   = `SELECT ` + rowscan.BoostCols + ` FROM boosts b JOIN users u ON u.id = b.booster_id WHERE b.id = ?`
	deleteBoost = `DELETE FROM boosts WHERE id = ? RETURNING message_id`
)

func (s *Store) CreateMessage(ctx context.Context, nm store.NewMessage) (chat.Message, bool, []int64, error) {
	at := rowscan.OrNow(nm.CreatedAt)
	ms := rowscan.ToMillis(at)
	mentions := slices.Clone(nm.Mentions)
	slices.Sort(mentions)
	mentions = slices.Compact(mentions)
	type result struct {
		msg         chat.Message
		created     bool
		newlyUnread []int64
	}
	// Every statement here runs on the one writer goroutine, so each one
	// saved is throughput: the seq comes from the writer's room counters,
	// the creator from its user cache, the idempotency check is the insert
	// itself, and the message is built from what was written rather than
	// read back.
	r, err := submitT(ctx, s.w, jobPost, func(t *wtx) (result, error) {
		creator, err := t.user(nm.CreatorID)
		if err != nil {
			return result{}, fmt.Errorf("creator %d: %w", nm.CreatorID, err)
		}
		if !creator.Active() {
			// Checked in the writer, after any deactivation committed
			// before it: a socket that outlived its user cannot post.
			return result{}, fmt.Errorf("creator %d is %s: %w", nm.CreatorID, creator.Status, chat.ErrForbidden)
		}
		seq, err := t.nextSeq(nm.RoomID)
		if err != nil {
			return result{}, fmt.Errorf("room %d: %w", nm.RoomID, err)
		}
		res, err := t.exec(insertMessage, nm.RoomID, seq, nm.CreatorID, rowscan.NullString(nm.ClientMessageID),
			nm.Body, nm.BodyHTML, ms, ms)
		if err != nil {
			return result{}, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return result{}, err
		} else if n == 0 {
			// A retry: return the original; no seq was taken.
			var id int64
			if err := t.queryRow(messageIDByClientID, nm.RoomID, nm.CreatorID, nm.ClientMessageID).Scan(&id); err != nil {
				return result{}, err
			}
			msg, err := loadMessage(t, id)
			return result{msg: msg}, err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return result{}, err
		}
		t.takeSeq(nm.RoomID, seq, ms)
		t.indexLater(id)
		var att *chat.Attachment
		if nm.Attachment != nil {
			if att, err = insertAttachmentOf(t, id, at, *nm.Attachment); err != nil {
				return result{}, err
			}
		}
		kept := make([]int64, 0, len(mentions))
		for _, uid := range mentions {
			res, err := t.exec(insertMention, id, uid)
			if err != nil {
				return result{}, err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				kept = append(kept, uid)
			}
		}
		clearIDs, err := scanIDs(t.query(clearMembers, nm.RoomID))
		if err != nil {
			return result{}, err
		}
		var newlyUnread []int64
		for _, uid := range clearIDs {
			if uid != nm.CreatorID && !slices.Contains(nm.SkipUnread, uid) {
				newlyUnread = append(newlyUnread, uid)
			}
		}
		if len(newlyUnread) > 0 {
			if _, err := t.exec(markUnread, ms, nm.RoomID, idList(newlyUnread)); err != nil {
				return result{}, err
			}
		}
		msg := chat.Message{
			ID: id, RoomID: nm.RoomID, Seq: seq, CreatorID: nm.CreatorID, ClientMessageID: nm.ClientMessageID,
			Body: nm.Body, BodyHTML: nm.BodyHTML, Creator: creator, Mentions: kept, Boosts: []chat.Boost{},
			CreatedAt: at, UpdatedAt: at, Attachment: att,
		}
		return result{msg: msg, created: true, newlyUnread: newlyUnread}, nil
	})
	if err != nil {
		return chat.Message{}, false, nil, dbErr("create message", err)
	}
	slices.Sort(r.newlyUnread)
	return r.msg, r.created, r.newlyUnread, nil
}

// loadMessage reads one message with its creator, mentions and boosts.
func loadMessage(q querier, id int64) (chat.Message, error) {
	m, err := scanMessage(q.queryRow(messageByID, id))
	if err != nil {
		return chat.Message{}, err
	}
	msgs := []chat.Message{m}
	if err := fillMessages(q, msgs); err != nil {
		return chat.Message{}, err
	}
	return msgs[0], nil
}

func queryMessages(q querier, query string, args ...any) ([]chat.Message, error) {
	rows, err := q.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	msgs := []chat.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return msgs, fillMessages(q, msgs)
}

// fillMessages loads the mentions, boosts and attachments of msgs with one query each,
// whatever the number of messages.
func fillMessages(q querier, msgs []chat.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := fillPreviews(q, msgs); err != nil {
		return err
	}
	ids := make([]int64, len(msgs))
	byID := make(map[int64]*chat.Message, len(msgs))
	for i := range msgs {
		ids[i] = msgs[i].ID
		byID[msgs[i].ID] = &msgs[i]
	}
	list := idList(ids)

	rows, err := q.query(mentionsOf, list)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var mid, uid int64
		if err := rows.Scan(&mid, &uid); err != nil {
			return err
		}
		if m := byID[mid]; m != nil {
			m.Mentions = append(m.Mentions, uid)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()

	rows, err = q.query(boostsOf, list)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		b, err := rowscan.ScanBoost(rows)
		if err != nil {
			return err
		}
		if m := byID[b.MessageID]; m != nil {
			m.Boosts = append(m.Boosts, b)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	return fillAttachments(q, list, byID)
}

func (s *Store) Message(ctx context.Context, id int64) (chat.Message, error) {
	var m chat.Message
	err := s.readTx(ctx, func(q querier) (err error) {
		m, err = loadMessage(q, id)
		return err
	})
	return m, dbErr(fmt.Sprintf("message %d", id), err)
}

func (s *Store) MessageByClientID(ctx context.Context, roomID, creatorID int64, clientMessageID string) (chat.Message, error) {
	var m chat.Message
	err := s.readTx(ctx, func(q querier) error {
		var id int64
		if err := q.queryRow(messageIDByClientID, roomID, creatorID, clientMessageID).Scan(&id); err != nil {
			return err
		}
		var err error
		m, err = loadMessage(q, id)
		return err
	})
	return m, dbErr("message by client id", err)
}

func (s *Store) Messages(ctx context.Context, roomID int64, p store.Page) ([]chat.Message, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = chat.DefaultLimits.DefaultPage
	}
	query, args, newestFirst := newestPage, []any{roomID, limit}, true
	switch {
	case p.Before > 0:
		query, args = beforePage, []any{roomID, p.Before, limit}
	case p.After > 0:
		query, args, newestFirst = afterPage, []any{roomID, p.After, limit}, false
	case p.AfterSeq > 0 || p.Forward:
		query, args, newestFirst = afterSeqPage, []any{roomID, p.AfterSeq, limit}, false
	}
	var msgs []chat.Message
	err := s.readTx(ctx, func(q querier) (err error) {
		msgs, err = queryMessages(q, query, args...)
		return err
	})
	if err != nil {
		return nil, dbErr(fmt.Sprintf("messages of room %d", roomID), err)
	}
	if newestFirst {
		slices.Reverse(msgs)
	}
	return msgs, nil
}

func (s *Store) MessagesUpdatedSince(ctx context.Context, roomID int64, t time.Time, limit int) ([]chat.Message, error) {
	if limit <= 0 {
		limit = chat.DefaultLimits.PageSize
	}
	var msgs []chat.Message
	err := s.readTx(ctx, func(q querier) (err error) {
		msgs, err = queryMessages(q, updatedSince, roomID, rowscan.ToMillis(t), limit)
		return err
	})
	return msgs, dbErr(fmt.Sprintf("messages of room %d updated since %s", roomID, t), err)
}

func (s *Store) UpdateMessage(ctx context.Context, id int64, u store.MessageUpdate) (chat.Message, error) {
	at := rowscan.ToMillis(rowscan.OrNow(u.UpdatedAt))
	m, err := writeT(ctx, s, func(t *wtx) (chat.Message, error) {
		if err := mustAffect(t.exec(editMessage, u.Body, u.BodyHTML, at, at, id)); err != nil {
			return chat.Message{}, err
		}
		if _, err := t.exec(deleteMentions, id); err != nil {
			return chat.Message{}, err
		}
		if len(u.Mentions) > 0 {
			if _, err := t.exec(insertMentions, id, idList(u.Mentions)); err != nil {
				return chat.Message{}, err
			}
		}
		return loadMessage(t, id)
	})
	return m, dbErr(fmt.Sprintf("update message %d", id), err)
}

func (s *Store) DeleteMessage(ctx context.Context, id int64) error {
	// Boosts and mentions go by ON DELETE CASCADE, the search entry by
	// trigger; the room's last_seq is untouched, so the seq is never reused.
	return dbErr(fmt.Sprintf("delete message %d", id), s.write(ctx, func(t *wtx) error {
		return mustAffect(t.exec(deleteMessage, id))
	}))
}

func (s *Store) CreateBoost(ctx context.Context, messageID, boosterID int64, content string) (chat.Boost, error) {
	b, err := writeT(ctx, s, func(t *wtx) (chat.Boost, error) {
		booster, err := t.user(boosterID)
		if err != nil {
			return chat.Boost{}, fmt.Errorf("booster %d: %w", boosterID, err)
		}
		at := rowscan.Now()
		if err := mustAffect(t.exec(touchMessage, rowscan.ToMillis(at), messageID)); err != nil {
			return chat.Boost{}, fmt.Errorf("message %d: %w", messageID, err)
		}
		res, err := t.exec(insertBoost, messageID, boosterID, content, rowscan.ToMillis(at))
		if err != nil {
			return chat.Boost{}, err
		}
		id, err := res.LastInsertId()
		return chat.Boost{ID: id, MessageID: messageID, BoosterID: boosterID, Content: content, Booster: booster,
			CreatedAt: at}, err
	})
	return b, dbErr("create boost", err)
}

func (s *Store) Boost(ctx context.Context, id int64) (chat.Boost, error) {
	b, err := rowscan.ScanBoost(s.read(ctx).queryRow(boostByID, id))
	return b, dbErr(fmt.Sprintf("boost %d", id), err)
}

// DeleteBoost also counts as an update of the message, so a client that
// refetches updated messages after a reconnect sees the boost gone.
func (s *Store) DeleteBoost(ctx context.Context, id int64) error {
	return dbErr(fmt.Sprintf("delete boost %d", id), s.write(ctx, func(t *wtx) error {
		var messageID int64
		if err := t.queryRow(deleteBoost, id).Scan(&messageID); err != nil {
			return err
		}
		_, err := t.exec(touchMessage, rowscan.ToMillis(rowscan.Now()), messageID)
		return err
	}))
}
