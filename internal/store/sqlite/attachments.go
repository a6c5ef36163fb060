package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

const (
	attachmentCols = `message_id, blob_key, filename, content_type, byte_size, coalesce(width, 0), coalesce(height, 0),
		coalesce(thumbnail_key, ''), state, created_at`
	insertAttachment = `INSERT INTO attachments (message_id, blob_key, filename, content_type, byte_size,
			width, height, thumbnail_key, state, created_at)
		VALUES (?, ?, ?, ?, ?, nullif(?, 0), nullif(?, 0), nullif(?, ''), ?, ?)`
	attachmentsOf = `SELECT ` + attachmentCols + ` FROM attachments
		WHERE message_id IN (SELECT value FROM json_each(?))`
	finishThumbnail = `UPDATE attachments SET state = ?, width = nullif(?, 0), height = nullif(?, 0),
			thumbnail_key = nullif(?, '')
		WHERE message_id = ?`
	pendingThumbnails = `SELECT ` + attachmentCols + ` FROM attachments INDEXED BY attachments_pending
		WHERE state = 'pending' AND created_at < ? ORDER BY created_at LIMIT ?`
	roomAttachmentKeys = `SELECT a.blob_key, coalesce(a.thumbnail_key, '') FROM attachments a
		JOIN messages m ON m.id = a.message_id WHERE m.room_id = ?`
)

func scanAttachment(sc rowscan.Scanner) (chat.Attachment, error) {
	var a chat.Attachment
	var created int64
	err := sc.Scan(&a.MessageID, &a.Key, &a.Filename, &a.ContentType, &a.ByteSize, &a.Width, &a.Height,
		&a.ThumbnailKey, (*string)(&a.State), &created)
	a.CreatedAt = rowscan.FromMillis(created)
	return a, err
}

// insertAttachmentOf writes nm's attachment for message id, returning it as
// stored.
func insertAttachmentOf(t *wtx, id int64, at time.Time, a chat.Attachment) (*chat.Attachment, error) {
	a.MessageID, a.CreatedAt = id, at
	if a.State == "" {
		a.State = chat.ThumbnailNone
	}
	if _, err := t.exec(insertAttachment, id, a.Key, a.Filename, a.ContentType, a.ByteSize,
		a.Width, a.Height, a.ThumbnailKey, string(a.State), rowscan.ToMillis(at)); err != nil {
		return nil, fmt.Errorf("attachment: %w", err)
	}
	return &a, nil
}

// fillAttachments loads the attachments of the messages in byID (ids is
// their idList) with one query.
func fillAttachments(q querier, ids string, byID map[int64]*chat.Message) error {
	rows, err := q.query(attachmentsOf, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return err
		}
		if m := byID[a.MessageID]; m != nil {
			m.Attachment = &a
		}
	}
	return rows.Err()
}

func (s *Store) FinishThumbnail(ctx context.Context, messageID int64, r store.ThumbnailResult) (chat.Message, error) {
	at := rowscan.ToMillis(rowscan.OrNow(r.UpdatedAt))
	m, err := writeT(ctx, s, func(t *wtx) (chat.Message, error) {
		if err := mustAffect(t.exec(finishThumbnail, string(r.State), r.Width, r.Height, r.ThumbnailKey, messageID)); err != nil {
			return chat.Message{}, err
		}
		if _, err := t.exec(touchMessage, at, messageID); err != nil {
			return chat.Message{}, err
		}
		return loadMessage(t, messageID)
	})
	return m, dbErr(fmt.Sprintf("finish thumbnail of message %d", messageID), err)
}

func (s *Store) PendingThumbnails(ctx context.Context, before time.Time, limit int) ([]chat.Attachment, error) {
	rows, err := s.read(ctx).query(pendingThumbnails, rowscan.ToMillis(before), limit)
	as, err := collect(rows, err, scanAttachment)
	return as, dbErr("pending thumbnails", err)
}

func (s *Store) RoomAttachmentKeys(ctx context.Context, roomID int64) ([]string, error) {
	rows, err := s.read(ctx).query(roomAttachmentKeys, roomID)
	if err != nil {
		return nil, dbErr("attachment keys", err)
	}
	defer rows.Close()
	keys := []string{}
	for rows.Next() {
		var k, thumb string
		if err := rows.Scan(&k, &thumb); err != nil {
			return nil, dbErr("attachment keys", err)
		}
		keys = append(keys, k)
		if thumb != "" {
			keys = append(keys, thumb)
		}
	}
	return keys, dbErr("attachment keys", rows.Err())
}
