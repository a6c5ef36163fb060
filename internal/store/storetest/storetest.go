// Package storetest is the contract every store.Store implementation passes.
// It drives a store through the interface only, so the same suite runs
// against SQLite and PostgreSQL:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { … a fresh, empty store … })
//	}
//
// Where store.go leaves a choice open, the suite pins the answer down (and
// says so beside the test), so both backends make the same one.
package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

// Run runs the contract. open must return a new, empty store for each call
// and close it when t ends; subtests run in parallel, each on its own store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Setup", testSetup},
		{"Account", testAccount},
		{"Users", testUsers},
		{"UserEmailConflict", testUserEmailConflict},
		{"UpdateUser", testUpdateUser},
		{"Sessions", testSessions},
		{"OpenRooms", testOpenRooms},
		{"ClosedRoom", testClosedRoom},
		{"DirectRoom", testDirectRoom},
		{"Involvement", testInvolvement},
		{"UpdateRoom", testUpdateRoom},
		{"DeleteRoom", testDeleteRoom},
		{"DeactivateUser", testDeactivateUser},
		{"Seq", testSeq},
		{"SeqConcurrent", testSeqConcurrent},
		{"SeqCommitOrder", testSeqCommitOrder},
		{"DeletedSeqNotReused", testDeletedSeqNotReused},
		{"Idempotent", testIdempotent},
		{"IdempotentConcurrent", testIdempotentConcurrent},
		{"MessageByClientID", testMessageByClientID},
		{"Unread", testUnread},
		{"Message", testMessage},
		{"UpdateMessage", testUpdateMessage},
		{"Boosts", testBoosts},
		{"Paging", testPaging},
		{"UpdatedSince", testUpdatedSince},
		{"Search", testSearch},
		{"SearchHostile", testSearchHostile},
		{"HostileText", testHostileText},
		{"Bans", testBans},
		{"Attachments", testAttachments},
		{"PushSubscriptions", testPushSubscriptions},
		{"PushSubscriptionCap", testPushSubscriptionCap},
		{"PushTargets", testPushTargets},
		{"UnreadRoomCounts", testUnreadRoomCounts},
		{"VAPIDKeys", testVAPIDKeys},
		{"RecentSearches", testRecentSearches},
		{"RecentSearchesConcurrent", testRecentSearchesConcurrent},
		{"Previews", testPreviews},
		{"Avatars", testAvatars},
		{"Ping", testPing},
		{"AccountSettings", testAccountSettings},
		{"AdminBans", testAdminBans},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// Helpers. Each fails the test on error, so scenarios read as the rules.

// world is an account after setup: the admin and "All Talk".
type world struct {
	s       store.Store
	admin   chat.User
	allTalk chat.Room
}

func setup(t *testing.T, s store.Store) world {
	t.Helper()
	_, admin, room, err := s.Setup(ctx(t), store.SetupParams{
		AccountName: "Acme",
		JoinCode:    "join-123",
		Admin:       store.NewUser{Name: "Ada", Email: "ada@example.com", PasswordHash: "hash-ada"},
		RoomName:    "All Talk",
	})
	must(t, err)
	return world{s: s, admin: admin, allTalk: room}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func (w world) user(t *testing.T, name string) chat.User {
	t.Helper()
	email := strings.ToLower(name) + "@example.com" // names are unique within a test
	u, err := w.s.CreateUser(ctx(t), store.NewUser{Name: name, Email: email, PasswordHash: "hash", Role: chat.RoleMember})
	must(t, err)
	return u
}

func (w world) bot(t *testing.T, name string) chat.User {
	t.Helper()
	u, err := w.s.CreateUser(ctx(t), store.NewUser{Name: name, Role: chat.RoleBot, BotTokenHash: "tok-" + name,
		WebhookURL: "https://bots.example.com/" + name})
	must(t, err)
	return u
}

func (w world) room(t *testing.T, name string, typ chat.RoomType, creator chat.User, members ...chat.User) chat.Room {
	t.Helper()
	r, err := w.s.CreateRoom(ctx(t), store.NewRoom{Name: name, Type: typ, CreatorID: creator.ID, MemberIDs: ids(members...)})
	must(t, err)
	return r
}

func (w world) direct(t *testing.T, creator chat.User, others ...chat.User) (chat.Room, bool) {
	t.Helper()
	r, created, err := w.s.DirectRoom(ctx(t), creator.ID, append(ids(others...), creator.ID))
	must(t, err)
	return r, created
}

type postOpt func(*store.NewMessage)

func clientID(id string) postOpt { return func(m *store.NewMessage) { m.ClientMessageID = id } }
func mentioning(us ...chat.User) postOpt {
	return func(m *store.NewMessage) { m.Mentions = ids(us...) }
}
func skipping(us ...chat.User) postOpt {
	return func(m *store.NewMessage) { m.SkipUnread = ids(us...) }
}
func at(t time.Time) postOpt { return func(m *store.NewMessage) { m.CreatedAt = t } }

func (w world) post(t *testing.T, room chat.Room, by chat.User, body string, opts ...postOpt) (chat.Message, []int64) {
	t.Helper()
	nm := store.NewMessage{RoomID: room.ID, CreatorID: by.ID, Body: body, BodyHTML: "<p>" + body + "</p>",
		CreatedAt: time.Now()}
	for _, o := range opts {
		o(&nm)
	}
	m, created, unread, err := w.s.CreateMessage(ctx(t), nm)
	must(t, err)
	if !created {
		t.Fatalf("post %q: created=false", body)
	}
	return m, unread
}

func ids(us ...chat.User) []int64 {
	out := make([]int64, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

func sorted(xs []int64) []int64 {
	ys := slices.Clone(xs)
	slices.Sort(ys)
	return ys
}

// sameIDs compares id lists as sets written in order; nil and empty agree.
func sameIDs(t *testing.T, what string, got, want []int64) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(sorted(got), sorted(want)) {
		t.Fatalf("%s: got %v, want %v", what, sorted(got), sorted(want))
	}
}

func messageIDs(ms []chat.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func seqs(ms []chat.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

func roomIDs(rs []chat.RoomView) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// ms is how precisely stores keep times.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func wantUTC(t *testing.T, what string, ts ...time.Time) {
	t.Helper()
	for _, x := range ts {
		if !x.IsZero() && x.Location() != time.UTC {
			t.Fatalf("%s: time %v is in %v, want UTC", what, x, x.Location())
		}
	}
}

// normalize makes two loads of the same message compare equal whatever
// the backend's choice of nil or empty slices and time representation.
func normalize(m chat.Message) chat.Message {
	nt := func(x time.Time) time.Time {
		if x.IsZero() {
			return time.Time{}
		}
		return time.UnixMilli(x.UnixMilli()).UTC()
	}
	nu := func(u chat.User) chat.User {
		u.CreatedAt, u.UpdatedAt = nt(u.CreatedAt), nt(u.UpdatedAt)
		return u
	}
	m.CreatedAt, m.UpdatedAt = nt(m.CreatedAt), nt(m.UpdatedAt)
	m.Creator = nu(m.Creator)
	if len(m.Mentions) == 0 {
		m.Mentions = nil
	}
	bs := make([]chat.Boost, 0, len(m.Boosts))
	for _, b := range m.Boosts {
		b.CreatedAt = nt(b.CreatedAt)
		b.Booster = nu(b.Booster)
		bs = append(bs, b)
	}
	m.Boosts = bs
	if len(bs) == 0 {
		m.Boosts = nil
	}
	return m
}

func sameMessage(t *testing.T, what string, got, want chat.Message) {
	t.Helper()
	if g, w := normalize(got), normalize(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}
