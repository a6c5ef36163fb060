package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

func testSetup(t *testing.T, s store.Store) {
	_, err := s.Account(ctx(t))
	wantErr(t, err, chat.ErrNotFound, "account before setup")

	p := store.SetupParams{
		AccountName: "Acme", JoinCode: "join-123", RoomName: "All Talk",
		Admin: store.NewUser{Name: "Ada", Email: "ada@example.com", PasswordHash: "hash-ada"},
	}
	acct, admin, room, err := s.Setup(ctx(t), p)
	must(t, err)
	if acct.Name != "Acme" || acct.JoinCode != "join-123" || acct.CreatedAt.IsZero() {
		t.Fatalf("account = %+v", acct)
	}
	if admin.ID == 0 || admin.Name != "Ada" || admin.Email != "ada@example.com" || admin.Role != chat.RoleAdmin ||
		admin.Status != chat.StatusActive || admin.PasswordHash != "hash-ada" {
		t.Fatalf("admin = %+v", admin)
	}
	if room.ID == 0 || room.Name != "All Talk" || room.Type != chat.RoomOpen || room.CreatorID != admin.ID || room.LastSeq != 0 ||
		!room.LastMessageAt.IsZero() {
		t.Fatalf("room = %+v", room)
	}
	wantUTC(t, "setup", acct.CreatedAt, admin.CreatedAt, admin.UpdatedAt, room.CreatedAt, room.UpdatedAt)

	got, err := s.Account(ctx(t))
	must(t, err)
	if got.Name != acct.Name || got.JoinCode != acct.JoinCode || !got.CreatedAt.Equal(acct.CreatedAt) {
		t.Fatalf("Account() = %+v, want %+v", got, acct)
	}
	v, err := s.RoomForUser(ctx(t), room.ID, admin.ID)
	must(t, err)
	if v.Involvement != chat.InvolvementMentions || v.Unread {
		t.Fatalf("admin's view of All Talk = %+v", v)
	}

	// A second setup is refused and changes nothing.
	p.AccountName, p.Admin.Email = "Other", "other@example.com"
	_, _, _, err = s.Setup(ctx(t), p)
	wantErr(t, err, chat.ErrConflict, "second setup")
	if _, err := s.UserByEmail(ctx(t), "other@example.com"); err == nil {
		t.Fatal("failed setup left its admin behind")
	}
	users, err := s.Users(ctx(t))
	must(t, err)
	if len(users) != 1 {
		t.Fatalf("users after failed setup = %d, want 1", len(users))
	}
}

func testAccount(t *testing.T, s store.Store) {
	setup(t, s)
	a, err := s.UpdateAccountName(ctx(t), "Acme Ltd")
	must(t, err)
	if a.Name != "Acme Ltd" || a.JoinCode != "join-123" {
		t.Fatalf("after rename: %+v", a)
	}
	a, err = s.SetJoinCode(ctx(t), "join-456")
	must(t, err)
	if a.Name != "Acme Ltd" || a.JoinCode != "join-456" {
		t.Fatalf("after new join code: %+v", a)
	}
	a, err = s.Account(ctx(t))
	must(t, err)
	if a.Name != "Acme Ltd" || a.JoinCode != "join-456" {
		t.Fatalf("Account() = %+v", a)
	}
}

