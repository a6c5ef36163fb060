package campfire

import (
	"context"
	"errors"
	"slices"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/wire"
)

// Rooms lists the caller's rooms, invisible ones included (flagged).
func (c *Core) Rooms(ctx context.Context, u chat.User) ([]chat.RoomView, error) {
	return c.store.RoomsForUser(ctx, u.ID)
}

// RoomForUser returns the room as u sees it, or a not-found error when u is
// not a member: a closed room's existence is never revealed.
func (c *Core) RoomForUser(ctx context.Context, u chat.User, roomID int64) (chat.RoomView, error) {
	r, err := c.store.RoomForUser(ctx, roomID, u.ID)
	return r, notFoundAs(err, "room")
}

// Members lists a room's members, for members only.
func (c *Core) Members(ctx context.Context, u chat.User, roomID int64) ([]chat.Member, error) {
	if _, err := c.RoomForUser(ctx, u, roomID); err != nil {
		return nil, err
	}
	return c.store.Members(ctx, roomID)
}

// RoomInput is a create or update request; nil fields are left alone on
// update.
type RoomInput struct {
	Name    *string
	Type    *chat.RoomType
	UserIDs *[]int64
}

// checkUserIDs verifies every id is an active user and returns them
// de-duplicated.
func (c *Core) checkUserIDs(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) > c.opts.Limits.RoomMembers {
		return nil, chat.Invalid("too_many_users", "a room can be created with at most %d people", c.opts.Limits.RoomMembers)
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return ids, nil
	}
	users, err := c.store.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	active := 0
	for _, u := range users {
		if u.Active() {
			active++
		}
	}
	if active != len(ids) {
		return nil, chat.Invalid("unknown_user", "user_ids names someone who is not an active user")
	}
	return ids, nil
}

// CreateRoom creates an open or closed room with the creator as a member.
func (c *Core) CreateRoom(ctx context.Context, u chat.User, in RoomInput) (chat.RoomView, error) {
	if err := c.limitAction(ctx, u, "creating rooms"); err != nil {
		return chat.RoomView{}, err
	}
	if in.Name == nil {
		return chat.RoomView{}, chat.Invalid("invalid_name", "name can't be blank")
	}
	name, err := chat.CleanName("name", *in.Name, c.opts.Limits.RoomNameRunes)
	if err != nil {
		return chat.RoomView{}, err
	}
	typ := chat.RoomClosed
	if in.Type != nil {
		typ = *in.Type
	}
	if typ != chat.RoomOpen && typ != chat.RoomClosed {
		return chat.RoomView{}, chat.Invalid("invalid_type", "type must be open or closed (use /rooms/direct for pings)")
	}
	if err := c.checkRoomCreation(ctx, u); err != nil {
		return chat.RoomView{}, err
	}
	var ids []int64
	if in.UserIDs != nil {
		if ids, err = c.checkUserIDs(ctx, *in.UserIDs); err != nil {
			return chat.RoomView{}, err
		}
	}
	r, err := c.store.CreateRoom(ctx, store.NewRoom{Name: name, Type: typ, CreatorID: u.ID, MemberIDs: ids})
	if err != nil {
		return chat.RoomView{}, err
	}
	c.announceRoom(ctx, r, wire.TypeRoomCreated, nil)
	return c.RoomForUser(ctx, u, r.ID)
}

// DirectRoom finds or creates the ping between the caller and userIDs.
func (c *Core) DirectRoom(ctx context.Context, u chat.User, userIDs []int64) (chat.RoomView, bool, error) {
	ids, err := c.checkUserIDs(ctx, append(slices.Clone(userIDs), u.ID))
	if err != nil {
		return chat.RoomView{}, false, err
	}
	if len(ids) < 2 {
		return chat.RoomView{}, false, chat.Invalid("invalid_user_ids", "name at least one other person")
	}
	if err := c.limitAction(ctx, u, "starting pings"); err != nil {
		return chat.RoomView{}, false, err
	}
	r, created, err := c.store.DirectRoom(ctx, u.ID, ids)
	if err != nil {
		return chat.RoomView{}, false, err
	}
	if created {
		c.announceRoom(ctx, r, wire.TypeRoomCreated, nil)
	}
	v, err := c.RoomForUser(ctx, u, r.ID)
	return v, created, err
}

func canManage(u chat.User, r chat.Room) bool { return u.IsAdmin() || r.CreatorID == u.ID }

