package storetest

import (
	"slices"
	"testing"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

func testOpenRooms(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	gone := w.user(t, "Gone")
	_, err := s.DeactivateUser(ctx(t), gone.ID, chat.StatusDeactivated)
	must(t, err)

	// An open room created now holds every active user.
	lobby := w.room(t, "Lobby", chat.RoomOpen, bob)
	if lobby.Type != chat.RoomOpen || lobby.CreatorID != bob.ID || lobby.Name != "Lobby" {
		t.Fatalf("room = %+v", lobby)
	}
	memberIDs, err := s.MemberIDs(ctx(t), lobby.ID)
	must(t, err)
	sameIDs(t, "open room members", memberIDs, []int64{w.admin.ID, bob.ID})

	// A user created later joins every open room created earlier, and no
	// closed or direct one.
	closed := w.room(t, "Closed", chat.RoomClosed, bob)
	w.direct(t, w.admin, bob)
	cat := w.user(t, "Cat")
	views, err := s.RoomsForUser(ctx(t), cat.ID)
	must(t, err)
	sameIDs(t, "new user's rooms", roomIDs(views), []int64{w.allTalk.ID, lobby.ID})
	for _, v := range views {
		if v.Involvement != chat.DefaultInvolvement(chat.RoomOpen) || v.Unread {
			t.Fatalf("new user's view = %+v", v)
		}
	}
	_, err = s.RoomForUser(ctx(t), closed.ID, cat.ID)
	wantErr(t, err, chat.ErrNotFound, "closed room for a non-member")

	// Bots are users too.
	hal := w.bot(t, "Hal")
	if _, err := s.RoomForUser(ctx(t), lobby.ID, hal.ID); err != nil {
		t.Fatalf("bot not in open room: %v", err)
	}

	members, err := s.Members(ctx(t), lobby.ID)
	must(t, err)
	var names []string
	for _, m := range members {
		names = append(names, m.User.Name)
		if m.Involvement != chat.InvolvementMentions {
			t.Fatalf("member %+v", m)
		}
	}
	if !slices.Equal(names, []string{"Ada", "Bob", "Cat", "Hal"}) {
		t.Fatalf("Members() = %v (active users by name)", names)
	}
}

func testClosedRoom(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	cat := w.user(t, "Cat")
	dan := w.user(t, "Dan")
	r, err := s.CreateRoom(ctx(t), store.NewRoom{Name: "Secret", Type: chat.RoomClosed, CreatorID: bob.ID,
		MemberIDs: []int64{cat.ID, cat.ID}})
	must(t, err)
	if r.Type != chat.RoomClosed || r.Name != "Secret" || r.CreatorID != bob.ID || r.LastSeq != 0 {
		t.Fatalf("room = %+v", r)
	}
	wantUTC(t, "room", r.CreatedAt, r.UpdatedAt)
	memberIDs, err := s.MemberIDs(ctx(t), r.ID)
	must(t, err)
	sameIDs(t, "closed room members (listed plus creator)", memberIDs, []int64{bob.ID, cat.ID})

	got, err := s.Room(ctx(t), r.ID)
	must(t, err)
	if got.ID != r.ID || got.Name != r.Name || got.Type != r.Type || got.CreatorID != r.CreatorID ||
		!got.CreatedAt.Equal(r.CreatedAt) {
		t.Fatalf("Room() = %+v, want %+v", got, r)
	}
	v, err := s.RoomForUser(ctx(t), r.ID, cat.ID)
	must(t, err)
	if v.ID != r.ID || v.Name != "Secret" || v.Involvement != chat.InvolvementMentions || v.Unread {
		t.Fatalf("RoomForUser = %+v", v)
	}
	_, err = s.RoomForUser(ctx(t), r.ID, dan.ID)
	wantErr(t, err, chat.ErrNotFound, "non-member's view")
	_, err = s.RoomForUser(ctx(t), 999999, bob.ID)
	wantErr(t, err, chat.ErrNotFound, "unknown room's view")
	_, err = s.Room(ctx(t), 999999)
	wantErr(t, err, chat.ErrNotFound, "unknown room")
	_, err = s.MemberIDs(ctx(t), 999999)
	wantErr(t, err, chat.ErrNotFound, "member ids of an unknown room")
	_, err = s.Members(ctx(t), 999999)
	wantErr(t, err, chat.ErrNotFound, "members of an unknown room")

	members, err := s.Members(ctx(t), r.ID)
	must(t, err)
	if len(members) != 2 || members[0].User.ID != bob.ID || members[1].User.ID != cat.ID {
		t.Fatalf("Members() = %+v", members)
	}

	_, err = s.CreateRoom(ctx(t), store.NewRoom{Name: "Bad", Type: chat.RoomDirect, CreatorID: bob.ID})
	if err == nil {
		t.Fatal("CreateRoom made a direct room; DirectRoom is the only way")
	}
}

func testDirectRoom(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	cat := w.user(t, "Cat")

	ab, created, err := s.DirectRoom(ctx(t), w.admin.ID, []int64{w.admin.ID, bob.ID})
	must(t, err)
	if !created || ab.Type != chat.RoomDirect || ab.Name != "" || ab.CreatorID != w.admin.ID {
		t.Fatalf("first direct room: created=%v %+v", created, ab)
	}
	// The same people in any order, asked by any of them: the same room.
	again, created, err := s.DirectRoom(ctx(t), bob.ID, []int64{bob.ID, w.admin.ID})
	must(t, err)
	if created || again.ID != ab.ID || again.CreatorID != w.admin.ID {
		t.Fatalf("same set: created=%v room %d, want %d", created, again.ID, ab.ID)
	}
	// A superset and a subset are other rooms.
	abc, created, err := s.DirectRoom(ctx(t), w.admin.ID, []int64{cat.ID, bob.ID, w.admin.ID})
	must(t, err)
	if !created || abc.ID == ab.ID {
		t.Fatalf("superset: created=%v room %d", created, abc.ID)
	}
	self, created, err := s.DirectRoom(ctx(t), w.admin.ID, []int64{w.admin.ID})
	must(t, err)
	if !created || self.ID == ab.ID || self.ID == abc.ID {
		t.Fatalf("subset: created=%v room %d", created, self.ID)
	}
	again, created, err = s.DirectRoom(ctx(t), cat.ID, []int64{w.admin.ID, cat.ID, bob.ID, cat.ID})
	must(t, err)
	if created || again.ID != abc.ID {
		t.Fatalf("duplicate ids: created=%v room %d, want %d", created, again.ID, abc.ID)
	}

	memberIDs, err := s.MemberIDs(ctx(t), abc.ID)
	must(t, err)
	sameIDs(t, "direct members", memberIDs, []int64{w.admin.ID, bob.ID, cat.ID})
	v, err := s.RoomForUser(ctx(t), ab.ID, bob.ID)
	must(t, err)
	if v.Involvement != chat.InvolvementEverything {
		t.Fatalf("direct room involvement = %q, want everything", v.Involvement)
	}
	_, err = s.RoomForUser(ctx(t), ab.ID, cat.ID)
	wantErr(t, err, chat.ErrNotFound, "direct room for an outsider")

	_, _, err = s.DirectRoom(ctx(t), w.admin.ID, []int64{w.admin.ID, 999999})
	wantErr(t, err, chat.ErrNotFound, "direct room with an unknown user")
}

func testInvolvement(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	must(t, s.SetInvolvement(ctx(t), w.allTalk.ID, bob.ID, chat.InvolvementInvisible))
	v, err := s.RoomForUser(ctx(t), w.allTalk.ID, bob.ID)
	must(t, err)
	if v.Involvement != chat.InvolvementInvisible {
		t.Fatalf("involvement = %q", v.Involvement)
	}
	// Invisible rooms are still listed, flagged.
	views, err := s.RoomsForUser(ctx(t), bob.ID)
	must(t, err)
	if len(views) != 1 || views[0].Involvement != chat.InvolvementInvisible {
		t.Fatalf("RoomsForUser = %+v", views)
	}
	members, err := s.Members(ctx(t), w.allTalk.ID)
	must(t, err)
	for _, m := range members {
		want := chat.InvolvementMentions
		if m.User.ID == bob.ID {
			want = chat.InvolvementInvisible
		}
		if m.Involvement != want {
			t.Fatalf("member %s involvement %q, want %q", m.User.Name, m.Involvement, want)
		}
	}
	must(t, s.SetInvolvement(ctx(t), w.allTalk.ID, bob.ID, chat.InvolvementEverything))
	v, err = s.RoomForUser(ctx(t), w.allTalk.ID, bob.ID)
	must(t, err)
	if v.Involvement != chat.InvolvementEverything {
		t.Fatalf("involvement = %q", v.Involvement)
	}

	closed := w.room(t, "Closed", chat.RoomClosed, w.admin)
	wantErr(t, s.SetInvolvement(ctx(t), closed.ID, bob.ID, chat.InvolvementNothing), chat.ErrNotFound,
		"involvement in a room one is not in")
}

func testUpdateRoom(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	cat := w.user(t, "Cat")
	dan := w.user(t, "Dan")
	r := w.room(t, "Plans", chat.RoomClosed, bob, cat)

	name := "Big Plans"
	got, added, removed, err := s.UpdateRoom(ctx(t), r.ID, store.RoomUpdate{Name: &name})
	must(t, err)
	if got.Name != name || got.Type != chat.RoomClosed || len(added) != 0 || len(removed) != 0 {
		t.Fatalf("rename: %+v added %v removed %v", got, added, removed)
	}
	if room, err := s.Room(ctx(t), r.ID); err != nil || room.Name != name {
		t.Fatalf("Room() after rename = %+v, %v", room, err)
	}

	// Replacing the members of a closed room: the creator stays even when
	// not listed.
	members := []int64{dan.ID}
	_, added, removed, err = s.UpdateRoom(ctx(t), r.ID, store.RoomUpdate{MemberIDs: &members})
	must(t, err)
	sameIDs(t, "added", added, []int64{dan.ID})
	sameIDs(t, "removed", removed, []int64{cat.ID})
	memberIDs, err := s.MemberIDs(ctx(t), r.ID)
	must(t, err)
	sameIDs(t, "members after replace", memberIDs, []int64{bob.ID, dan.ID})
	v, err := s.RoomForUser(ctx(t), r.ID, dan.ID)
	must(t, err)
	if v.Involvement != chat.InvolvementMentions {
		t.Fatalf("added member's involvement = %q", v.Involvement)
	}

	// Turning it open adds every active user.
	open := chat.RoomOpen
	got, added, removed, err = s.UpdateRoom(ctx(t), r.ID, store.RoomUpdate{Type: &open})
	must(t, err)
	if got.Type != chat.RoomOpen {
		t.Fatalf("type = %q", got.Type)
	}
	sameIDs(t, "added by opening", added, []int64{w.admin.ID, cat.ID})
	sameIDs(t, "removed by opening", removed, nil)
	memberIDs, err = s.MemberIDs(ctx(t), r.ID)
	must(t, err)
	sameIDs(t, "members of the opened room", memberIDs, []int64{w.admin.ID, bob.ID, cat.ID, dan.ID})
	// ... and it behaves as open from then on.
	eve := w.user(t, "Eve")
	if _, err := s.RoomForUser(ctx(t), r.ID, eve.ID); err != nil {
		t.Fatalf("new user not in the opened room: %v", err)
	}

	// Closing again with a member list.
	closed := chat.RoomClosed
	members = []int64{cat.ID}
	got, added, removed, err = s.UpdateRoom(ctx(t), r.ID, store.RoomUpdate{Type: &closed, MemberIDs: &members})
	must(t, err)
	if got.Type != chat.RoomClosed {
		t.Fatalf("type = %q", got.Type)
	}
	sameIDs(t, "added by closing", added, nil)
	sameIDs(t, "removed by closing", removed, []int64{w.admin.ID, dan.ID, eve.ID})
	memberIDs, err = s.MemberIDs(ctx(t), r.ID)
	must(t, err)
	sameIDs(t, "members after closing", memberIDs, []int64{bob.ID, cat.ID})

	_, _, _, err = s.UpdateRoom(ctx(t), 999999, store.RoomUpdate{Name: &name})
	wantErr(t, err, chat.ErrNotFound, "update unknown room")
}

func testDeleteRoom(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	cat := w.user(t, "Cat")
	r := w.room(t, "Doomed", chat.RoomClosed, bob, cat)
	m1, _ := w.post(t, r, bob, "zeppelin one")
	m2, _ := w.post(t, r, cat, "zeppelin two", mentioning(bob))
	_, err := s.CreateBoost(ctx(t), m1.ID, cat.ID, "👍")
	must(t, err)
	keep, _ := w.post(t, w.allTalk, bob, "zeppelin elsewhere")

	memberIDs, err := s.DeleteRoom(ctx(t), r.ID)
	must(t, err)
	sameIDs(t, "deleted room's members", memberIDs, []int64{bob.ID, cat.ID})

	_, err = s.Room(ctx(t), r.ID)
	wantErr(t, err, chat.ErrNotFound, "deleted room")
	_, err = s.RoomForUser(ctx(t), r.ID, bob.ID)
	wantErr(t, err, chat.ErrNotFound, "deleted room's view")
	for _, m := range []chat.Message{m1, m2} {
		_, err = s.Message(ctx(t), m.ID)
		wantErr(t, err, chat.ErrNotFound, "message of a deleted room")
	}
	views, err := s.RoomsForUser(ctx(t), bob.ID)
	must(t, err)
	sameIDs(t, "rooms after delete", roomIDs(views), []int64{w.allTalk.ID})
	found, err := s.Search(ctx(t), bob.ID, "zeppelin", 10)
	must(t, err)
	sameIDs(t, "search after delete", messageIDs(found), []int64{keep.ID})

	_, err = s.DeleteRoom(ctx(t), r.ID)
	wantErr(t, err, chat.ErrNotFound, "delete twice")

	// The newest room's id is not handed out again.
	next := w.room(t, "Next", chat.RoomClosed, bob)
	if next.ID <= r.ID {
		t.Fatalf("room id %d after deleting room %d", next.ID, r.ID)
	}
}