func testUsers(t *testing.T, s store.Store) {
	w := setup(t, s)
	zed := w.user(t, "Zed")
	bob := w.user(t, "Bob")
	// Bots have no email; two of them must not collide on it.
	hal := w.bot(t, "Hal")
	eve := w.bot(t, "Eve")

	if hal.Email != "" || hal.Role != chat.RoleBot || hal.BotTokenHash != "tok-Hal" ||
		hal.WebhookURL != "https://bots.example.com/Hal" || hal.Status != chat.StatusActive {
		t.Fatalf("bot = %+v", hal)
	}
	got, err := s.User(ctx(t), bob.ID)
	must(t, err)
	if got != bob {
		t.Fatalf("User() = %+v, want %+v", got, bob)
	}
	wantUTC(t, "user", got.CreatedAt, got.UpdatedAt)
	got, err = s.UserByEmail(ctx(t), bob.Email)
	must(t, err)
	if got.ID != bob.ID {
		t.Fatalf("UserByEmail = %+v", got)
	}
	_, err = s.UserByEmail(ctx(t), "nobody@example.com")
	wantErr(t, err, chat.ErrNotFound, "unknown email")
	_, err = s.UserByEmail(ctx(t), "")
	wantErr(t, err, chat.ErrNotFound, "empty email (bots have none)")
	_, err = s.User(ctx(t), 999999)
	wantErr(t, err, chat.ErrNotFound, "unknown user")

	list, err := s.Users(ctx(t))
	must(t, err)
	if names := userNames(list); !slices.Equal(names, []string{"Ada", "Bob", "Eve", "Hal", "Zed"}) {
		t.Fatalf("Users() names = %v", names)
	}
	bots, err := s.Bots(ctx(t))
	must(t, err)
	if names := userNames(bots); !slices.Equal(names, []string{"Eve", "Hal"}) {
		t.Fatalf("Bots() = %v", names)
	}

	byIDs, err := s.UsersByIDs(ctx(t), []int64{zed.ID, 999999, eve.ID, bob.ID, zed.ID})
	must(t, err)
	want := sorted([]int64{zed.ID, eve.ID, bob.ID})
	if got := ids(byIDs...); !slices.Equal(got, want) {
		t.Fatalf("UsersByIDs = %v, want %v (id order, unknown left out)", got, want)
	}
	none, err := s.UsersByIDs(ctx(t), nil)
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("UsersByIDs(nil) = %v", none)
	}

	// Deactivated users drop out of the lists but can still be looked up.
	_, err = s.DeactivateUser(ctx(t), zed.ID, chat.StatusDeactivated)
	must(t, err)
	_, err = s.DeactivateUser(ctx(t), eve.ID, chat.StatusDeactivated)
	must(t, err)
	list, err = s.Users(ctx(t))
	must(t, err)
	if names := userNames(list); !slices.Equal(names, []string{"Ada", "Bob", "Hal"}) {
		t.Fatalf("Users() after deactivation = %v", names)
	}
	bots, err = s.Bots(ctx(t))
	must(t, err)
	if names := userNames(bots); !slices.Equal(names, []string{"Hal"}) {
		t.Fatalf("Bots() after deactivation = %v", names)
	}
	got, err = s.UserByEmail(ctx(t), zed.Email)
	must(t, err)
	if got.Status != chat.StatusDeactivated {
		t.Fatalf("deactivated user by email: %+v", got)
	}
	byIDs, err = s.UsersByIDs(ctx(t), []int64{zed.ID})
	must(t, err)
	if len(byIDs) != 1 {
		t.Fatalf("UsersByIDs leaves out inactive users: %v", byIDs)
	}
}

func userNames(us []chat.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Name
	}
	return out
}

func testUserEmailConflict(t *testing.T, s store.Store) {
	w := setup(t, s)
	_, err := s.CreateUser(ctx(t), store.NewUser{Name: "Ada 2", Email: w.admin.Email, Role: chat.RoleMember})
	wantErr(t, err, chat.ErrConflict, "create with a taken email")

	bob := w.user(t, "Bob")
	_, err = s.UpdateUser(ctx(t), bob.ID, store.UserUpdate{Email: &w.admin.Email})
	wantErr(t, err, chat.ErrConflict, "update to a taken email")
	got, err := s.User(ctx(t), bob.ID)
	must(t, err)
	if got.Email != bob.Email {
		t.Fatalf("failed update changed the email to %q", got.Email)
	}
	// A deactivated user keeps their email.
	_, err = s.DeactivateUser(ctx(t), bob.ID, chat.StatusDeactivated)
	must(t, err)
	_, err = s.CreateUser(ctx(t), store.NewUser{Name: "Bob 2", Email: bob.Email, Role: chat.RoleMember})
	wantErr(t, err, chat.ErrConflict, "create with a deactivated user's email")
}

