package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

func testSeq(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	other := w.room(t, "Other", chat.RoomOpen, bob)

	t0 := ms(time.Now().Add(-time.Minute))
	for i, want := range []int64{1, 2, 3} {
		m, _ := w.post(t, w.allTalk, bob, fmt.Sprintf("m%d", i), at(t0.Add(time.Duration(i)*time.Second)))
		if m.Seq != want {
			t.Fatalf("seq = %d, want %d", m.Seq, want)
		}
	}
	// Seqs are per room.
	m, _ := w.post(t, other, bob, "first in other", at(t0.Add(10*time.Second)))
	if m.Seq != 1 {
		t.Fatalf("other room's first seq = %d", m.Seq)
	}
	m, _ = w.post(t, w.allTalk, bob, "m3", at(t0.Add(5*time.Second)))
	if m.Seq != 4 {
		t.Fatalf("seq after another room's post = %d", m.Seq)
	}
	r, err := s.Room(ctx(t), w.allTalk.ID)
	must(t, err)
	if r.LastSeq != 4 || !r.LastMessageAt.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("room after posts: last_seq %d, last_message_at %v (want 4, %v)", r.LastSeq, r.LastMessageAt, t0.Add(5*time.Second))
	}
	wantUTC(t, "room", r.LastMessageAt)
	v, err := s.RoomForUser(ctx(t), other.ID, bob.ID)
	must(t, err)
	if v.LastSeq != 1 {
		t.Fatalf("RoomForUser last_seq = %d", v.LastSeq)
	}

	_, _, _, err = s.CreateMessage(ctx(t), store.NewMessage{RoomID: 999999, CreatorID: bob.ID, Body: "x", BodyHTML: "x"})
	wantErr(t, err, chat.ErrNotFound, "post to an unknown room")
}

