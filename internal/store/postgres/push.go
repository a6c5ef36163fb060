package postgres

import (
	"context"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

const (
	// One person's subscriptions are saved one at a time, so the trim that
	// follows sees every row it must count (under READ COMMITTED two
	// concurrent trims would each miss the other's insert).
	lockPush = `SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':push:' || $1::bigint::text, 0))`
	// An endpoint already stored is taken over: the browser profile now
	// notifies whoever subscribed it last. updated_at is kept strictly above
	// the person's newest, so the cap evicts in save order within a millisecond.
	savePush = `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5,
			greatest($5, coalesce((SELECT max(updated_at) FROM push_subscriptions WHERE user_id = $1), 0) + 1))
		ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh,
			auth = excluded.auth, updated_at = excluded.updated_at
		RETURNING id, created_at, updated_at`
	trimPush = `DELETE FROM push_subscriptions WHERE user_id = $1 AND id NOT IN (
		SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY updated_at DESC, id DESC LIMIT $2)`
	deletePush   = `DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2`
	expirePush   = `DELETE FROM push_subscriptions WHERE id = $1`
	pushForUsers = `SELECT id, user_id, endpoint, p256dh, auth, created_at, updated_at FROM push_subscriptions
		WHERE user_id = ANY($1) ORDER BY user_id, id`
	pushTargets = `SELECT ps.id, ps.user_id, ps.endpoint, ps.p256dh, ps.auth, ps.created_at, ps.updated_at, m.involvement
		FROM push_subscriptions ps
		JOIN memberships m ON m.room_id = $1 AND m.user_id = ps.user_id
		JOIN users u ON u.id = ps.user_id
		WHERE ps.user_id <> $2 AND u.status = 'active' AND u.role <> 'bot'
			AND m.involvement IN ('everything', 'mentions')
		ORDER BY ps.user_id, ps.id`
	unreadRoomCounts = `SELECT user_id, count(*) FROM memberships
		WHERE user_id = ANY($1) AND unread_at IS NOT NULL AND involvement <> 'invisible'
		GROUP BY user_id`
	insertVAPID = `INSERT INTO vapid_keys (id, public_key, private_key, created_at) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO NOTHING`
	selectVAPID = `SELECT public_key, private_key FROM vapid_keys WHERE id = 1`
)

func (s *Store) SavePushSubscription(ctx context.Context, p store.PushSubscription, limit int) (store.PushSubscription, error) {
	limit = max(limit, 1)
	now := rowscan.ToMillis(rowscan.Now())
	err := s.tx(ctx, func(q querier) error {
		if _, err := q.exec(lockPush, p.UserID); err != nil {
			return err
		}
		var created, updated int64
		if err := q.queryRow(savePush, p.UserID, p.Endpoint, p.P256dh, p.Auth, now).Scan(&p.ID, &created, &updated); err != nil {
			return err
		}
		p.CreatedAt, p.UpdatedAt = rowscan.FromMillis(created), rowscan.FromMillis(updated)
		_, err := q.exec(trimPush, p.UserID, limit)
		return err
	})
	return p, dbErr("save push subscription", err)
}

func (s *Store) DeletePushSubscription(ctx context.Context, userID int64, endpoint string) error {
	return dbErr("delete push subscription", s.run(ctx, func(q querier) error {
		return mustAffect(q.exec(deletePush, userID, endpoint))
	}))
}

func (s *Store) ExpirePushSubscription(ctx context.Context, id int64) error {
	return dbErr("expire push subscription", s.run(ctx, func(q querier) error {
		_, err := q.exec(expirePush, id)
		return err
	}))
}

func (s *Store) PushSubscriptionsFor(ctx context.Context, userIDs []int64) ([]store.PushSubscription, error) {
	out := []store.PushSubscription{}
	if len(userIDs) == 0 {
		return out, nil
	}
	err := s.run(ctx, func(q querier) error {
		rows, err := q.query(pushForUsers, userIDs)
		got, err := collect(rows, err, func(sc rowscan.Scanner) (p store.PushSubscription, err error) {
			var created, updated int64
			err = sc.Scan(&p.ID, &p.UserID, &p.Endpoint, &p.P256dh, &p.Auth, &created, &updated)
			p.CreatedAt, p.UpdatedAt = rowscan.FromMillis(created), rowscan.FromMillis(updated)
			return p, err
		})
		out = append(out, got...)
		return err
	})
	return out, dbErr("push subscriptions", err)
}

func (s *Store) PushTargets(ctx context.Context, roomID, exceptUserID int64) ([]store.PushTarget, error) {
	out := []store.PushTarget{}
	err := s.run(ctx, func(q querier) error {
		rows, err := q.query(pushTargets, roomID, exceptUserID)
		got, err := collect(rows, err, func(sc rowscan.Scanner) (p store.PushTarget, err error) {
			var created, updated int64
			var inv string
			err = sc.Scan(&p.ID, &p.UserID, &p.Endpoint, &p.P256dh, &p.Auth, &created, &updated, &inv)
			p.CreatedAt, p.UpdatedAt, p.Involvement = rowscan.FromMillis(created), rowscan.FromMillis(updated), chat.Involvement(inv)
			return p, err
		})
		out = append(out, got...)
		return err
	})
	return out, dbErr("push targets", err)
}

func (s *Store) UnreadRoomCounts(ctx context.Context, userIDs []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(userIDs) == 0 {
		return out, nil
	}
	type count struct {
		id int64
		n  int64
	}
	err := s.run(ctx, func(q querier) error {
		rows, err := q.query(unreadRoomCounts, userIDs)
		got, err := collect(rows, err, func(sc rowscan.Scanner) (c count, err error) {
			err = sc.Scan(&c.id, &c.n)
			return c, err
		})
		for _, c := range got {
			out[c.id] = int(c.n)
		}
		return err
	})
	return out, dbErr("unread room counts", err)
}

func (s *Store) VAPIDKeys(ctx context.Context, candidate store.VAPIDKeys) (store.VAPIDKeys, error) {
	var k store.VAPIDKeys
	err := s.tx(ctx, func(q querier) error {
		if _, err := q.exec(insertVAPID, candidate.PublicKey, candidate.PrivateKey, rowscan.ToMillis(rowscan.Now())); err != nil {
			return err
		}
		return q.queryRow(selectVAPID).Scan(&k.PublicKey, &k.PrivateKey)
	})
	return k, dbErr("vapid keys", err)
}