func testUpdateUser(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	name, email, bio, hash, role := "Robert", "robert@example.com", "Builds things", "hash-2", chat.RoleAdmin
	u, err := s.UpdateUser(ctx(t), bob.ID, store.UserUpdate{Name: &name, Email: &email, Bio: &bio, PasswordHash: &hash, Role: &role})
	must(t, err)
	if u.Name != name || u.Email != email || u.Bio != bio || u.PasswordHash != hash || u.Role != role {
		t.Fatalf("after update: %+v", u)
	}
	if !u.CreatedAt.Equal(bob.CreatedAt) || u.UpdatedAt.Before(bob.UpdatedAt) {
		t.Fatalf("times after update: created %v (was %v), updated %v (was %v)", u.CreatedAt, bob.CreatedAt, u.UpdatedAt, bob.UpdatedAt)
	}
	got, err := s.User(ctx(t), bob.ID)
	must(t, err)
	if got != u {
		t.Fatalf("User() = %+v, want %+v", got, u)
	}

	// Only the non-nil fields change.
	bio2 := "Still builds things"
	u2, err := s.UpdateUser(ctx(t), bob.ID, store.UserUpdate{Bio: &bio2})
	must(t, err)
	if u2.Bio != bio2 || u2.Name != name || u2.Email != email || u2.PasswordHash != hash {
		t.Fatalf("partial update: %+v", u2)
	}
	// An empty update changes nothing and still finds the user.
	u3, err := s.UpdateUser(ctx(t), bob.ID, store.UserUpdate{})
	must(t, err)
	if u3.Bio != bio2 {
		t.Fatalf("empty update: %+v", u3)
	}

	hal := w.bot(t, "Hal")
	tok, hook := "tok-2", "https://bots.example.com/new"
	h, err := s.UpdateUser(ctx(t), hal.ID, store.UserUpdate{BotTokenHash: &tok, WebhookURL: &hook})
	must(t, err)
	if h.BotTokenHash != tok || h.WebhookURL != hook || h.Email != "" {
		t.Fatalf("bot update: %+v", h)
	}

	_, err = s.UpdateUser(ctx(t), 999999, store.UserUpdate{Name: &name})
	wantErr(t, err, chat.ErrNotFound, "update unknown user")
	_, err = s.UpdateUser(ctx(t), 999999, store.UserUpdate{})
	wantErr(t, err, chat.ErrNotFound, "empty update of unknown user")
}