// testSeqConcurrent posts from many goroutines at once: every post gets a
// distinct seq and together they are 1..n with no gap.
func testSeqConcurrent(t *testing.T, s store.Store) {
	w := setup(t, s)
	const writers, each = 10, 20
	users := make([]chat.User, writers)
	for i := range users {
		users[i] = w.user(t, fmt.Sprintf("U%d", i))
	}
	var wg sync.WaitGroup
	got := make([][]int64, writers)
	errs := make(chan error, writers*each)
	for i := range writers {
		wg.Go(func() {
			for j := range each {
				m, _, _, err := s.CreateMessage(ctx(t), store.NewMessage{RoomID: w.allTalk.ID, CreatorID: users[i].ID,
					Body: fmt.Sprintf("%d/%d", i, j), BodyHTML: "x", CreatedAt: time.Now()})
				if err != nil {
					errs <- err
					return
				}
				got[i] = append(got[i], m.Seq)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var all []int64
	for i, g := range got {
		if !slices.IsSorted(g) {
			t.Fatalf("writer %d saw seqs out of order: %v", i, g)
		}
		all = append(all, g...)
	}
	slices.Sort(all)
	for i, seq := range all {
		if seq != int64(i+1) {
			t.Fatalf("seqs are not 1..%d: position %d holds %d", len(all), i, seq)
		}
	}
	msgs, err := s.Messages(ctx(t), w.allTalk.ID, store.Page{AfterSeq: 0, Limit: 100})
	must(t, err)
	if len(msgs) != 100 || !slices.IsSorted(seqs(msgs)) || !slices.IsSorted(messageIDs(msgs)) {
		t.Fatalf("stored order: seqs %v", seqs(msgs))
	}
}

func testDeletedSeqNotReused(t *testing.T, s store.Store) {
	w := setup(t, s)
	w.post(t, w.allTalk, w.admin, "one")
	two, _ := w.post(t, w.allTalk, w.admin, "two")
	must(t, s.DeleteMessage(ctx(t), two.ID))
	_, err := s.Message(ctx(t), two.ID)
	wantErr(t, err, chat.ErrNotFound, "deleted message")
	wantErr(t, s.DeleteMessage(ctx(t), two.ID), chat.ErrNotFound, "delete twice")

	three, _ := w.post(t, w.allTalk, w.admin, "three")
	if three.Seq != 3 {
		t.Fatalf("seq after a deletion = %d, want 3", three.Seq)
	}
	// Ids are not reused either: clients keep them as cursors.
	if three.ID <= two.ID {
		t.Fatalf("id %d after deleting the newest message %d", three.ID, two.ID)
	}
	msgs, err := s.Messages(ctx(t), w.allTalk.ID, store.Page{Limit: 10})
	must(t, err)
	if !slices.Equal(seqs(msgs), []int64{1, 3}) {
		t.Fatalf("seqs = %v, want [1 3]", seqs(msgs))
	}
}

func testIdempotent(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	other := w.room(t, "Other", chat.RoomOpen, bob)
	nm := store.NewMessage{RoomID: w.allTalk.ID, CreatorID: bob.ID, ClientMessageID: "c-1", Body: "hi", BodyHTML: "<p>hi</p>",
		Mentions: []int64{w.admin.ID}, CreatedAt: time.Now()}
	first, created, unread, err := s.CreateMessage(ctx(t), nm)
	must(t, err)
	if !created || first.ClientMessageID != "c-1" {
		t.Fatalf("first: created=%v %+v", created, first)
	}
	sameIDs(t, "first post's newly unread", unread, []int64{w.admin.ID})

	// The retry, even with a different body, returns the original.
	retry := nm
	retry.Body, retry.CreatedAt = "hi again", time.Now().Add(time.Second)
	again, created, unread, err := s.CreateMessage(ctx(t), retry)
	must(t, err)
	if created || len(unread) != 0 {
		t.Fatalf("retry: created=%v newlyUnread=%v", created, unread)
	}
	sameMessage(t, "retry returns the original", again, first)
	r, err := s.Room(ctx(t), w.allTalk.ID)
	must(t, err)
	if r.LastSeq != 1 {
		t.Fatalf("retry used a seq: last_seq %d", r.LastSeq)
	}

	// The key is (creator, room, client id).
	byAdmin := nm
	byAdmin.CreatorID = w.admin.ID
	m, created, _, err := s.CreateMessage(ctx(t), byAdmin)
	must(t, err)
	if !created || m.ID == first.ID {
		t.Fatal("another creator's same client id was treated as a retry")
	}
	inOther := nm
	inOther.RoomID = other.ID
	m, created, _, err = s.CreateMessage(ctx(t), inOther)
	must(t, err)
	if !created || m.ID == first.ID {
		t.Fatal("the same client id in another room was treated as a retry")
	}
	// No client id, no idempotency.
	a, _ := w.post(t, w.allTalk, bob, "same")
	b, _ := w.post(t, w.allTalk, bob, "same")
	if a.ID == b.ID || a.ClientMessageID != "" {
		t.Fatalf("posts without a client id: %d, %d", a.ID, b.ID)
	}
}

func testIdempotentConcurrent(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	const n = 20
	var wg sync.WaitGroup
	ids := make([]int64, n)
	createdN := make([]bool, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			m, created, _, err := s.CreateMessage(ctx(t), store.NewMessage{RoomID: w.allTalk.ID, CreatorID: bob.ID,
				ClientMessageID: "same-key", Body: "once", BodyHTML: "once", CreatedAt: time.Now()})
			ids[i], createdN[i], errs[i] = m.ID, created, err
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for i := range n {
		must(t, errs[i])
		if ids[i] != ids[0] {
			t.Fatalf("posters got different messages: %v", ids)
		}
		if createdN[i] {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d posters were told they created the message, want 1", created)
	}
	msgs, err := s.Messages(ctx(t), w.allTalk.ID, store.Page{Limit: 100})
	must(t, err)
	if len(msgs) != 1 || msgs[0].Seq != 1 {
		t.Fatalf("stored %d messages (seqs %v), want exactly one", len(msgs), seqs(msgs))
	}
}

func testUnread(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	cat := w.user(t, "Cat") // invisible
	dan := w.user(t, "Dan") // connected: in SkipUnread
	eve := w.user(t, "Eve") // nothing: still marked
	room := w.room(t, "Team", chat.RoomClosed, w.admin, bob, cat, dan, eve)
	must(t, s.SetInvolvement(ctx(t), room.ID, cat.ID, chat.InvolvementInvisible))
	must(t, s.SetInvolvement(ctx(t), room.ID, eve.ID, chat.InvolvementNothing))

	unreadOf := func(u chat.User) bool {
		t.Helper()
		v, err := s.RoomForUser(ctx(t), room.ID, u.ID)
		must(t, err)
		return v.Unread
	}

	_, newly := w.post(t, room, w.admin, "one", skipping(dan))
	sameIDs(t, "first post", newly, []int64{bob.ID, eve.ID})
	for u, want := range map[*chat.User]bool{&w.admin: false, &bob: true, &cat: false, &dan: false, &eve: true} {
		if got := unreadOf(*u); got != want {
			t.Fatalf("%s unread = %v, want %v", u.Name, got, want)
		}
	}
	// Only clear → set counts as newly unread.
	_, newly = w.post(t, room, w.admin, "two")
	sameIDs(t, "second post", newly, []int64{dan.ID})

	changed, err := s.MarkRead(ctx(t), room.ID, bob.ID)
	must(t, err)
	if !changed || unreadOf(bob) {
		t.Fatalf("MarkRead: changed=%v, unread after=%v", changed, unreadOf(bob))
	}
	changed, err = s.MarkRead(ctx(t), room.ID, bob.ID)
	must(t, err)
	if changed {
		t.Fatal("MarkRead of a read room reported a change")
	}
	changed, err = s.MarkRead(ctx(t), room.ID, w.admin.ID)
	must(t, err)
	if changed {
		t.Fatal("MarkRead for the poster reported a change")
	}
	outsider := w.user(t, "Out")
	_, err = s.MarkRead(ctx(t), room.ID, outsider.ID)
	wantErr(t, err, chat.ErrNotFound, "MarkRead by a non-member")

	// Bob posts: the admin is marked, bob (creator) is not, and bob was
	// cleared by MarkRead so he stays clear.
	_, newly = w.post(t, room, bob, "three")
	sameIDs(t, "bob's post", newly, []int64{w.admin.ID})
	if unreadOf(bob) {
		t.Fatal("the creator was marked unread")
	}
	views, err := s.RoomsForUser(ctx(t), w.admin.ID)
	must(t, err)
	for _, v := range views {
		if v.Unread != (v.ID == room.ID) {
			t.Fatalf("admin's RoomsForUser: room %d unread=%v", v.ID, v.Unread)
		}
	}

	// Becoming visible again makes the member eligible.
	must(t, s.SetInvolvement(ctx(t), room.ID, cat.ID, chat.InvolvementMentions))
	_, newly = w.post(t, room, bob, "four")
	sameIDs(t, "after cat is visible", newly, []int64{cat.ID})
}

func testMessage(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	cat := w.user(t, "Cat")
	created := ms(time.Now().Add(-time.Minute))
	m, _ := w.post(t, w.allTalk, bob, "hello @cat @ada", mentioning(cat, w.admin, cat), clientID("k1"), at(created))
	if m.ID == 0 || m.RoomID != w.allTalk.ID || m.CreatorID != bob.ID || m.Creator.ID != bob.ID || m.Creator.Name != "Bob" ||
		m.Body != "hello @cat @ada" || m.BodyHTML != "<p>hello @cat @ada</p>" || m.ClientMessageID != "k1" ||
		!m.CreatedAt.Equal(created) || !m.UpdatedAt.Equal(created) || len(m.Boosts) != 0 {
		t.Fatalf("created message = %+v", m)
	}
	sameIDs(t, "mentions", m.Mentions, []int64{w.admin.ID, cat.ID})
	wantUTC(t, "message", m.CreatedAt, m.UpdatedAt)

	got, err := s.Message(ctx(t), m.ID)
	must(t, err)
	sameMessage(t, "Message() returns what CreateMessage did", got, m)
	_, err = s.Message(ctx(t), 999999)
	wantErr(t, err, chat.ErrNotFound, "unknown message")
	wantErr(t, s.DeleteMessage(ctx(t), 999999), chat.ErrNotFound, "delete unknown message")
}

func testUpdateMessage(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	cat := w.user(t, "Cat")
	created := ms(time.Now().Add(-time.Minute))
	m, _ := w.post(t, w.allTalk, bob, "first draft", mentioning(cat), at(created))
	edited := ms(time.Now())
	u, err := s.UpdateMessage(ctx(t), m.ID, store.MessageUpdate{Body: "second draft @ada", BodyHTML: "<p>second</p>",
		Mentions: []int64{w.admin.ID}, UpdatedAt: edited})
	must(t, err)
	if !m.EditedAt.IsZero() {
		t.Fatalf("a new message has EditedAt %v", m.EditedAt)
	}
	if u.Body != "second draft @ada" || u.BodyHTML != "<p>second</p>" || u.Seq != m.Seq || !u.CreatedAt.Equal(created) ||
		!u.UpdatedAt.Equal(edited) || !u.EditedAt.Equal(edited) || u.Creator.ID != bob.ID {
		t.Fatalf("updated = %+v", u)
	}
	sameIDs(t, "mentions replaced", u.Mentions, []int64{w.admin.ID})
	got, err := s.Message(ctx(t), m.ID)
	must(t, err)
	sameMessage(t, "Message() after edit", got, u)

	u, err = s.UpdateMessage(ctx(t), m.ID, store.MessageUpdate{Body: "third", BodyHTML: "third", UpdatedAt: edited.Add(time.Second)})
	must(t, err)
	sameIDs(t, "mentions cleared", u.Mentions, nil)

	_, err = s.UpdateMessage(ctx(t), 999999, store.MessageUpdate{Body: "x", BodyHTML: "x", UpdatedAt: edited})
	wantErr(t, err, chat.ErrNotFound, "edit unknown message")
}

func testBoosts(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	cat := w.user(t, "Cat")
	m, _ := w.post(t, w.allTalk, bob, "boost me")
	b1, err := s.CreateBoost(ctx(t), m.ID, cat.ID, "🎉")
	must(t, err)
	if b1.ID == 0 || b1.MessageID != m.ID || b1.BoosterID != cat.ID || b1.Booster.ID != cat.ID || b1.Booster.Name != "Cat" ||
		b1.Content != "🎉" || b1.CreatedAt.IsZero() {
		t.Fatalf("boost = %+v", b1)
	}
	wantUTC(t, "boost", b1.CreatedAt)
	b2, err := s.CreateBoost(ctx(t), m.ID, w.admin.ID, "nice one")
	must(t, err)

	got, err := s.Boost(ctx(t), b1.ID)
	must(t, err)
	if got.ID != b1.ID || got.Content != b1.Content || got.Booster.ID != cat.ID || !got.CreatedAt.Equal(b1.CreatedAt) {
		t.Fatalf("Boost() = %+v, want %+v", got, b1)
	}
	msg, err := s.Message(ctx(t), m.ID)
	must(t, err)
	if !msg.EditedAt.IsZero() {
		t.Errorf("a boost marked the message edited: EditedAt %v", msg.EditedAt)
	}
	if len(msg.Boosts) != 2 || msg.Boosts[0].ID != b1.ID || msg.Boosts[1].ID != b2.ID ||
		msg.Boosts[0].Booster.Name != "Cat" || msg.Boosts[1].Booster.Name != "Ada" {
		t.Fatalf("message boosts = %+v", msg.Boosts)
	}
	page, err := s.Messages(ctx(t), w.allTalk.ID, store.Page{Limit: 10})
	must(t, err)
	if len(page) != 1 || len(page[0].Boosts) != 2 {
		t.Fatalf("Messages() boosts = %+v", page)
	}

	must(t, s.DeleteBoost(ctx(t), b1.ID))
	_, err = s.Boost(ctx(t), b1.ID)
	wantErr(t, err, chat.ErrNotFound, "deleted boost")
	wantErr(t, s.DeleteBoost(ctx(t), b1.ID), chat.ErrNotFound, "delete boost twice")
	msg, err = s.Message(ctx(t), m.ID)
	must(t, err)
	if len(msg.Boosts) != 1 || msg.Boosts[0].ID != b2.ID {
		t.Fatalf("boosts after delete = %+v", msg.Boosts)
	}

	_, err = s.CreateBoost(ctx(t), 999999, cat.ID, "x")
	wantErr(t, err, chat.ErrNotFound, "boost an unknown message")
	_, err = s.CreateBoost(ctx(t), m.ID, 999999, "x")
	wantErr(t, err, chat.ErrNotFound, "boost by an unknown user")

	// The newest boost's id is not handed out again.
	newest, err := s.CreateBoost(ctx(t), m.ID, cat.ID, "again")
	must(t, err)
	must(t, s.DeleteBoost(ctx(t), newest.ID))
	next, err := s.CreateBoost(ctx(t), m.ID, cat.ID, "again")
	must(t, err)
	if next.ID <= newest.ID {
		t.Fatalf("boost id %d after deleting boost %d", next.ID, newest.ID)
	}
	must(t, s.DeleteBoost(ctx(t), next.ID))

	// Deleting the message takes its boosts.
	must(t, s.DeleteMessage(ctx(t), m.ID))
	_, err = s.Boost(ctx(t), b2.ID)
	wantErr(t, err, chat.ErrNotFound, "boost of a deleted message")
}

func testPaging(t *testing.T, s store.Store) {
	w := setup(t, s)
	other := w.room(t, "Other", chat.RoomOpen, w.admin)
	var all []chat.Message
	for i := range 10 {
		m, _ := w.post(t, w.allTalk, w.admin, fmt.Sprintf("m%d", i+1))
		all = append(all, m)
		w.post(t, other, w.admin, fmt.Sprintf("noise %d", i)) // interleaved ids
	}
	id := func(i int) int64 { return all[i-1].ID } // by seq

	cases := []struct {
		name string
		page store.Page
		want []int64 // seqs, oldest first
	}{
		{"newest", store.Page{Limit: 3}, []int64{8, 9, 10}},
		{"all", store.Page{Limit: 100}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"before", store.Page{Before: id(4), Limit: 2}, []int64{2, 3}},
		{"before, short", store.Page{Before: id(3), Limit: 5}, []int64{1, 2}},
		{"before the first", store.Page{Before: id(1), Limit: 5}, nil},
		{"after", store.Page{After: id(7), Limit: 10}, []int64{8, 9, 10}},
		{"forward from the start", store.Page{Forward: true, Limit: 3}, []int64{1, 2, 3}},
		{"forward after seq", store.Page{Forward: true, AfterSeq: 8, Limit: 3}, []int64{9, 10}},
		{"after, limited", store.Page{After: id(2), Limit: 3}, []int64{3, 4, 5}},
		{"after the last", store.Page{After: id(10), Limit: 3}, nil},
		{"after seq", store.Page{AfterSeq: 5, Limit: 2}, []int64{6, 7}},
		{"after seq, to the end", store.Page{AfterSeq: 8, Limit: 10}, []int64{9, 10}},
		{"after the last seq", store.Page{AfterSeq: 10, Limit: 10}, nil},
	}
	for _, tc := range cases {
		got, err := s.Messages(ctx(t), w.allTalk.ID, tc.page)
		must(t, err)
		if g := seqs(got); !slices.Equal(g, tc.want) && (len(g) != 0 || len(tc.want) != 0) {
			t.Errorf("%s: seqs %v, want %v", tc.name, g, tc.want)
		}
		for _, m := range got {
			if m.RoomID != w.allTalk.ID || m.Creator.ID != w.admin.ID {
				t.Errorf("%s: message %+v", tc.name, m)
			}
		}
	}
	none, err := s.Messages(ctx(t), w.room(t, "Empty", chat.RoomOpen, w.admin).ID, store.Page{Limit: 10})
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("empty room: %v", none)
	}
}

// testUpdatedSince pins down "edited or boosted after t, not merely created
// after t": an edit or a boost moves updated_at strictly past created_at,
// even within the same millisecond, and a boost or its removal counts.
func testUpdatedSince(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	base := ms(time.Now().Add(-time.Hour))
	m1, _ := w.post(t, w.allTalk, bob, "one", at(base))
	m2, _ := w.post(t, w.allTalk, bob, "two", at(base.Add(time.Second)))
	m3, _ := w.post(t, w.allTalk, bob, "three", at(base.Add(2*time.Second)))
	since := base.Add(10 * time.Minute)
	// Created after since, never touched: not an update.
	w.post(t, w.allTalk, bob, "four", at(since.Add(time.Minute)))

	list, err := s.MessagesUpdatedSince(ctx(t), w.allTalk.ID, since, 100)
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("nothing was edited, got %v", messageIDs(list))
	}

	_, err = s.UpdateMessage(ctx(t), m2.ID, store.MessageUpdate{Body: "two!", BodyHTML: "two!", UpdatedAt: since.Add(2 * time.Minute)})
	must(t, err)
	b, err := s.CreateBoost(ctx(t), m1.ID, w.admin.ID, "👍") // now, after the edit's time
	must(t, err)

	list, err = s.MessagesUpdatedSince(ctx(t), w.allTalk.ID, since, 100)
	must(t, err)
	if got := messageIDs(list); !slices.Equal(got, []int64{m2.ID, m1.ID}) {
		t.Fatalf("updated since: %v, want [%d %d] (oldest update first)", got, m2.ID, m1.ID)
	}
	if list[0].Body != "two!" || len(list[1].Boosts) != 1 {
		t.Fatalf("updated messages not loaded fully: %+v", list)
	}
	list, err = s.MessagesUpdatedSince(ctx(t), w.allTalk.ID, since, 1)
	must(t, err)
	if got := messageIDs(list); !slices.Equal(got, []int64{m2.ID}) {
		t.Fatalf("limit 1: %v", got)
	}
	// Only the room asked for.
	other := w.room(t, "Other", chat.RoomOpen, bob)
	list, err = s.MessagesUpdatedSince(ctx(t), other.ID, since, 100)
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("other room: %v", messageIDs(list))
	}

	// Removing a boost is an update too.
	afterBoost := ms(time.Now())
	list, err = s.MessagesUpdatedSince(ctx(t), w.allTalk.ID, afterBoost.Add(time.Hour), 100)
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("updated since the future: %v", messageIDs(list))
	}
	must(t, s.DeleteBoost(ctx(t), b.ID))
	list, err = s.MessagesUpdatedSince(ctx(t), w.allTalk.ID, afterBoost.Add(-time.Millisecond), 100)
	must(t, err)
	if !slices.Contains(messageIDs(list), m1.ID) {
		t.Fatalf("boost removal did not count as an update: %v", messageIDs(list))
	}

	// An edit stamped with the creation time still counts.
	_, err = s.UpdateMessage(ctx(t), m3.ID, store.MessageUpdate{Body: "3", BodyHTML: "3", UpdatedAt: m3.CreatedAt})
	must(t, err)
	list, err = s.MessagesUpdatedSince(ctx(t), w.allTalk.ID, m3.CreatedAt.Add(-time.Millisecond), 100)
	must(t, err)
	if !slices.Contains(messageIDs(list), m3.ID) {
		t.Fatalf("edit in the creation millisecond missed: %v", messageIDs(list))
	}
}

func testSearch(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	cat := w.user(t, "Cat")
	secret := w.room(t, "Secret", chat.RoomClosed, cat)
	a, _ := w.post(t, w.allTalk, bob, "The quick brown fox")
	b, _ := w.post(t, w.allTalk, bob, "A lazy dog naps")
	c, _ := w.post(t, w.allTalk, cat, "Foxes and dogs")
	hidden, _ := w.post(t, secret, cat, "the fox in the secret room")
	d, _ := w.post(t, w.allTalk, bob, "Café crème and a fox")

	search := func(u chat.User, q string, limit int) []int64 {
		t.Helper()
		got, err := s.Search(ctx(t), u.ID, q, limit)
		must(t, err)
		for _, m := range got {
			if m.Creator.ID == 0 || m.Body == "" {
				t.Fatalf("search result not loaded: %+v", m)
			}
		}
		return messageIDs(got)
	}
	eq := func(what string, got, want []int64) {
		t.Helper()
		if !slices.Equal(got, want) && (len(got) != 0 || len(want) != 0) {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
	// Newest first; only the caller's rooms; the last word is a prefix.
	eq("fox for bob", search(bob, "fox", 10), []int64{d.ID, c.ID, a.ID})
	eq("fox for cat", search(cat, "fox", 10), []int64{d.ID, hidden.ID, c.ID, a.ID})
	eq("limit", search(cat, "fox", 2), []int64{d.ID, hidden.ID})
	eq("all words", search(bob, "quick fox", 10), []int64{a.ID})
	eq("case", search(bob, "LAZY", 10), []int64{b.ID})
	eq("prefix", search(bob, "do", 10), []int64{c.ID, b.ID})
	eq("accents", search(bob, "cafe", 10), []int64{d.ID})
	eq("no match", search(bob, "zebra", 10), nil)

	// Edits and deletions are reflected.
	_, err := s.UpdateMessage(ctx(t), a.ID, store.MessageUpdate{Body: "The slow green turtle", BodyHTML: "x", UpdatedAt: time.Now()})
	must(t, err)
	eq("old words after edit", search(bob, "quick", 10), nil)
	eq("new words after edit", search(bob, "turtle", 10), []int64{a.ID})
	must(t, s.DeleteMessage(ctx(t), c.ID))
	eq("after delete", search(bob, "fox", 10), []int64{d.ID})

	// Leaving a room hides its messages.
	_, err = s.DeactivateUser(ctx(t), bob.ID, chat.StatusDeactivated)
	must(t, err)
	eq("after leaving", search(bob, "fox", 10), nil)
}

// testSearchHostile: whatever a person types is words, never query syntax,
// and never an error.
func testSearchHostile(t *testing.T, s store.Store) {
	w := setup(t, s)
	m, _ := w.post(t, w.allTalk, w.admin, `say "hello" (world) AND OR NOT near* col:umn 100% 🎉 don't`)
	queries := []string{
		``, ` `, `"`, `""`, `"""`, `*`, `**`, `AND`, `OR`, `NOT`, `NEAR`, `NEAR(`, `)`, `(`, `()`, `^`, `-`, `+`,
		`:`, `col:umn`, `body:hello`, `{body}: hello`, `a AND`, `AND a`, `hello OR`, `"hello`, `hello"`, `hello*`,
		`*hello`, `🎉`, `🎉🎉 🎉`, `'`, `'; DROP TABLE messages; --`, `%`, `_`, `\`, "\x00", "\xff\xfe", `NEAR(hello world, 2)`,
		`hello -world`, `hello + world`, `[`, `]`, `{`, `}`, `@`, `#`, `~`, `hello\"`, "hello\tworld\n",
		`don't`, `100%`, `near*`,
	}
	for _, q := range queries {
		if _, err := s.Search(ctx(t), w.admin.ID, q, 10); err != nil {
			t.Errorf("Search(%q): %v", q, err)
		}
	}
	// Operators are searched as words.
	for _, q := range []string{`AND`, `"hello"`, `(world)`, `near`, `don't`, `col:umn`, `hello world`} {
		got, err := s.Search(ctx(t), w.admin.ID, q, 10)
		must(t, err)
		if len(got) != 1 || got[0].ID != m.ID {
			t.Errorf("Search(%q) = %v, want the message", q, messageIDs(got))
		}
	}
}
