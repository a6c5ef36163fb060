package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

const (
	insertRoom = `INSERT INTO rooms (name, type, creator_id, direct_key, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`
	// Open rooms hold every active user; the other kinds hold the listed
	// ones, if they exist and are active.
	addAllActive = `INSERT INTO memberships (room_id, user_id, involvement, created_at)
		SELECT $1, id, $2, $3 FROM users WHERE status = 'active'
		ON CONFLICT DO NOTHING
		RETURNING user_id`
	addListedActive = `INSERT INTO memberships (room_id, user_id, involvement, created_at)
		SELECT $1, id, $2, $3 FROM users WHERE id = ANY($4) AND status = 'active'
		ON CONFLICT DO NOTHING
		RETURNING user_id`
	addListed = `INSERT INTO memberships (room_id, user_id, involvement, created_at)
		SELECT $1, id, $2, $3 FROM users WHERE id = ANY($4)`
	countListedUsers = `SELECT count(*) FROM users WHERE id = ANY($1)`
	removeUnlisted   = `DELETE FROM memberships WHERE room_id = $1 AND user_id <> ALL($2) RETURNING user_id`

	roomByID        = `SELECT ` + rowscan.RoomCols + ` FROM rooms r WHERE r.id = $1`
	roomByDirectKey = `SELECT ` + rowscan.RoomCols + ` FROM rooms r WHERE r.direct_key = $1`
	roomForUser     = `SELECT ` + rowscan.RoomCols + `, ms.involvement, ms.unread_at IS NOT NULL
		FROM memberships ms JOIN rooms r ON r.id = ms.room_id
		WHERE ms.room_id = $1 AND ms.user_id = $2`
	roomsForUser = `SELECT ` + rowscan.RoomCols + `, ms.involvement, ms.unread_at IS NOT NULL
		FROM memberships ms JOIN rooms r ON r.id = ms.room_id
		WHERE ms.user_id = $1 ORDER BY r.id`
	roomMembers = `SELECT ` + rowscan.UserCols + `, ms.involvement
		FROM memberships ms JOIN users u ON u.id = ms.user_id
		WHERE ms.room_id = $1 AND u.status = 'active' ORDER BY u.name, u.id`
	roomMemberIDs  = `SELECT user_id FROM memberships WHERE room_id = $1 ORDER BY user_id`
	roomExists     = `SELECT EXISTS (SELECT 1 FROM rooms WHERE id = $1)`
	lockRoom       = `SELECT ` + rowscan.RoomCols + ` FROM rooms r WHERE r.id = $1 FOR UPDATE`
	deleteRoom     = `DELETE FROM rooms WHERE id = $1`
	setInvolvement = `UPDATE memberships SET involvement = $1 WHERE room_id = $2 AND user_id = $3`
	// Clients mark a room read every time they look at it; most of the time
	// it already is, and then nothing is written.
	markRead = `WITH m AS (
			SELECT unread_at IS NOT NULL AS unread FROM memberships WHERE room_id = $1 AND user_id = $2
		), u AS (
			UPDATE memberships SET unread_at = NULL
			WHERE room_id = $1 AND user_id = $2 AND unread_at IS NOT NULL
			RETURNING 1
		)
		SELECT EXISTS (SELECT 1 FROM u) FROM m`
)

var updateRoomRow = `UPDATE rooms SET name = $1, type = $2, updated_at = $3 WHERE id = $4
	RETURNING ` + rowscan.RoomReturning

func createRoom(q querier, r store.NewRoom, at time.Time) (chat.Room, error) {
	if r.Type != chat.RoomOpen && r.Type != chat.RoomClosed {
		return chat.Room{}, fmt.Errorf("room type %q: %w", r.Type, chat.ErrInvalid)
	}
	room := chat.Room{Name: CleanText(r.Name), Type: r.Type, CreatorID: r.CreatorID, CreatedAt: at, UpdatedAt: at}
	err := q.queryRow(insertRoom, r.Name, r.Type, r.CreatorID, nil, rowscan.ToMillis(at)).Scan(&room.ID)
	if err != nil {
		return chat.Room{}, err
	}
	inv := chat.DefaultInvolvement(r.Type)
	if r.Type == chat.RoomOpen {
		_, err = q.exec(addAllActive, room.ID, inv, rowscan.ToMillis(at))
	} else {
		ids := append(slices.Clone(r.MemberIDs), r.CreatorID)
		_, err = q.exec(addListedActive, room.ID, inv, rowscan.ToMillis(at), ids)
	}
	return room, err
}