func testSessions(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	t0 := ms(time.Now().Add(-time.Hour))
	s1, err := s.CreateSession(ctx(t), chat.Session{UserID: bob.ID, TokenHash: "h1", IP: "10.0.0.1", UserAgent: "ua1",
		CreatedAt: t0, LastActiveAt: t0})
	must(t, err)
	if s1.ID == 0 || s1.UserID != bob.ID || s1.TokenHash != "h1" || !s1.CreatedAt.Equal(t0) || !s1.LastActiveAt.Equal(t0) {
		t.Fatalf("created session = %+v", s1)
	}
	s2, err := s.CreateSession(ctx(t), chat.Session{UserID: bob.ID, TokenHash: "h2", IP: "10.0.0.2", UserAgent: "ua2",
		CreatedAt: t0.Add(time.Minute), LastActiveAt: t0.Add(time.Minute)})
	must(t, err)

	_, err = s.CreateSession(ctx(t), chat.Session{UserID: w.admin.ID, TokenHash: "h1"})
	wantErr(t, err, chat.ErrConflict, "duplicate token hash")
	_, err = s.CreateSession(ctx(t), chat.Session{UserID: 999999, TokenHash: "h9"})
	wantErr(t, err, chat.ErrNotFound, "session of an unknown user")

	got, u, err := s.SessionByTokenHash(ctx(t), "h1")
	must(t, err)
	if got.ID != s1.ID || got.IP != "10.0.0.1" || got.UserAgent != "ua1" || u.ID != bob.ID || u.Email != bob.Email {
		t.Fatalf("SessionByTokenHash = %+v, %+v", got, u)
	}
	wantUTC(t, "session", got.CreatedAt, got.LastActiveAt)
	_, _, err = s.SessionByTokenHash(ctx(t), "nope")
	wantErr(t, err, chat.ErrNotFound, "unknown token")

	// Newest activity first: touching s1 moves it ahead of s2.
	list, err := s.UserSessions(ctx(t), bob.ID)
	must(t, err)
	if len(list) != 2 || list[0].ID != s2.ID || list[1].ID != s1.ID {
		t.Fatalf("UserSessions = %+v", list)
	}
	t1 := ms(time.Now())
	must(t, s.TouchSession(ctx(t), s1.ID, t1, "10.0.0.9", "ua9"))
	got, _, err = s.SessionByTokenHash(ctx(t), "h1")
	must(t, err)
	if !got.LastActiveAt.Equal(t1) || got.IP != "10.0.0.9" || got.UserAgent != "ua9" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("touched session = %+v", got)
	}
	list, err = s.UserSessions(ctx(t), bob.ID)
	must(t, err)
	if len(list) != 2 || list[0].ID != s1.ID {
		t.Fatalf("UserSessions after touch = %+v", list)
	}
	wantErr(t, s.TouchSession(ctx(t), 999999, t1, "", ""), chat.ErrNotFound, "touch unknown session")

	must(t, s.DeleteSession(ctx(t), "h1"))
	_, _, err = s.SessionByTokenHash(ctx(t), "h1")
	wantErr(t, err, chat.ErrNotFound, "deleted session")
	wantErr(t, s.DeleteSession(ctx(t), "h1"), chat.ErrNotFound, "delete a deleted session")
	list, err = s.UserSessions(ctx(t), bob.ID)
	must(t, err)
	if len(list) != 1 || list[0].ID != s2.ID {
		t.Fatalf("UserSessions after delete = %+v", list)
	}
	list, err = s.UserSessions(ctx(t), w.admin.ID)
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("admin has sessions: %+v", list)
	}
}

