package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

const (
	insertRoom = `INSERT INTO rooms (name, type, creator_id, direct_key, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`
	// Open rooms hold every active user; the other kinds hold the listed
	// ones, if they exist and are active.
	addAllActive = `INSERT OR IGNORE INTO memberships (room_id, user_id, involvement, created_at)
		SELECT ?, id, ?, ? FROM users WHERE status = 'active'
		RETURNING user_id`
	// +status keeps the planner on the listed ids rather than walking
	// every active user.
	addListedActive = `INSERT OR IGNORE INTO memberships (room_id, user_id, involvement, created_at)
		SELECT ?, id, ?, ? FROM users WHERE id IN (SELECT value FROM json_each(?)) AND +status = 'active'
		RETURNING user_id`
	addListed = `INSERT INTO memberships (room_id, user_id, involvement, created_at)
		SELECT ?, id, ?, ? FROM users WHERE id IN (SELECT value FROM json_each(?))`
	countListedUsers = `SELECT count(*) FROM users WHERE id IN (SELECT value FROM json_each(?))`
	removeUnlisted   = `DELETE FROM memberships WHERE room_id = ? AND user_id NOT IN (SELECT value FROM json_each(?))
		RETURNING user_id`

	roomByID        = `SELECT ` + rowscan.RoomCols + ` FROM rooms r WHERE r.id = ?`
	roomByDirectKey = `SELECT ` + rowscan.RoomCols + ` FROM rooms r WHERE r.direct_key = ?`
	roomForUser     = `SELECT ` + rowscan.RoomCols + `, ms.involvement, ms.unread_at IS NOT NULL
		FROM memberships ms JOIN rooms r ON r.id = ms.room_id
		WHERE ms.room_id = ? AND ms.user_id = ?`
	roomsForUser = `SELECT ` + rowscan.RoomCols + `, ms.involvement, ms.unread_at IS NOT NULL
		FROM memberships ms JOIN rooms r ON r.id = ms.room_id
		WHERE ms.user_id = ? ORDER BY r.id`
	// CROSS JOIN keeps memberships the outer loop: a room's few members,
	// not every active user.
	roomMembers = `SELECT ` + rowscan.UserCols + `, ms.involvement
		FROM memberships ms CROSS JOIN users u ON u.id = ms.user_id
		WHERE ms.room_id = ? AND u.status = 'active' ORDER BY u.name, u.id`
	roomMemberIDs  = `SELECT user_id FROM memberships WHERE room_id = ? ORDER BY user_id`
	roomExists     = `SELECT 1 FROM rooms WHERE id = ?`
	deleteRoom     = `DELETE FROM rooms WHERE id = ?`
	setInvolvement = `UPDATE memberships SET involvement = ? WHERE room_id = ? AND user_id = ?`
	isUnread       = `SELECT unread_at IS NOT NULL FROM memberships WHERE room_id = ? AND user_id = ?`
	markRead       = `UPDATE memberships SET unread_at = NULL
		WHERE room_id = ? AND user_id = ? AND unread_at IS NOT NULL`
)

var updateRoomRow = `UPDATE rooms SET name = ?, type = ?, updated_at = ? WHERE id = ? RETURNING ` +
	rowscan.RoomReturning

func createRoom(t *wtx, r store.NewRoom, at time.Time) (chat.Room, error) {
	if r.Type != chat.RoomOpen && r.Type != chat.RoomClosed {
		return chat.Room{}, fmt.Errorf("room type %q: %w", r.Type, chat.ErrInvalid)
	}
	room := chat.Room{Name: r.Name, Type: r.Type, CreatorID: r.CreatorID, CreatedAt: at, UpdatedAt: at}
	err := t.queryRow(insertRoom, r.Name, r.Type, r.CreatorID, nil, rowscan.ToMillis(at), rowscan.ToMillis(at)).Scan(&room.ID)
	if err != nil {
		return chat.Room{}, err
	}
	inv := chat.DefaultInvolvement(r.Type)
	var rows rowsIter
	if r.Type == chat.RoomOpen {
		rows, err = t.query(addAllActive, room.ID, inv, rowscan.ToMillis(at))
	} else {
		ids := append(slices.Clone(r.MemberIDs), r.CreatorID)
		rows, err = t.query(addListedActive, room.ID, inv, rowscan.ToMillis(at), idList(ids))
	}
	_, err = scanIDs(rows, err)
	return room, err
}

