package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

const (
	admSettings    = `SELECT admins_create_rooms, custom_css, css_version, updated_at FROM account_settings WHERE id = 1`
	admSaveSettngs = `INSERT INTO account_settings (id, admins_create_rooms, custom_css, css_version, updated_at)
		VALUES (1, ?1, ?2, (?2 <> ''), ?3)
		ON CONFLICT (id) DO UPDATE SET admins_create_rooms = excluded.admins_create_rooms,
			css_version = account_settings.css_version + (account_settings.custom_css <> excluded.custom_css),
			custom_css = excluded.custom_css, updated_at = excluded.updated_at`
	admRecordBanIP = `INSERT OR IGNORE INTO ban_ips (user_id, ip, created_at) VALUES (?, ?, ?)`
	admBanIPsOf    = `SELECT ip FROM ban_ips WHERE user_id = ? ORDER BY ip`
	admForgetBan   = `DELETE FROM ban_ips WHERE user_id = ?`
	admReactivate  = `UPDATE users SET status = 'active', updated_at = ? WHERE id = ? AND role <> 'bot'`
	admBannedUsers = `SELECT id FROM users WHERE status = 'banned' ORDER BY id`
	admRejoinOpen  = `INSERT OR IGNORE INTO memberships (room_id, user_id, involvement, created_at)
		SELECT id, ?, ?, ? FROM rooms WHERE type = 'open'`
	admUserMsgIDs = `SELECT id FROM messages WHERE creator_id = ? ORDER BY id LIMIT ?`
)

func (s *Store) AccountSettings(ctx context.Context) (store.AccountSettings, error) {
	var a store.AccountSettings
	var admins, at int64
	err := s.read(ctx).queryRow(admSettings).Scan(&admins, &a.CustomCSS, &a.CSSVersion, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return store.AccountSettings{}, nil
	}
	if err != nil {
		return a, dbErr("account settings", err)
	}
	a.AdminsCreateRooms, a.UpdatedAt = admins != 0, rowscan.FromMillis(at)
	return a, nil
}

func (s *Store) UpdateAccountSettings(ctx context.Context, a store.AccountSettings) (store.AccountSettings, error) {
	admins := 0
	if a.AdminsCreateRooms {
		admins = 1
	}
	err := s.write(ctx, func(t *wtx) error {
		_, err := t.exec(admSaveSettngs, admins, a.CustomCSS, rowscan.ToMillis(rowscan.Now()))
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
	return dbErr("record ban addresses", s.write(ctx, func(t *wtx) error {
		at := rowscan.ToMillis(rowscan.Now())
		for _, ip := range ips {
			if _, err := t.exec(admRecordBanIP, userID, ip, at); err != nil {
				return err
			}
		}
		return nil
	}))
}

func (s *Store) BanIPsOf(ctx context.Context, userID int64) ([]string, error) {
	rows, err := s.read(ctx).query(admBanIPsOf, userID)
	if err != nil {
		return nil, dbErr("ban addresses", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var ip string
		if err := rows.Scan(&ip); err != nil {
			return nil, dbErr("ban addresses", err)
		}
		out = append(out, ip)
	}
	return out, dbErr("ban addresses", rows.Err())
}

func (s *Store) ForgetBanIPs(ctx context.Context, userID int64) error {
	return dbErr("forget ban addresses", s.write(ctx, func(t *wtx) error {
		_, err := t.exec(admForgetBan, userID)
		return err
	}))
}

func (s *Store) ReactivateUser(ctx context.Context, id int64) error {
	return dbErr(fmt.Sprintf("reactivate user %d", id), s.write(ctx, func(t *wtx) error {
		t.forgetUser(id)
		at := rowscan.ToMillis(rowscan.Now())
		if err := mustAffect(t.exec(admReactivate, at, id)); err != nil {
			return err
		}
		// Back in the open rooms, as a person who joins is.
		_, err := t.exec(admRejoinOpen, id, chat.DefaultInvolvement(chat.RoomOpen), at)
		return err
	}))
}

func (s *Store) UserMessageIDs(ctx context.Context, userID int64, limit int) ([]int64, error) {
	if limit <= 0 {
		return []int64{}, nil
	}
	ids, err := scanIDs(s.read(ctx).query(admUserMsgIDs, userID, limit))
	if ids == nil {
		ids = []int64{}
	}
	return ids, dbErr("user messages", err)
}

func (s *Store) BannedUserIDs(ctx context.Context) ([]int64, error) {
	ids, err := scanIDs(s.read(ctx).query(admBannedUsers))
	if ids == nil {
		ids = []int64{}
	}
	return ids, dbErr("banned users", err)
}
