package sqlite

import (
	"context"

	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

const (
	// An endpoint already stored is taken over: the browser profile now
	// notifies whoever subscribed it last. updated_at is kept strictly above
	// the person's newest, so the cap evicts in save order within a millisecond.
	savePush = `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?5,
			max(?5, coalesce((SELECT max(updated_at) FROM push_subscriptions WHERE user_id = ?1), 0) + 1))
		ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh,
			auth = excluded.auth, updated_at = excluded.updated_at
		RETURNING id, created_at, updated_at`
	trimPush = `DELETE FROM push_subscriptions WHERE user_id = ?1 AND id NOT IN (
		SELECT id FROM push_subscriptions WHERE user_id = ?1 ORDER BY updated_at DESC, id DESC LIMIT ?2)`
	deletePush   = `DELETE FROM push_subscriptions WHERE user_id = ? AND endpoint = ?`
	expirePush   = `DELETE FROM push_subscriptions WHERE id = ?`
	pushForUsers = `SELECT id, user_id, endpoint, p256dh, auth, created_at, updated_at FROM push_subscriptions
		WHERE user_id IN (SELECT value FROM json_each(?)) ORDER BY user_id, id`
	pushTargets = `SELECT ps.id, ps.user_id, ps.endpoint, ps.p256dh, ps.auth, ps.created_at, ps.updated_at, m.involvement
		FROM push_subscriptions ps
		JOIN memberships m ON m.room_id = ?1 AND m.user_id = ps.user_id
		JOIN users u ON u.id = ps.user_id
		WHERE ps.user_id <> ?2 AND u.status = 'active' AND u.role <> 'bot'
			AND m.involvement IN ('everything', 'mentions')
		ORDER BY ps.user_id, ps.id`
	unreadRoomCounts = `SELECT user_id, count(*) FROM memberships
		WHERE user_id IN (SELECT value FROM json_each(?)) AND unread_at IS NOT NULL AND involvement <> 'invisible'
		GROUP BY user_id`
	insertVAPID = `INSERT INTO vapid_keys (id, public_key, private_key, created_at) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`
	selectVAPID = `SELECT public_key, private_key FROM vapid_keys WHERE id = 1`
)

func (s *Store) SavePushSubscription(ctx context.Context, p store.PushSubscription, limit int) (store.PushSubscription, error) {
	limit = max(limit, 1)
	now := rowscan.ToMillis(rowscan.Now())
	err := s.write(ctx, func(t *wtx) error {
		var created, updated int64
		if err := t.queryRow(savePush, p.UserID, p.Endpoint, p.P256dh, p.Auth, now).Scan(&p.ID, &created, &updated); err != nil {
			return err
		}
		p.CreatedAt, p.UpdatedAt = rowscan.FromMillis(created), rowscan.FromMillis(updated)
		_, err := t.exec(trimPush, p.UserID, limit)
		return err
	})
	return p, dbErr("save push subscription", err)
}

func (s *Store) DeletePushSubscription(ctx context.Context, userID int64, endpoint string) error {
	return dbErr("delete push subscription", s.write(ctx, func(t *wtx) error {
		return mustAffect(t.exec(deletePush, userID, endpoint))
	}))
}

func (s *Store) ExpirePushSubscription(ctx context.Context, id int64) error {
	return dbErr("expire push subscription", s.write(ctx, func(t *wtx) error {
		_, err := t.exec(expirePush, id)
		return err
	}))
}

func (s *Store) PushSubscriptionsFor(ctx context.Context, userIDs []int64) ([]store.PushSubscription, error) {
	out := []store.PushSubscription{}
	if len(userIDs) == 0 {
		return out, nil
	}
	rows, err := s.read(ctx).query(pushForUsers, idList(userIDs))
	if err != nil {
		return nil, dbErr("push subscriptions", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p store.PushSubscription
		var created, updated int64
		if err := rows.Scan(&p.ID, &p.UserID, &p.Endpoint, &p.P256dh, &p.Auth, &created, &updated); err != nil {
			return nil, dbErr("push subscriptions", err)
		}
		p.CreatedAt, p.UpdatedAt = rowscan.FromMillis(created), rowscan.FromMillis(updated)
		out = append(out, p)
	}
	return out, dbErr("push subscriptions", rows.Err())
}

func (s *Store) PushTargets(ctx context.Context, roomID, exceptUserID int64) ([]store.PushTarget, error) {
	out := []store.PushTarget{}
	rows, err := s.read(ctx).query(pushTargets, roomID, exceptUserID)
	if err != nil {
		return nil, dbErr("push targets", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p store.PushTarget
		var created, updated int64
		if err := rows.Scan(&p.ID, &p.UserID, &p.Endpoint, &p.P256dh, &p.Auth, &created, &updated, &p.Involvement); err != nil {
			return nil, dbErr("push targets", err)
		}
		p.CreatedAt, p.UpdatedAt = rowscan.FromMillis(created), rowscan.FromMillis(updated)
		out = append(out, p)
	}
	return out, dbErr("push targets", rows.Err())
}

func (s *Store) UnreadRoomCounts(ctx context.Context, userIDs []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(userIDs) == 0 {
		return out, nil
	}
	rows, err := s.read(ctx).query(unreadRoomCounts, idList(userIDs))
	if err != nil {
		return nil, dbErr("unread room counts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, dbErr("unread room counts", err)
		}
		out[id] = n
	}
	return out, dbErr("unread room counts", rows.Err())
}

func (s *Store) VAPIDKeys(ctx context.Context, candidate store.VAPIDKeys) (store.VAPIDKeys, error) {
	var k store.VAPIDKeys
	err := s.write(ctx, func(t *wtx) error {
		if _, err := t.exec(insertVAPID, candidate.PublicKey, candidate.PrivateKey, rowscan.ToMillis(rowscan.Now())); err != nil {
			return err
		}
		return t.queryRow(selectVAPID).Scan(&k.PublicKey, &k.PrivateKey)
	})
	return k, dbErr("vapid keys", err)
}