func (s *Store) CreateRoom(ctx context.Context, r store.NewRoom) (chat.Room, error) {
	room, err := writeT(ctx, s, func(t *wtx) (chat.Room, error) {
		return createRoom(t, r, rowscan.Now())
	})
	return room, dbErr("create room", err)
}

func (s *Store) DirectRoom(ctx context.Context, creatorID int64, userIDs []int64) (chat.Room, bool, error) {
	ids := append(slices.Clone(userIDs), creatorID)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	key := chat.DirectKey(ids)

	// Most calls find an existing room: answer those without the writer.
	room, err := rowscan.ScanRoom(s.read(ctx).queryRow(roomByDirectKey, key))
	if err == nil {
		return room, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return chat.Room{}, false, dbErr("direct room", err)
	}

	type result struct {
		room    chat.Room
		created bool
	}
	r, err := writeT(ctx, s, func(t *wtx) (result, error) {
		// Again inside the writer, where no other creation can interleave.
		room, err := rowscan.ScanRoom(t.queryRow(roomByDirectKey, key))
		if err == nil {
			return result{room: room}, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return result{}, err
		}
		var n int
		if err := t.queryRow(countListedUsers, idList(ids)).Scan(&n); err != nil {
			return result{}, err
		}
		if n != len(ids) {
			return result{}, fmt.Errorf("direct room: unknown user: %w", chat.ErrNotFound)
		}
		at := rowscan.Now()
		room = chat.Room{Type: chat.RoomDirect, CreatorID: creatorID, CreatedAt: at, UpdatedAt: at}
		if err := t.queryRow(insertRoom, "", chat.RoomDirect, creatorID, key, rowscan.ToMillis(at), rowscan.ToMillis(at)).
			Scan(&room.ID); err != nil {
			return result{}, err
		}
		if _, err := t.exec(addListed, room.ID, chat.DefaultInvolvement(chat.RoomDirect),
			rowscan.ToMillis(at), idList(ids)); err != nil {
			return result{}, err
		}
		return result{room: room, created: true}, nil
	})
	if err != nil {
		return chat.Room{}, false, dbErr("direct room", err)
	}
	return r.room, r.created, nil
}

func (s *Store) Room(ctx context.Context, id int64) (chat.Room, error) {
	r, err := rowscan.ScanRoom(s.read(ctx).queryRow(roomByID, id))
	return r, dbErr(fmt.Sprintf("room %d", id), err)
}

func (s *Store) RoomForUser(ctx context.Context, roomID, userID int64) (chat.RoomView, error) {
	v, err := rowscan.ScanRoomView(s.read(ctx).queryRow(roomForUser, roomID, userID))
	return v, dbErr(fmt.Sprintf("room %d for user %d", roomID, userID), err)
}

func (s *Store) RoomsForUser(ctx context.Context, userID int64) ([]chat.RoomView, error) {
	rows, err := s.read(ctx).query(roomsForUser, userID)
	if err != nil {
		return nil, dbErr("rooms for user", err)
	}
	defer rows.Close()
	out := []chat.RoomView{}
	for rows.Next() {
		v, err := rowscan.ScanRoomView(rows)
		if err != nil {
			return nil, dbErr("rooms for user", err)
		}
		out = append(out, v)
	}
	return out, dbErr("rooms for user", rows.Err())
}

// Members returns chat.ErrNotFound for a room that does not exist.
func (s *Store) Members(ctx context.Context, roomID int64) ([]chat.Member, error) {
	var out []chat.Member
	err := s.readTx(ctx, func(q querier) error {
		rows, err := q.query(roomMembers, roomID)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = []chat.Member{}
		for rows.Next() {
			var us rowscan.User
			var m chat.Member
			if err := rows.Scan(append(us.Dest(), (*string)(&m.Involvement))...); err != nil {
				return err
			}
			m.User = us.User()
			out = append(out, m)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) == 0 {
			return checkRoom(q, roomID)
		}
		return nil
	})
	return out, dbErr(fmt.Sprintf("members of room %d", roomID), err)
}

// MemberIDs returns chat.ErrNotFound for a room that does not exist.
func (s *Store) MemberIDs(ctx context.Context, roomID int64) ([]int64, error) {
	var ids []int64
	err := s.readTx(ctx, func(q querier) (err error) {
		ids, err = scanIDs(q.query(roomMemberIDs, roomID))
		if err == nil && len(ids) == 0 {
			err = checkRoom(q, roomID)
		}
		return err
	})
	return ids, dbErr(fmt.Sprintf("member ids of room %d", roomID), err)
}

