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
	previewCols = `message_id, url, title, description, site_name, image_key, image_type, created_at`
	previewsOf  = `SELECT ` + previewCols + ` FROM link_previews
		WHERE message_id IN (SELECT value FROM json_each(?))`
	upsertPreview = `INSERT INTO link_previews (` + previewCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (message_id) DO UPDATE SET url = excluded.url, title = excluded.title,
			description = excluded.description, site_name = excluded.site_name,
			image_key = excluded.image_key, image_type = excluded.image_type, created_at = excluded.created_at`
	deletePreview = `DELETE FROM link_previews WHERE message_id = ?`
	setLogo       = `UPDATE accounts SET logo_key = ? WHERE id = 1 RETURNING ` + rowscan.AccountCols
)

var setUserAvatar = `UPDATE users SET avatar_key = ?, updated_at = ? WHERE id = ? RETURNING ` + rowscan.UserReturning

var _ store.Previews = (*Store)(nil)

func scanPreview(sc rowscan.Scanner) (chat.LinkPreview, error) {
	var p chat.LinkPreview
	var created int64
	err := sc.Scan(&p.MessageID, &p.URL, &p.Title, &p.Description, &p.SiteName, &p.ImageKey, &p.ImageType, &created)
	p.CreatedAt = rowscan.FromMillis(created)
	return p, err
}

// fillPreviews loads the previews of msgs with one query.
func fillPreviews(q querier, msgs []chat.Message) error {
	ids := make([]int64, len(msgs))
	byID := make(map[int64]*chat.Message, len(msgs))
	for i := range msgs {
		ids[i] = msgs[i].ID
		byID[msgs[i].ID] = &msgs[i]
	}
	rows, err := q.query(previewsOf, idList(ids))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPreview(rows)
		if err != nil {
			return err
		}
		if m := byID[p.MessageID]; m != nil {
			m.Preview = &p
		}
	}
	return rows.Err()
}

func (s *Store) SetLinkPreview(ctx context.Context, p chat.LinkPreview, at time.Time) (chat.Message, error) {
	ms := rowscan.ToMillis(rowscan.OrNow(at))
	m, err := writeT(ctx, s, func(t *wtx) (chat.Message, error) {
		// The message must exist: the foreign key would refuse the insert,
		// but as a constraint error rather than not-found.
		if err := mustAffect(t.exec(touchMessage, ms, p.MessageID)); err != nil {
			return chat.Message{}, err
		}
		if _, err := t.exec(upsertPreview, p.MessageID, p.URL, p.Title, p.Description, p.SiteName,
			p.ImageKey, p.ImageType, ms); err != nil {
			return chat.Message{}, err
		}
		return loadMessage(t, p.MessageID)
	})
	return m, dbErr(fmt.Sprintf("set preview of message %d", p.MessageID), err)
}

func (s *Store) DeleteLinkPreview(ctx context.Context, messageID int64, at time.Time) (chat.Message, error) {
	ms := rowscan.ToMillis(rowscan.OrNow(at))
	m, err := writeT(ctx, s, func(t *wtx) (chat.Message, error) {
		if err := mustAffect(t.exec(deletePreview, messageID)); err != nil {
			return chat.Message{}, err
		}
		if _, err := t.exec(touchMessage, ms, messageID); err != nil {
			return chat.Message{}, err
		}
		return loadMessage(t, messageID)
	})
	return m, dbErr(fmt.Sprintf("delete preview of message %d", messageID), err)
}

func (s *Store) SetUserAvatar(ctx context.Context, userID int64, key string, at time.Time) (chat.User, error) {
	u, err := writeT(ctx, s, func(t *wtx) (chat.User, error) {
		t.forgetUser(userID)
		return rowscan.ScanUser(t.queryRow(setUserAvatar, key, rowscan.ToMillis(rowscan.OrNow(at)), userID))
	})
	return u, dbErr(fmt.Sprintf("set avatar of user %d", userID), err)
}

func (s *Store) SetAccountLogo(ctx context.Context, key string) (chat.Account, error) {
	a, err := writeT(ctx, s, func(t *wtx) (chat.Account, error) {
		return rowscan.ScanAccount(t.queryRow(setLogo, key))
	})
	return a, dbErr("set account logo", err)
}