func testDeactivateUser(t *testing.T, s store.Store) {
	w := setup(t, s)
	bob := w.user(t, "Bob")
	cat := w.user(t, "Cat")
	closed := w.room(t, "Secret", chat.RoomClosed, w.admin, bob)
	direct, _ := w.direct(t, w.admin, bob)
	for i, ip := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.1", ""} {
		_, err := s.CreateSession(ctx(t), chat.Session{UserID: bob.ID, TokenHash: "bob-" + string(rune('a'+i)), IP: ip})
		must(t, err)
	}
	_, err := s.CreateSession(ctx(t), chat.Session{UserID: cat.ID, TokenHash: "cat-a", IP: "10.0.0.3"})
	must(t, err)
	m, _ := w.post(t, direct, bob, "hello from bob")

	left, err := s.DeactivateUser(ctx(t), bob.ID, chat.StatusBanned)
	must(t, err)
	sameIDs(t, "rooms left", left, []int64{w.allTalk.ID, closed.ID})

	u, err := s.User(ctx(t), bob.ID)
	must(t, err)
	if u.Status != chat.StatusBanned || u.Active() {
		t.Fatalf("banned user = %+v", u)
	}
	for _, h := range []string{"bob-a", "bob-b", "bob-c", "bob-d"} {
		_, _, err := s.SessionByTokenHash(ctx(t), h)
		wantErr(t, err, chat.ErrNotFound, "session of a banned user")
	}
	sessions, err := s.UserSessions(ctx(t), bob.ID)
	must(t, err)
	if len(sessions) != 0 {
		t.Fatalf("banned user's sessions = %v", sessions)
	}
	ips, err := s.BannedIPs(ctx(t))
	must(t, err)
	if !slices.Equal(ips, []string{"10.0.0.1", "10.0.0.2"}) {
		t.Fatalf("banned IPs = %v", ips)
	}
	// The direct room keeps them and its history; shared rooms do not.
	views, err := s.RoomsForUser(ctx(t), bob.ID)
	must(t, err)
	sameIDs(t, "banned user's rooms", roomIDs(views), []int64{direct.ID})
	memberIDs, err := s.MemberIDs(ctx(t), direct.ID)
	must(t, err)
	sameIDs(t, "direct room members", memberIDs, []int64{w.admin.ID, bob.ID})
	if _, err := s.Message(ctx(t), m.ID); err != nil {
		t.Fatalf("direct message gone: %v", err)
	}
	// Still a member of the direct room, but no longer able to post in it.
	_, _, _, err = s.CreateMessage(ctx(t), store.NewMessage{RoomID: direct.ID, CreatorID: bob.ID, Body: "from beyond", BodyHTML: "from beyond"})
	wantErr(t, err, chat.ErrForbidden, "post by a banned user")
	for _, r := range []chat.Room{w.allTalk, closed} {
		_, err := s.RoomForUser(ctx(t), r.ID, bob.ID)
		wantErr(t, err, chat.ErrNotFound, "shared room after ban")
		memberIDs, err := s.MemberIDs(ctx(t), r.ID)
		must(t, err)
		if slices.Contains(memberIDs, bob.ID) {
			t.Fatalf("room %d still lists the banned user", r.ID)
		}
	}
	// Later open rooms do not pick them up either.
	open := w.room(t, "Later", chat.RoomOpen, w.admin)
	memberIDs, err = s.MemberIDs(ctx(t), open.ID)
	must(t, err)
	sameIDs(t, "new open room", memberIDs, []int64{w.admin.ID, cat.ID})

	// Deactivating records no IPs.
	left, err = s.DeactivateUser(ctx(t), cat.ID, chat.StatusDeactivated)
	must(t, err)
	sameIDs(t, "rooms cat left", left, []int64{w.allTalk.ID, open.ID})
	ips, err = s.BannedIPs(ctx(t))
	must(t, err)
	if len(ips) != 2 {
		t.Fatalf("deactivation banned IPs: %v", ips)
	}
	_, _, err = s.SessionByTokenHash(ctx(t), "cat-a")
	wantErr(t, err, chat.ErrNotFound, "session of a deactivated user")

	_, err = s.DeactivateUser(ctx(t), 999999, chat.StatusDeactivated)
	wantErr(t, err, chat.ErrNotFound, "deactivate unknown user")
}

func testBans(t *testing.T, s store.Store) {
	ips, err := s.BannedIPs(ctx(t))
	must(t, err)
	if len(ips) != 0 {
		t.Fatalf("banned IPs on a new store: %v", ips)
	}
	must(t, s.BanIP(ctx(t), "192.0.2.7"))
	must(t, s.BanIP(ctx(t), "2001:db8::1"))
	// Contract choice: banning twice is a unique violation, unbanning what
	// is not banned is not found.
	wantErr(t, s.BanIP(ctx(t), "192.0.2.7"), chat.ErrConflict, "ban twice")
	ips, err = s.BannedIPs(ctx(t))
	must(t, err)
	if !slices.Equal(sorted2(ips), []string{"192.0.2.7", "2001:db8::1"}) {
		t.Fatalf("banned IPs = %v", ips)
	}
	must(t, s.UnbanIP(ctx(t), "192.0.2.7"))
	wantErr(t, s.UnbanIP(ctx(t), "192.0.2.7"), chat.ErrNotFound, "unban twice")
	ips, err = s.BannedIPs(ctx(t))
	must(t, err)
	if !slices.Equal(ips, []string{"2001:db8::1"}) {
		t.Fatalf("banned IPs after unban = %v", ips)
	}
}

func sorted2(xs []string) []string {
	ys := slices.Clone(xs)
	slices.Sort(ys)
	return ys
}

func testPing(t *testing.T, s store.Store) {
	must(t, s.Ping(ctx(t)))
}