func (s *Store) CreateRoom(ctx context.Context, r store.NewRoom) (room chat.Room, err error) {
	err = s.tx(ctx, func(q querier) (err error) {
		if _, err := q.exec(membershipLock); err != nil {
			return err
		}
		room, err = createRoom(q, r, rowscan.Now())
		return err
	})
	return room, dbErr("create room", err)
}

func (s *Store) DirectRoom(ctx context.Context, creatorID int64, userIDs []int64) (chat.Room, bool, error) {
	ids := append(slices.Clone(userIDs), creatorID)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	key := chat.DirectKey(ids)

	find := func() (room chat.Room, err error) {
		err = s.run(ctx, func(q querier) (err error) {
			room, err = rowscan.ScanRoom(q.queryRow(roomByDirectKey, key))
			return err
		})
		return room, err
	}
	// Most calls find an existing room.
	room, err := find()
	if err == nil {
		return room, false, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return chat.Room{}, false, dbErr("direct room", err)
	}

	at := rowscan.Now()
	room = chat.Room{Type: chat.RoomDirect, CreatorID: creatorID, CreatedAt: at, UpdatedAt: at}
	err = s.tx(ctx, func(q querier) error {
		var n int
		if err := q.queryRow(countListedUsers, ids).Scan(&n); err != nil {
			return err
		}
		if n != len(ids) {
			return fmt.Errorf("direct room: unknown user: %w", chat.ErrNotFound)
		}
		if err := q.queryRow(insertRoom, "", chat.RoomDirect, creatorID, key, rowscan.ToMillis(at)).Scan(&room.ID); err != nil {
			return err
		}
		_, err := q.exec(addListed, room.ID, chat.DefaultInvolvement(chat.RoomDirect), rowscan.ToMillis(at), ids)
		return err
	})
	if isUnique(err) {
		// Someone created it at the same moment: theirs is the room.
		room, err = find()
		return room, false, dbErr("direct room", err)
	}
	if err != nil {
		return chat.Room{}, false, dbErr("direct room", err)
	}
	return room, true, nil
}

func (s *Store) Room(ctx context.Context, id int64) (r chat.Room, err error) {
	err = s.run(ctx, func(q querier) (err error) {
		r, err = rowscan.ScanRoom(q.queryRow(roomByID, id))
		return err
	})
	return r, dbErr(fmt.Sprintf("room %d", id), err)
}

func (s *Store) RoomForUser(ctx context.Context, roomID, userID int64) (v chat.RoomView, err error) {
	err = s.run(ctx, func(q querier) (err error) {
		v, err = rowscan.ScanRoomView(q.queryRow(roomForUser, roomID, userID))
		return err
	})
	return v, dbErr(fmt.Sprintf("room %d for user %d", roomID, userID), err)
}

func (s *Store) RoomsForUser(ctx context.Context, userID int64) (out []chat.RoomView, err error) {
	err = s.run(ctx, func(q querier) (err error) {
		rows, err := q.query(roomsForUser, userID)
		out, err = collect(rows, err, rowscan.ScanRoomView)
		return err
	})
	return out, dbErr("rooms for user", err)
}

// Members returns chat.ErrNotFound for a room that does not exist.
func (s *Store) Members(ctx context.Context, roomID int64) (out []chat.Member, err error) {
	err = s.run(ctx, func(q querier) (err error) {
		rows, err := q.query(roomMembers, roomID)
		out, err = collect(rows, err, func(sc rowscan.Scanner) (chat.Member, error) {
			var us rowscan.User
			var m chat.Member
			if err := sc.Scan(append(us.Dest(), (*string)(&m.Involvement))...); err != nil {
				return m, err
			}
			m.User = us.User()
			return m, nil
		})
		if err == nil && len(out) == 0 {
			err = checkRoom(q, roomID)
		}
		return err
	})
	return out, dbErr(fmt.Sprintf("members of room %d", roomID), err)
}

