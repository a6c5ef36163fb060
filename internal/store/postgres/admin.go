package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

const (
	admSettings     = `SELECT admins_create_rooms, custom_css, css_version, updated_at FROM account_settings WHERE id = 1`
	admSaveSettings = `INSERT INTO account_settings (id, admins_create_rooms, custom_css, css_version, updated_at)
		VALUES (1, $1, $2, CASE WHEN $2::text <> '' THEN 1 ELSE 0 END, $3)
		ON CONFLICT (id) DO UPDATE SET admins_create_rooms = excluded.admins_create_rooms,
			css_version = account_settings.css_version + (CASE WHEN account_settings.custom_css <> excluded.custom_css THEN 1 ELSE 0 END),
			custom_css = excluded.custom_css, updated_at = excluded.updated_at`
	admRecordBanIP = `INSERT INTO ban_ips (user_id, ip, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id, ip) DO NOTHING`
	admBanIPsOf    = `SELECT ip FROM ban_ips WHERE user_id = $1 ORDER BY ip`
	admForgetBan   = `DELETE FROM ban_ips WHERE user_id = $1`
	admReactivate  = `UPDATE users SET status = 'active', updated_at = $1 WHERE id = $2 AND role <> 'bot'`
	admBannedUsers = `SELECT id FROM users WHERE status = 'banned' ORDER BY id`
	admRejoinOpen  = `INSERT INTO memberships (room_id, user_id, involvement, created_at)
		SELECT id, $1, $2, $3 FROM rooms WHERE type = 'open' ON CONFLICT DO NOTHING`
	admUserMsgIDs = `SELECT id FROM messages WHERE creator_id = $1 ORDER BY id LIMIT $2`
)

func (s *Store) AccountSettings(ctx context.Context) (store.AccountSettings, error) {
	var a store.AccountSettings
	err := s.run(ctx, func(q querier) error {
		var admins, at int64
		err := q.queryRow(admSettings).Scan(&admins, &a.CustomCSS, &a.CSSVersion, &at)
		if errors.Is(err, pgx.ErrNoRows) {
			a = store.AccountSettings{}
			return nil
		}
		a.AdminsCreateRooms, a.UpdatedAt = admins != 0, rowscan.FromMillis(at)
		return err
	})
	return a, dbErr("account settings", err)
}

func (s *Store) UpdateAccountSettings(ctx context.Context, a store.AccountSettings) (store.AccountSettings, error) {
	admins := 0
	if a.AdminsCreateRooms {
		admins = 1
	}
	err := s.run(ctx, func(q querier) error {
		_, err := q.exec(admSaveSettings, admins, a.CustomCSS, rowscan.ToMillis(rowscan.Now()))
		return err
	})
	if err != nil {
		return store.AccountSettings{}, dbErr("update account settings", err)
	}
	return s.AccountSettings(ctx)
}

func (s *Store) RecordBanIPs(ctx context.Context, userID int64, ips []string) error {
	if len(ips) == 0 {
		return nil
	}
	return dbErr("record ban addresses", s.tx(ctx, func(q querier) error {
		at := rowscan.ToMillis(rowscan.Now())
		for _, ip := range ips {
			if _, err := q.exec(admRecordBanIP, userID, ip, at); err != nil {
				return err
			}
		}
		return nil
	}))
}

func (s *Store) BanIPsOf(ctx context.Context, userID int64) ([]string, error) {
	out := []string{}
	err := s.run(ctx, func(q querier) error {
		rows, err := q.query(admBanIPsOf, userID)
		ips, err := collect(rows, err, func(sc rowscan.Scanner) (ip string, err error) {
			err = sc.Scan(&ip)
			return ip, err
		})
		if ips != nil {
			out = ips
		}
		return err
	})
	return out, dbErr("ban addresses", err)
}

func (s *Store) ForgetBanIPs(ctx context.Context, userID int64) error {
	return dbErr("forget ban addresses", s.run(ctx, func(q querier) error {
		_, err := q.exec(admForgetBan, userID)
		return err
	}))
}

func (s *Store) ReactivateUser(ctx context.Context, id int64) error {
	return dbErr(fmt.Sprintf("reactivate user %d", id), s.tx(ctx, func(q querier) error {
		if _, err := q.exec(membershipLock); err != nil {
			return err
		}
		at := rowscan.ToMillis(rowscan.Now())
		if err := mustAffect(q.exec(admReactivate, at, id)); err != nil {
			return err
		}
		// Back in the open rooms, as a person who joins is.
		_, err := q.exec(admRejoinOpen, id, chat.DefaultInvolvement(chat.RoomOpen), at)
		return err
	}))
}

func (s *Store) UserMessageIDs(ctx context.Context, userID int64, limit int) ([]int64, error) {
	ids := []int64{}
	if limit <= 0 {
		return ids, nil
	}
	err := s.run(ctx, func(q querier) error {
		got, err := scanIDs(q.query(admUserMsgIDs, userID, limit))
		if got != nil {
			ids = got
		}
		return err
	})
	return ids, dbErr("user messages", err)
}

func (s *Store) BannedUserIDs(ctx context.Context) ([]int64, error) {
	ids := []int64{}
	err := s.run(ctx, func(q querier) error {
		got, err := scanIDs(q.query(admBannedUsers))
		if got != nil {
			ids = got
		}
		return err
	})
	return ids, dbErr("banned users", err)
}
