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
	previewCols = `message_id, url, title, description, site_name, image_key, image_type, created_at`
	previewsOf  = `SELECT ` + previewCols + ` FROM link_previews
		WHERE message_id = ANY($1)`
	upsertPreview = `INSERT INTO link_previews (` + previewCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (message_id) DO UPDATE SET url = excluded.url, title = excluded.title,
			description = excluded.description, site_name = excluded.site_name,
			image_key = excluded.image_key, image_type = excluded.image_type, created_at = excluded.created_at`
	deletePreview = `DELETE FROM link_previews WHERE message_id = $1`
	setLogo       = `UPDATE accounts SET logo_key = $1 WHERE id = 1 RETURNING ` + rowscan.AccountCols
)

var setUserAvatar = `UPDATE users SET avatar_key = $1, updated_at = $2 WHERE id = $3 RETURNING ` + rowscan.UserReturning

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
	if len(msgs) == 0 {
		return nil
	}
	ids := make([]int64, len(msgs))
	byID := make(map[int64]*chat.Message, len(msgs))
	for i := range msgs {
		ids[i] = msgs[i].ID
		byID[msgs[i].ID] = &msgs[i]
	}
	rows, err := q.query(previewsOf, ids)
	_, err = collect(rows, err, func(sc rowscan.Scanner) (struct{}, error) {
		p, err := scanPreview(sc)
		if m := byID[p.MessageID]; err == nil && m != nil {
			m.Preview = &p
		}
		return struct{}{}, err
	})
	return err
}

func (s *Store) SetLinkPreview(ctx context.Context, p chat.LinkPreview, at time.Time) (m chat.Message, err error) {
	ms := rowscan.ToMillis(rowscan.OrNow(at))
	err = s.tx(ctx, func(q querier) error {
		// The message must exist: the foreign key would refuse the insert,
		// but as a constraint error rather than not-found.
		if err := mustAffect(q.exec(touchMessage, ms, p.MessageID)); err != nil {
			return err
		}
		if _, err := q.exec(upsertPreview, p.MessageID, p.URL, p.Title, p.Description, p.SiteName,
			p.ImageKey, p.ImageType, ms); err != nil {
			return err
		}
		m, err = loadMessage(q, p.MessageID)
		return err
	})
	return m, dbErr(fmt.Sprintf("set preview of message %d", p.MessageID), err)
}

func (s *Store) DeleteLinkPreview(ctx context.Context, messageID int64, at time.Time) (m chat.Message, err error) {
	ms := rowscan.ToMillis(rowscan.OrNow(at))
	err = s.tx(ctx, func(q querier) error {
		if err := mustAffect(q.exec(deletePreview, messageID)); err != nil {
			return err
		}
		if _, err := q.exec(touchMessage, ms, messageID); err != nil {
			return err
		}
		m, err = loadMessage(q, messageID)
		return err
	})
	return m, dbErr(fmt.Sprintf("delete preview of message %d", messageID), err)
}

func (s *Store) SetUserAvatar(ctx context.Context, userID int64, key string, at time.Time) (u chat.User, err error) {
	err = s.run(ctx, func(q querier) error {
		u, err = rowscan.ScanUser(q.queryRow(setUserAvatar, key, rowscan.ToMillis(rowscan.OrNow(at)), userID))
		return err
	})
	return u, dbErr(fmt.Sprintf("set avatar of user %d", userID), err)
}

func (s *Store) SetAccountLogo(ctx context.Context, key string) (a chat.Account, err error) {
	err = s.run(ctx, func(q querier) error {
		a, err = rowscan.ScanAccount(q.queryRow(setLogo, key))
		return err
	})
	return a, dbErr("set account logo", err)
}