// UpdateRoom renames a room, changes its type or its members (creator or
// admin). Direct rooms keep their people.
func (c *Core) UpdateRoom(ctx context.Context, u chat.User, roomID int64, in RoomInput) (chat.RoomView, error) {
	v, err := c.RoomForUser(ctx, u, roomID)
	if err != nil {
		return v, err
	}
	if !canManage(u, v.Room) {
		return v, chat.Forbidden("only the room's creator or an administrator can change it")
	}
	var up store.RoomUpdate
	if in.Name != nil {
		if v.Type == chat.RoomDirect {
			return v, chat.Invalid("invalid_name", "a direct room has no name")
		}
		n, err := chat.CleanName("name", *in.Name, c.opts.Limits.RoomNameRunes)
		if err != nil {
			return v, err
		}
		up.Name = &n
	}
	if in.Type != nil {
		if v.Type == chat.RoomDirect || (*in.Type != chat.RoomOpen && *in.Type != chat.RoomClosed) {
			return v, chat.Invalid("invalid_type", "only open and closed rooms can change type, to open or closed")
		}
		up.Type = in.Type
	}
	if in.UserIDs != nil {
		if v.Type == chat.RoomDirect {
			return v, chat.Invalid("invalid_user_ids", "a direct room's people can't change; start a new ping")
		}
		ids, err := c.checkUserIDs(ctx, *in.UserIDs)
		if err != nil {
			return v, err
		}
		up.MemberIDs = &ids
	}
	r, added, removed, err := c.store.UpdateRoom(ctx, roomID, up)
	if err != nil {
		return v, notFoundAs(err, "room")
	}
	c.announceRoom(ctx, r, wire.TypeRoomUpdated, added)
	if len(removed) > 0 {
		c.publishToUsers(ctx, wire.TypeRoomDeleted, removed, wire.RoomIDFrame(wire.TypeRoomDeleted, r.ID))
		c.control(ctx, broker.Event{Type: broker.ControlLeaveRoom, RoomID: r.ID, UserIDs: removed})
	}
	v2, err := c.store.RoomForUser(ctx, roomID, u.ID)
	if errors.Is(err, chat.ErrNotFound) {
		// An admin may remove themself from a closed room they manage.
		return chat.RoomView{Room: r}, nil
	}
	return v2, err
}

// DeleteRoom deletes a room and its messages (creator or admin).
func (c *Core) DeleteRoom(ctx context.Context, u chat.User, roomID int64) error {
	v, err := c.RoomForUser(ctx, u, roomID)
	if err != nil {
		return err
	}
	if !canManage(u, v.Room) {
		return chat.Forbidden("only the room's creator or an administrator can delete it")
	}
	files := c.roomFiles(ctx, roomID)
	members, err := c.store.DeleteRoom(ctx, roomID)
	if err != nil {
		return notFoundAs(err, "room")
	}
	c.deleteBlobs(ctx, files...)
	c.publishToUsers(ctx, wire.TypeRoomDeleted, members, wire.RoomIDFrame(wire.TypeRoomDeleted, roomID))
	c.control(ctx, broker.Event{Type: broker.ControlLeaveRoom, RoomID: roomID, UserIDs: members})
	return nil
}

// announceRoom tells the room's members (everyone, for an open room) about
// it: typ to existing members, room.created to those just added.
func (c *Core) announceRoom(ctx context.Context, r chat.Room, typ string, added []int64) {
	frame := wire.RoomFrame(typ, wire.NewRoom(chat.RoomView{Room: r}))
	if r.Type == chat.RoomOpen && typ == wire.TypeRoomCreated {
		c.publish(ctx, broker.Event{Type: typ, AllUsers: true, Frame: frame})
		return
	}
	members, err := c.store.MemberIDs(ctx, r.ID)
	if err != nil {
		c.log.Warn("listing members to announce room", "room", r.ID, "err", err)
		return
	}
	existing := slices.DeleteFunc(members, func(id int64) bool { return slices.Contains(added, id) })
	c.publishToUsers(ctx, typ, existing, frame)
	if len(added) > 0 {
		c.publishToUsers(ctx, wire.TypeRoomCreated, added, wire.RoomFrame(wire.TypeRoomCreated, wire.NewRoom(chat.RoomView{Room: r})))
	}
}

// SetInvolvement changes how much of a room the caller hears about.
func (c *Core) SetInvolvement(ctx context.Context, u chat.User, roomID int64, inv chat.Involvement) (chat.RoomView, error) {
	v, err := c.RoomForUser(ctx, u, roomID)
	if err != nil {
		return v, err
	}
	if !inv.Valid() {
		return v, chat.Invalid("invalid_involvement", "involvement must be everything, mentions, nothing or invisible")
	}
	if v.Type == chat.RoomDirect && inv != chat.InvolvementEverything && inv != chat.InvolvementNothing {
		return v, chat.Invalid("invalid_involvement", "a direct room's involvement is everything or nothing")
	}
	if err := c.store.SetInvolvement(ctx, roomID, u.ID, inv); err != nil {
		return v, notFoundAs(err, "room")
	}
	v.Involvement = inv
	c.publishToUsers(ctx, wire.TypeRoomUpdated, []int64{u.ID}, wire.RoomFrame(wire.TypeRoomUpdated, wire.NewRoom(v)))
	return v, nil
}

// MarkRead clears the caller's unread marker and tells their other tabs.
func (c *Core) MarkRead(ctx context.Context, u chat.User, roomID int64) error {
	if _, err := c.RoomForUser(ctx, u, roomID); err != nil {
		return err
	}
	return c.markRead(ctx, u, roomID)
}

// markRead is MarkRead for a member already checked.
func (c *Core) markRead(ctx context.Context, u chat.User, roomID int64) error {
	changed, err := c.store.MarkRead(ctx, roomID, u.ID)
	if err != nil {
		return notFoundAs(err, "room")
	}
	if changed {
		c.publishToUsers(ctx, wire.TypeRoomRead, []int64{u.ID}, wire.RoomIDFrame(wire.TypeRoomRead, roomID))
	}
	return nil
}
