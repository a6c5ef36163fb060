package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

const (
	// attachmentJoin and attachmentSelect extend messagesFrom: every read
	// of messages carries its attachment, NULLs when there is none.
	attachmentJoin   = ` LEFT JOIN attachments a ON a.message_id = m.id `
	attachmentSelect = `, a.blob_key, a.filename, a.content_type, a.byte_size, a.width, a.height, a.thumbnail_key,
		a.state, a.created_at`
	// postAttachment is the CTE postMessage adds for a message with a file
	// ($9 NULL when there is none).
	postAttachment = `, att AS (
			INSERT INTO attachments (message_id, blob_key, filename, content_type, byte_size, state, created_at)
			SELECT ins.id, $9, $10, $11, $12, $13, $6 FROM ins WHERE $9::text IS NOT NULL
		)`

	attachmentCols = `message_id, blob_key, filename, content_type, byte_size, coalesce(width, 0), coalesce(height, 0),
		coalesce(thumbnail_key, ''), state, created_at`
	finishThumbnail = `UPDATE attachments SET state = $1, width = nullif($2, 0), height = nullif($3, 0),
			thumbnail_key = nullif($4, '')
		WHERE message_id = $5`
	pendingThumbnails = `SELECT ` + attachmentCols + ` FROM attachments
		WHERE state = 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2`
	roomAttachmentKeys = `SELECT a.blob_key, coalesce(a.thumbnail_key, '') FROM attachments a
		JOIN messages m ON m.id = a.message_id WHERE m.room_id = $1`
)

// attachmentArgs are postAttachment's parameters ($9…$13).
func attachmentArgs(a *chat.Attachment) []any {
	if a == nil {
		return []any{nil, nil, nil, nil, nil}
	}
	state := a.State
	if state == "" {
		state = chat.ThumbnailNone
	}
	return []any{a.Key, a.Filename, a.ContentType, a.ByteSize, string(state)}
}

// attachmentScan reads attachmentSelect.
type attachmentScan struct {
	key, filename, contentType, thumb, state *string
	size, width, height, created             *int64
}

func (s *attachmentScan) dest() []any {
	return []any{&s.key, &s.filename, &s.contentType, &s.size, &s.width, &s.height, &s.thumb, &s.state, &s.created}
}

func (s *attachmentScan) attachment(messageID int64) *chat.Attachment {
	if s.key == nil {
		return nil
	}
	a := &chat.Attachment{MessageID: messageID, Key: *s.key, Filename: deref(s.filename), ContentType: deref(s.contentType),
		ThumbnailKey: deref(s.thumb), State: chat.ThumbnailState(deref(s.state))}
	if s.size != nil {
		a.ByteSize = *s.size
	}
	if s.width != nil && s.height != nil {
		a.Width, a.Height = int(*s.width), int(*s.height)
	}
	if s.created != nil {
		a.CreatedAt = rowscan.FromMillis(*s.created)
	}
	return a
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func scanAttachment(sc rowscan.Scanner) (chat.Attachment, error) {
	var a chat.Attachment
	var created, w, h int64
	err := sc.Scan(&a.MessageID, &a.Key, &a.Filename, &a.ContentType, &a.ByteSize, &w, &h,
		&a.ThumbnailKey, (*string)(&a.State), &created)
	a.Width, a.Height = int(w), int(h)
	a.CreatedAt = rowscan.FromMillis(created)
	return a, err
}

func (s *Store) FinishThumbnail(ctx context.Context, messageID int64, r store.ThumbnailResult) (m chat.Message, err error) {
	at := rowscan.ToMillis(rowscan.OrNow(r.UpdatedAt))
	err = s.tx(ctx, func(q querier) error {
		if err := mustAffect(q.exec(finishThumbnail, string(r.State), int64(r.Width), int64(r.Height), r.ThumbnailKey, messageID)); err != nil {
			return err
		}
		if _, err := q.exec(touchMessage, at, messageID); err != nil {
			return err
		}
		m, err = loadMessage(q, messageID)
		return err
	})
	return m, dbErr(fmt.Sprintf("finish thumbnail of message %d", messageID), err)
}

func (s *Store) PendingThumbnails(ctx context.Context, before time.Time, limit int) (as []chat.Attachment, err error) {
	err = s.run(ctx, func(q querier) error {
		rows, err := q.query(pendingThumbnails, rowscan.ToMillis(before), limit)
		as, err = collect(rows, err, scanAttachment)
		return err
	})
	return as, dbErr("pending thumbnails", err)
}

func (s *Store) RoomAttachmentKeys(ctx context.Context, roomID int64) (keys []string, err error) {
	err = s.run(ctx, func(q querier) error {
		rows, err := q.query(roomAttachmentKeys, roomID)
		if err != nil {
			return err
		}
		defer rows.Close()
		keys = []string{}
		for rows.Next() {
			var k, thumb string
			if err := rows.Scan(&k, &thumb); err != nil {
				return err
			}
			keys = append(keys, k)
			if thumb != "" {
				keys = append(keys, thumb)
			}
		}
		return rows.Err()
	})
	return keys, dbErr("attachment keys", err)
}

// attachment is the job's attachment as stored with message id.
func (j *postJob) attachment(id int64) *chat.Attachment {
	if j.nm.Attachment == nil {
		return nil
	}
	a := *j.nm.Attachment
	a.MessageID, a.CreatedAt = id, j.at
	if a.State == "" {
		a.State = chat.ThumbnailNone
	}
	a.Filename, a.ContentType = CleanText(a.Filename), CleanText(a.ContentType)
	return &a
}