// MemberIDs returns chat.ErrNotFound for a room that does not exist.
func (s *Store) MemberIDs(ctx context.Context, roomID int64) (ids []int64, err error) {
	err = s.run(ctx, func(q querier) (err error) {
		ids, err = scanIDs(q.query(roomMemberIDs, roomID))
		if err == nil && len(ids) == 0 {
			err = checkRoom(q, roomID)
		}
		return err
	})
	return ids, dbErr(fmt.Sprintf("member ids of room %d", roomID), err)
}

func checkRoom(q querier, roomID int64) error {
	var ok bool
	if err := q.queryRow(roomExists, roomID).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return pgx.ErrNoRows
	}
	return nil
}

func (s *Store) UpdateRoom(ctx context.Context, id int64, u store.RoomUpdate) (chat.Room, []int64, []int64, error) {
	var room chat.Room
	added, removed := []int64{}, []int64{}
	err := s.tx(ctx, func(q querier) (err error) {
		added, removed = []int64{}, []int64{} // a retried transaction starts over
		if _, err := q.exec(membershipLock); err != nil {
			return err
		}
		cur, err := rowscan.ScanRoom(q.queryRow(lockRoom, id))
		if err != nil {
			return err
		}
		name, typ := cur.Name, cur.Type
		if u.Name != nil {
			name = *u.Name
		}
		if u.Type != nil {
			typ = *u.Type
		}
		if cur.Type == chat.RoomDirect && (typ != chat.RoomDirect || u.MemberIDs != nil) {
			return fmt.Errorf("a direct room's type and members are fixed: %w", chat.ErrInvalid)
		}
		if cur.Type != chat.RoomDirect && typ != chat.RoomOpen && typ != chat.RoomClosed {
			return fmt.Errorf("room type %q: %w", typ, chat.ErrInvalid)
		}
		at := rowscan.ToMillis(rowscan.Now())
		inv := chat.DefaultInvolvement(typ)
		switch {
		case typ == chat.RoomOpen && cur.Type != chat.RoomOpen:
			if added, err = scanIDs(q.query(addAllActive, id, inv, at)); err != nil {
				return err
			}
		case typ == chat.RoomClosed && u.MemberIDs != nil:
			// The creator always stays in their room.
			want := append(slices.Clone(*u.MemberIDs), cur.CreatorID)
			if removed, err = scanIDs(q.query(removeUnlisted, id, want)); err != nil {
				return err
			}
			if added, err = scanIDs(q.query(addListedActive, id, inv, at, want)); err != nil {
				return err
			}
		}
		room, err = rowscan.ScanRoom(q.queryRow(updateRoomRow, name, typ, at, id))
		return err
	})
	if err != nil {
		return chat.Room{}, nil, nil, dbErr(fmt.Sprintf("update room %d", id), err)
	}
	slices.Sort(added)
	slices.Sort(removed)
	return room, added, removed, nil
}

func (s *Store) DeleteRoom(ctx context.Context, id int64) (members []int64, err error) {
	err = s.tx(ctx, func(q querier) (err error) {
		// The locks hold back membership changes and posts, so the members
		// returned are the ones the room had at the end.
		if _, err := q.exec(membershipLock); err != nil {
			return err
		}
		if _, err := rowscan.ScanRoom(q.queryRow(lockRoom, id)); err != nil {
			return err
		}
		if members, err = scanIDs(q.query(roomMemberIDs, id)); err != nil {
			return err
		}
		// Messages, their mentions, boosts and search entries and the
		// memberships go with the room (ON DELETE CASCADE).
		return mustAffect(q.exec(deleteRoom, id))
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
	return dbErr(fmt.Sprintf("set involvement in room %d", roomID), s.run(ctx, func(q querier) error {
		return mustAffect(q.exec(setInvolvement, inv, roomID, userID))
	}))
}

func (s *Store) MarkRead(ctx context.Context, roomID, userID int64) (changed bool, err error) {
	err = s.run(ctx, func(q querier) error {
		return q.queryRow(markRead, roomID, userID).Scan(&changed)
	})
	if err != nil {
		return false, dbErr(fmt.Sprintf("mark room %d read for user %d", roomID, userID), err)
	}
	return changed, nil
}