func checkRoom(q querier, roomID int64) error {
	var one int
	return q.queryRow(roomExists, roomID).Scan(&one)
}

func (s *Store) UpdateRoom(ctx context.Context, id int64, u store.RoomUpdate) (chat.Room, []int64, []int64, error) {
	type result struct {
		room           chat.Room
		added, removed []int64
	}
	r, err := writeT(ctx, s, func(t *wtx) (r result, err error) {
		r.added, r.removed = []int64{}, []int64{}
		cur, err := rowscan.ScanRoom(t.queryRow(roomByID, id))
		if err != nil {
			return r, err
		}
		name, typ := cur.Name, cur.Type
		if u.Name != nil {
			name = *u.Name
		}
		if u.Type != nil {
			typ = *u.Type
		}
		if cur.Type == chat.RoomDirect && (typ != chat.RoomDirect || u.MemberIDs != nil) {
			return r, fmt.Errorf("a direct room's type and members are fixed: %w", chat.ErrInvalid)
		}
		if cur.Type != chat.RoomDirect && typ != chat.RoomOpen && typ != chat.RoomClosed {
			return r, fmt.Errorf("room type %q: %w", typ, chat.ErrInvalid)
		}
		at := rowscan.ToMillis(rowscan.Now())
		inv := chat.DefaultInvolvement(typ)
		switch {
		case typ == chat.RoomOpen && cur.Type != chat.RoomOpen:
			if r.added, err = scanIDs(t.query(addAllActive, id, inv, at)); err != nil {
				return r, err
			}
		case typ == chat.RoomClosed && u.MemberIDs != nil:
			// The creator always stays in their room.
			want := idList(append(slices.Clone(*u.MemberIDs), cur.CreatorID))
			if r.removed, err = scanIDs(t.query(removeUnlisted, id, want)); err != nil {
				return r, err
			}
			if r.added, err = scanIDs(t.query(addListedActive, id, inv, at, want)); err != nil {
				return r, err
			}
		}
		r.room, err = rowscan.ScanRoom(t.queryRow(updateRoomRow, name, typ, at, id))
		return r, err
	})
	if err != nil {
		return chat.Room{}, nil, nil, dbErr(fmt.Sprintf("update room %d", id), err)
	}
	slices.Sort(r.added)
	slices.Sort(r.removed)
	return r.room, r.added, r.removed, nil
}

func (s *Store) DeleteRoom(ctx context.Context, id int64) ([]int64, error) {
	members, err := writeT(ctx, s, func(t *wtx) ([]int64, error) {
		members, err := scanIDs(t.query(roomMemberIDs, id))
		if err != nil {
			return nil, err
		}
		// Messages, their mentions, boosts and search entries and the
		// memberships go with the room (ON DELETE CASCADE and triggers).
		return members, mustAffect(t.exec(deleteRoom, id))
	})
	if err != nil {
		return nil, dbErr(fmt.Sprintf("delete room %d", id), err)
	}
	return members, nil
}

func (s *Store) SetInvolvement(ctx context.Context, roomID, userID int64, inv chat.Involvement) error {
	if !inv.Valid() {
		return fmt.Errorf("set involvement: %q: %w", inv, chat.ErrInvalid)
	}
	return dbErr(fmt.Sprintf("set involvement in room %d", roomID), s.write(ctx, func(t *wtx) error {
		return mustAffect(t.exec(setInvolvement, inv, roomID, userID))
	}))
}

func (s *Store) MarkRead(ctx context.Context, roomID, userID int64) (bool, error) {
	what := fmt.Sprintf("mark room %d read for user %d", roomID, userID)
	// Clients mark a room read every time they look at it; most of the time
	// it already is, and that needs no write.
	var unread bool
	if err := s.read(ctx).queryRow(isUnread, roomID, userID).Scan(&unread); err != nil {
		return false, dbErr(what, err)
	}
	if !unread {
		return false, nil
	}
	changed, err := writeT(ctx, s, func(t *wtx) (bool, error) {
		res, err := t.exec(markRead, roomID, userID)
		if err != nil {
			return false, err
		}
		n, err := res.RowsAffected()
		return n > 0, err
	})
	if err != nil {
		return false, dbErr(what, err)
	}
	return changed, nil
}
