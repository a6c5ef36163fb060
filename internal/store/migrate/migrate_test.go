package migrate_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/migrate"
	"github.com/campfire-go/campfire/internal/store/postgres"
	"github.com/campfire-go/campfire/internal/store/sqlite"
	"github.com/campfire-go/campfire/internal/testenv"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func openSQLite(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	must(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 4, MinConns: 1})
	must(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// fixture is a source database with a little of everything, built through
// the SQLite store as Campfire itself would.
type fixture struct {
	path                  string
	ada, bob, cleo, dave  chat.User
	bot                   chat.User
	allTalk, secret, dm   chat.Room
	zebra                 chat.Message
	maxMessageID          int64 // the highest id ever used: a deleted message's
	maxBoostID, maxRoomID int64
	bobSession            chat.Session
}

const password = "correct horse"

func buildFixture(t *testing.T, path string) fixture {
	t.Helper()
	ctx := t.Context()
	s := openSQLite(t, path)
	f := fixture{path: path}
	digest, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	must(t, err)
	_, f.ada, f.allTalk, err = s.Setup(ctx, store.SetupParams{AccountName: "Acme", JoinCode: "join-1",
		Admin: store.NewUser{Name: "Ada", Email: "ada@example.com", PasswordHash: string(digest), Role: chat.RoleAdmin}, RoomName: "All Talk"})
	must(t, err)
	person := func(name string) chat.User {
		u, err := s.CreateUser(ctx, store.NewUser{Name: name, Email: strings.ToLower(name) + "@example.com",
			PasswordHash: string(digest), Role: chat.RoleMember})
		must(t, err)
		return u
	}
	f.bob, f.cleo, f.dave = person("Bob"), person("Cleo"), person("Dave")
	f.bot, err = s.CreateUser(ctx, store.NewUser{Name: "Deploy Bot", Role: chat.RoleBot,
		BotTokenHash: "bot-token-hash", WebhookURL: "https://hooks.example.com/deploy"})
	must(t, err)
	bio := "Café owner"
	_, err = s.UpdateUser(ctx, f.cleo.ID, store.UserUpdate{Bio: &bio})
	must(t, err)
	f.secret, err = s.CreateRoom(ctx, store.NewRoom{Name: "Secret", Type: chat.RoomClosed, CreatorID: f.ada.ID,
		MemberIDs: []int64{f.bob.ID, f.dave.ID}})
	must(t, err)
	f.dm, _, err = s.DirectRoom(ctx, f.ada.ID, []int64{f.ada.ID, f.cleo.ID})
	must(t, err)

	post := func(r chat.Room, by chat.User, body, clientID string, mentions ...int64) chat.Message {
		m, _, _, err := s.CreateMessage(ctx, store.NewMessage{RoomID: r.ID, CreatorID: by.ID, ClientMessageID: clientID,
			Body: body, BodyHTML: "<p>" + body + "</p>", Mentions: mentions, CreatedAt: time.Now()})
		must(t, err)
		return m
	}
	hello := post(f.allTalk, f.ada, "hello @Bob", "c-1", f.bob.ID)
	f.zebra = post(f.allTalk, f.bob, "the zebra crossing", "")
	gone := post(f.allTalk, f.cleo, "to be deleted", "")
	edit := post(f.allTalk, f.ada, "edit me", "c-2")
	post(f.allTalk, f.bot, "deployed v1.2", "")
	_, err = s.UpdateMessage(ctx, edit.ID, store.MessageUpdate{Body: "edited, mentioning @Cleo",
		BodyHTML: "<p>edited</p>", Mentions: []int64{f.cleo.ID}, UpdatedAt: time.Now().Add(time.Millisecond)})
	must(t, err)
	must(t, s.DeleteMessage(ctx, gone.ID)) // a seq gap in All Talk
	_, err = s.CreateBoost(ctx, hello.ID, f.bob.ID, "👍")
	must(t, err)
	b2, err := s.CreateBoost(ctx, f.zebra.ID, f.ada.ID, "🦓")
	must(t, err)
	_, err = s.CreateBoost(ctx, f.zebra.ID, f.cleo.ID, "nice")
	must(t, err)
	b4, err := s.CreateBoost(ctx, f.zebra.ID, f.bob.ID, "gone")
	must(t, err)
	must(t, s.DeleteBoost(ctx, b4.ID)) // the newest boost: its id must not come back
	f.maxBoostID = b4.ID
	_ = b2

	post(f.dm, f.ada, "just between us", "")
	addAttachment(t, s, f.dm, f.cleo)
	addPreviewAndPictures(t, s, f.zebra, f.bob)
	post(f.secret, f.ada, "secret plans", "", f.dave.ID)
	last := post(f.secret, f.bob, "the newest message, deleted", "")
	must(t, s.DeleteMessage(ctx, last.ID)) // Secret's last_seq is above its highest seq
	f.maxMessageID = last.ID
	throwaway, err := s.CreateRoom(ctx, store.NewRoom{Name: "Throwaway", Type: chat.RoomClosed, CreatorID: f.bob.ID})
	must(t, err)
	_, err = s.DeleteRoom(ctx, throwaway.ID)
	must(t, err)
	f.maxRoomID = throwaway.ID

	_, err = s.MarkRead(ctx, f.allTalk.ID, f.bob.ID)
	must(t, err)
	must(t, s.SetInvolvement(ctx, f.allTalk.ID, f.bob.ID, chat.InvolvementEverything))
	must(t, s.SetInvolvement(ctx, f.allTalk.ID, f.cleo.ID, chat.InvolvementInvisible))
	f.bobSession, err = s.CreateSession(ctx, chat.Session{UserID: f.bob.ID, TokenHash: "session-bob",
		IP: "192.0.2.1", UserAgent: "Firefox", CreatedAt: time.Now()})
	must(t, err)
	must(t, s.TouchSession(ctx, f.bobSession.ID, time.Now().Add(time.Minute), "192.0.2.2", "Firefox 2"))
	_, err = s.CreateSession(ctx, chat.Session{UserID: f.dave.ID, TokenHash: "session-dave", IP: "198.51.100.7", CreatedAt: time.Now()})
	must(t, err)
	_, err = s.DeactivateUser(ctx, f.dave.ID, chat.StatusBanned) // bans the IP of Dave's session
	must(t, err)
	must(t, s.BanIP(ctx, "203.0.113.9"))
	_, err = s.SavePushSubscription(ctx, store.PushSubscription{UserID: f.bob.ID, Endpoint: "https://push.example/bob", P256dh: "p256dh", Auth: "auth"}, 20)
	must(t, err)
	_, err = s.VAPIDKeys(ctx, store.VAPIDKeys{PublicKey: "vapid-public", PrivateKey: "vapid-private"})
	must(t, err)
	must(t, s.RecordSearch(ctx, f.bob.ID, "zebra", time.Now(), 10))
	must(t, s.RecordSearch(ctx, f.bob.ID, "crossing", time.Now(), 10))
	must(t, s.RecordBanIPs(ctx, f.bob.ID, []string{"203.0.113.9"}))
	_, err = s.UpdateAccountSettings(ctx, store.AccountSettings{AdminsCreateRooms: true, CustomCSS: "body { color: red }"})
	must(t, err)
	_, err = s.SetJoinCode(ctx, "join-2")
	must(t, err)
	f.allTalk, err = s.Room(ctx, f.allTalk.ID)
	must(t, err)
	f.secret, err = s.Room(ctx, f.secret.ID)
	must(t, err)
	return f
}

// snapshot renders everything the store.Store interface shows of the
// fixture's world, one line per read, so two stores can be compared line
// by line (%+v prints a nil and an empty slice alike).
func snapshot(t *testing.T, s store.Store, f fixture) []string {
	t.Helper()
	ctx := t.Context()
	var out []string
	add := func(what string, v any, err error) {
		t.Helper()
		if err != nil && !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("%s: %v", what, err)
		}
		out = append(out, fmt.Sprintf("%s: %+v %v", what, v, err))
	}
	acc, err := s.Account(ctx)
	add("account", acc, err)
	us, err := s.Users(ctx)
	add("users", us, err)
	bots, err := s.Bots(ctx)
	add("bots", bots, err)
	subs, err := s.PushSubscriptionsFor(ctx, []int64{f.bob.ID})
	add("push subscriptions", subs, err)
	keys, err := s.VAPIDKeys(ctx, store.VAPIDKeys{PublicKey: "not copied", PrivateKey: "not copied"})
	add("vapid keys", keys, err)
	searches, err := s.RecentSearches(ctx, f.bob.ID, 10)
	add("recent searches", searches, err)
	ips, err := s.BannedIPs(ctx)
	slices.Sort(ips)
	add("banned", ips, err)
	rooms := map[int64]bool{}
	for _, u := range []chat.User{f.ada, f.bob, f.cleo, f.dave, f.bot} {
		got, err := s.User(ctx, u.ID)
		add("user", got, err)
		if u.Email != "" {
			got, err := s.UserByEmail(ctx, u.Email)
			add("by email", got, err)
		}
		ss, err := s.UserSessions(ctx, u.ID)
		add("sessions", ss, err)
		rs, err := s.RoomsForUser(ctx, u.ID)
		slices.SortFunc(rs, func(a, b chat.RoomView) int { return int(a.ID - b.ID) })
		add(fmt.Sprintf("rooms of %s", u.Name), rs, err)
		for _, r := range rs {
			rooms[r.ID] = true
		}
		found, err := s.Search(ctx, u.ID, "zebra", 10)
		add(fmt.Sprintf("search by %s", u.Name), found, err)
	}
	for _, id := range slices.Sorted(func(yield func(int64) bool) {
		for id := range rooms {
			if !yield(id) {
				return
			}
		}
	}) {
		r, err := s.Room(ctx, id)
		add("room", r, err)
		ms, err := s.Members(ctx, id)
		add("members", ms, err)
		page, err := s.Messages(ctx, id, store.Page{Forward: true, Limit: 1000})
		plain, atts := detach(page...)
		add("messages", plain, err)
		add("attachments", atts, nil)
		for _, m := range page {
			got, err := s.Message(ctx, m.ID)
			plain, atts := detach(got)
			add("message", plain[0], err)
			add("attachments", atts, nil)
			for _, b := range m.Boosts {
				got, err := s.Boost(ctx, b.ID)
				add("boost", got, err)
			}
		}
		upd, err := s.MessagesUpdatedSince(ctx, id, time.UnixMilli(1), 100)
		plain, atts = detach(upd...)
		add("updated since", plain, err)
		add("attachments", atts, nil)
	}
	sess, u, err := s.SessionByTokenHash(ctx, f.bobSession.TokenHash)
	add("session", []any{sess, u}, err)
	return out
}

func diff(t *testing.T, want, got []string) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("snapshots differ in length: source %d lines, target %d", len(want), len(got))
	}
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("differs:\nsource: %s\ntarget: %s", want[i], got[i])
		}
	}
}

func run(t testing.TB, ctx context.Context, opts migrate.Options) (migrate.Report, string, error) {
	t.Helper()
	var progress bytes.Buffer
	opts.Progress = &progress
	rep, err := migrate.Run(ctx, opts)
	return rep, progress.String(), err
}

func TestMigrateEverything(t *testing.T) {
	pg := testenv.PostgresSchema(t)
	f := buildFixture(t, filepath.Join(t.TempDir(), "campfire.db"))
	src := openSQLite(t, f.path) // still open: WAL and all, as a stopped server leaves nothing to fear
	want := snapshot(t, src, f)
	if !strings.Contains(strings.Join(want, "\n"), "zebra crossing") {
		t.Fatal("the fixture's search finds nothing: the test would prove little")
	}

	rep, progress, err := run(t, t.Context(), migrate.Options{From: "sqlite://" + f.path, To: pg, BatchSize: 2})
	if err != nil {
		t.Fatalf("%v\n%s", err, progress)
	}
	t.Logf("progress:\n%s", progress)
	for _, tr := range rep.Tables {
		if !tr.OK() || tr.Copied != tr.SourceRows || tr.SourceRows == 0 {
			t.Errorf("%s: %+v", tr.Name, tr)
		}
	}
	if int64(len(rep.Tables)) != migrate.TableCount || rep.Resumed || rep.Cleaned != 0 {
		t.Errorf("report: %+v", rep)
	}
	if !strings.Contains(progress, "messages: 7 rows copied in") || !strings.Contains(progress, "rows/s") {
		t.Errorf("progress does not say rows/s per table:\n%s", progress)
	}

	dst := openPostgres(t, pg)
	got := snapshot(t, dst, f)
	diff(t, want, got)
	if len(got) < 45 {
		t.Errorf("the snapshot has only %d lines:\n%s", len(got), strings.Join(got, "\n"))
	}

	// Search was rebuilt, not copied: a word the source never searched.
	ctx := t.Context()
	found, err := dst.Search(ctx, f.ada.ID, "cafe", 10)
	must(t, err)
	if len(found) != 0 {
		t.Errorf("search for a bio word found messages: %+v", found)
	}
	found, err = dst.Search(ctx, f.cleo.ID, "edited", 10)
	must(t, err)
	if len(found) != 1 || found[0].Body != "edited, mentioning @Cleo" {
		t.Errorf("search for an edited word: %+v", found)
	}
	// Password digests and bot tokens came across intact.
	ada, err := dst.UserByEmail(ctx, "ada@example.com")
	must(t, err)
	must(t, bcrypt.CompareHashAndPassword([]byte(ada.PasswordHash), []byte(password)))
	bot, err := dst.User(ctx, f.bot.ID)
	must(t, err)
	if bot.BotTokenHash != "bot-token-hash" || bot.WebhookURL != "https://hooks.example.com/deploy" {
		t.Errorf("bot: %+v", bot)
	}

	// New rows continue the copied ones: seq after the room's counter
	// (above a deleted newest message's), ids above every id SQLite used.
	for _, r := range []chat.Room{f.allTalk, f.secret} {
		m, created, _, err := dst.CreateMessage(ctx, store.NewMessage{RoomID: r.ID, CreatorID: f.ada.ID,
			Body: "after the move", BodyHTML: "<p>after the move</p>"})
		must(t, err)
		if !created || m.Seq != r.LastSeq+1 || m.ID <= f.maxMessageID {
			t.Errorf("new message in %s: seq %d id %d, want seq %d and id > %d", r.Name, m.Seq, m.ID, r.LastSeq+1, f.maxMessageID)
		}
	}
	// A retry of a copied client_message_id is still recognised.
	m, created, _, err := dst.CreateMessage(ctx, store.NewMessage{RoomID: f.allTalk.ID, CreatorID: f.ada.ID,
		ClientMessageID: "c-1", Body: "hello again", BodyHTML: "x"})
	must(t, err)
	if created || m.Body != "hello @Bob" {
		t.Errorf("retry of c-1 created a message: %+v", m)
	}
	b, err := dst.CreateBoost(ctx, f.zebra.ID, f.cleo.ID, "+1")
	must(t, err)
	if b.ID <= f.maxBoostID {
		t.Errorf("new boost id %d, want > %d", b.ID, f.maxBoostID)
	}
	r, err := dst.CreateRoom(ctx, store.NewRoom{Name: "New", Type: chat.RoomOpen, CreatorID: f.ada.ID})
	must(t, err)
	if r.ID <= f.maxRoomID {
		t.Errorf("new room id %d, want > %d", r.ID, f.maxRoomID)
	}
	u, err := dst.CreateUser(ctx, store.NewUser{Name: "Eve", Email: "eve@example.com", Role: chat.RoleMember})
	must(t, err)
	if u.ID <= f.bot.ID {
		t.Errorf("new user id %d, want > %d", u.ID, f.bot.ID)
	}
	sess, err := dst.CreateSession(ctx, chat.Session{UserID: u.ID, TokenHash: "session-eve", CreatedAt: time.Now()})
	must(t, err)
	if sess.ID <= f.bobSession.ID {
		t.Errorf("new session id %d, want > %d", sess.ID, f.bobSession.ID)
	}
	must(t, dst.BanIP(ctx, "203.0.113.10"))

	// The bookkeeping is gone once verified.
	if n := tableCount(t, pg, "data_migration"); n != -1 {
		t.Errorf("data_migration still exists with %d rows", n)
	}
}

// tableCount counts a table's rows on the target, -1 when it does not exist.
func tableCount(t testing.TB, url, table string) int64 {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	must(t, err)
	defer c.Close(context.Background())
	var exists bool
	must(t, c.QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists))
	if !exists {
		return -1
	}
	var n int64
	must(t, c.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

func execSQL(t testing.TB, url, sql string) {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	must(t, err)
	defer c.Close(context.Background())
	_, err = c.Exec(context.Background(), sql)
	must(t, err)
}

// bulkSource makes a source with n messages over three rooms.
func bulkSource(t testing.TB, path string, n int) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	must(t, err)
	defer s.Close()
	_, admin, room, err := s.Setup(ctx, store.SetupParams{AccountName: "Acme", JoinCode: "j",
		Admin: store.NewUser{Name: "Ada", Email: "ada@example.com", PasswordHash: "x", Role: chat.RoleAdmin}, RoomName: "All Talk"})
	must(t, err)
	bob, err := s.CreateUser(ctx, store.NewUser{Name: "Bob", Email: "bob@example.com", PasswordHash: "x", Role: chat.RoleMember})
	must(t, err)
	rooms := []int64{room.ID}
	for _, name := range []string{"Two", "Three"} {
		r, err := s.CreateRoom(ctx, store.NewRoom{Name: name, Type: chat.RoomOpen, CreatorID: admin.ID})
		must(t, err)
		rooms = append(rooms, r.ID)
	}
	// Concurrent posters share the writer's commits.
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				body := fmt.Sprintf("message %d about the weather in room %d, with a few more words to be realistic", i, i%3)
				_, _, _, err := s.CreateMessage(ctx, store.NewMessage{RoomID: rooms[i%3], CreatorID: admin.ID,
					Body: body, BodyHTML: "<p>" + body + "</p>", Mentions: []int64{bob.ID}})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	must(t, <-errs)
}

func TestResumeAfterInterruption(t *testing.T) {
	pg := testenv.PostgresSchema(t)
	path := filepath.Join(t.TempDir(), "campfire.db")
	bulkSource(t, path, 5000)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var batches int
	rep, progress, err := run(t, ctx, migrate.Options{From: "sqlite://" + path, To: pg, BatchSize: 500,
		OnBatch: func(table string, committed int64) {
			if table == "messages" {
				batches++
				if committed != 500 {
					t.Errorf("first batch committed %d rows", committed)
				}
				cancel() // as if Ctrl-C came right after the first batch of the big table
			}
		}})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "run the same command again") {
		t.Fatalf("interrupted run: %v", err)
	}
	t.Logf("interrupted: %v\n%s", err, progress)
	if batches != 1 {
		t.Fatalf("%d message batches before the interruption", batches)
	}
	if n := tableCount(t, pg, "messages"); n != 500 {
		t.Fatalf("after the interruption the target has %d messages, want the one committed batch of 500", n)
	}
	if tableCount(t, pg, "data_migration") != migrate.TableCount {
		t.Fatal("no progress rows after the interruption")
	}
	if len(rep.Tables) == 0 {
		t.Fatal("no report")
	}

	// Another source may not continue it.
	other := filepath.Join(t.TempDir(), "other.db")
	bulkSource(t, other, 1)
	if _, _, err := run(t, t.Context(), migrate.Options{From: "sqlite://" + other, To: pg}); !errors.Is(err, migrate.ErrTargetNotEmpty) ||
		!strings.Contains(err.Error(), "unfinished migration from "+path) {
		t.Fatalf("resume from another source: %v", err)
	}

	rep, progress, err = run(t, t.Context(), migrate.Options{From: "sqlite://" + path, To: pg, BatchSize: 500,
		ProgressEvery: time.Nanosecond})
	if err != nil {
		t.Fatalf("resumed run: %v\n%s", err, progress)
	}
	t.Logf("resumed:\n%s", progress)
	if !rep.Resumed || !strings.Contains(progress, "messages: resuming after id [500] (500 rows copied earlier)") ||
		!strings.Contains(progress, "users: copied by an earlier run") ||
		!strings.Contains(progress, "messages: 500/4500 rows (11%), ") {
		t.Errorf("resumed run did not say so: %+v\n%s", rep, progress)
	}
	for _, tr := range rep.Tables {
		if !tr.OK() {
			t.Errorf("%s differs after resuming: %+v", tr.Name, tr)
		}
		switch tr.Name {
		case "messages":
			if tr.Copied != 4500 || tr.SourceRows != 5000 {
				t.Errorf("messages: copied %d of %d this run, want 4500 of 5000", tr.Copied, tr.SourceRows)
			}
		case "mentions":
			if tr.Copied != 5000 {
				t.Errorf("mentions: copied %d this run, want 5000", tr.Copied)
			}
		case "users", "rooms", "memberships", "accounts":
			if tr.Copied != 0 {
				t.Errorf("%s copied again (%d rows) on resume", tr.Name, tr.Copied)
			}
		}
	}
	if tableCount(t, pg, "data_migration") != -1 {
		t.Error("the bookkeeping table outlived a verified migration")
	}
	// The target is an ordinary store now: new posts continue each room.
	dst := openPostgres(t, pg)
	rooms, err := dst.RoomsForUser(t.Context(), 1)
	must(t, err)
	for _, r := range rooms {
		m, _, _, err := dst.CreateMessage(t.Context(), store.NewMessage{RoomID: r.ID, CreatorID: 1, Body: "x", BodyHTML: "x"})
		must(t, err)
		if m.Seq != r.LastSeq+1 || m.ID <= 5000 {
			t.Errorf("room %d: new message seq %d id %d after last seq %d", r.ID, m.Seq, m.ID, r.LastSeq)
		}
	}
}

func TestNonEmptyTargetRefused(t *testing.T) {
	pg := testenv.PostgresSchema(t)
	path := filepath.Join(t.TempDir(), "campfire.db")
	bulkSource(t, path, 10)
	// A Campfire already set up on the target.
	dst := openPostgres(t, pg)
	_, _, _, err := dst.Setup(t.Context(), store.SetupParams{AccountName: "Other", JoinCode: "x",
		Admin: store.NewUser{Name: "Zed", Email: "zed@example.com", Role: chat.RoleAdmin}, RoomName: "All Talk"})
	must(t, err)

	_, _, err = run(t, t.Context(), migrate.Options{From: "sqlite://" + path, To: pg})
	if !errors.Is(err, migrate.ErrTargetNotEmpty) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("non-empty target: %v", err)
	}
	if _, err := dst.UserByEmail(t.Context(), "zed@example.com"); err != nil {
		t.Fatalf("the refused run touched the target: %v", err)
	}

	rep, _, err := run(t, t.Context(), migrate.Options{From: "sqlite://" + path, To: pg, Force: true})
	must(t, err)
	if _, err := dst.UserByEmail(t.Context(), "zed@example.com"); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("--force kept the target's own user: %v", err)
	}
	for _, tr := range rep.Tables {
		if !tr.OK() || tr.Copied != tr.SourceRows {
			t.Errorf("%s: %+v", tr.Name, tr)
		}
	}
	// A finished migration is refused too (nothing marks it as resumable).
	if _, _, err := run(t, t.Context(), migrate.Options{From: "sqlite://" + path, To: pg}); !errors.Is(err, migrate.ErrTargetNotEmpty) {
		t.Fatalf("second run onto a migrated target: %v", err)
	}
}

func TestMismatchReported(t *testing.T) {
	pg := testenv.PostgresSchema(t)
	path := filepath.Join(t.TempDir(), "campfire.db")
	bulkSource(t, path, 30)
	_, _, err := run(t, t.Context(), migrate.Options{From: "sqlite://" + path, To: pg})
	must(t, err)
	rep, _, err := run(t, t.Context(), migrate.Options{From: "sqlite://" + path, To: pg, VerifyOnly: true})
	must(t, err)
	if int64(len(rep.Tables)) != migrate.TableCount {
		t.Fatalf("verify-only report: %+v", rep)
	}

	execSQL(t, pg, "UPDATE messages SET body = 'tampered' WHERE id = 7")
	execSQL(t, pg, "DELETE FROM bans")
	execSQL(t, pg, "INSERT INTO bans (ip, created_at) VALUES ('192.0.2.99', 1)")
	rep, _, err = run(t, t.Context(), migrate.Options{From: "sqlite://" + path, To: pg, VerifyOnly: true})
	if !errors.Is(err, migrate.ErrMismatch) || !strings.Contains(err.Error(), "messages: 30 rows, checksum") ||
		!strings.Contains(err.Error(), "bans: 0 rows") {
		t.Fatalf("tampered target: %v", err)
	}
	for _, tr := range rep.Tables {
		if tr.OK() != (tr.Name != "messages" && tr.Name != "bans") {
			t.Errorf("%s: ok=%v %+v", tr.Name, tr.OK(), tr)
		}
	}
}

func TestUnknownColumnRefused(t *testing.T) {
	pg := testenv.PostgresSchema(t)
	path := filepath.Join(t.TempDir(), "campfire.db")
	bulkSource(t, path, 1)
	// A column a later migration might add without teaching migrate-data.
	db, err := sql.Open("sqlite", path)
	must(t, err)
	_, err = db.Exec("ALTER TABLE users ADD COLUMN nickname TEXT")
	must(t, err)
	must(t, db.Close())
	_, _, err = run(t, t.Context(), migrate.Options{From: "sqlite://" + path, To: pg})
	if err == nil || !strings.Contains(err.Error(), "users.nickname") {
		t.Fatalf("unknown column: %v", err)
	}
}

// A source written to between an interrupted run and its resumption gives
// a copy that mixes two snapshots: the verification says so, and --force
// starts over.
func TestSourceChangedBetweenRunsReported(t *testing.T) {
	pg := testenv.PostgresSchema(t)
	path := filepath.Join(t.TempDir(), "campfire.db")
	bulkSource(t, path, 1000)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, _, err := run(t, ctx, migrate.Options{From: "sqlite://" + path, To: pg, BatchSize: 100,
		OnBatch: func(table string, _ int64) {
			if table == "messages" {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	src := openSQLite(t, path)
	_, err = src.UpdateMessage(t.Context(), 3, store.MessageUpdate{Body: "changed after it was copied", BodyHTML: "x"})
	must(t, err)
	must(t, src.Close())

	rep, _, err := run(t, t.Context(), migrate.Options{From: "sqlite://" + path, To: pg, BatchSize: 100})
	if !errors.Is(err, migrate.ErrMismatch) || !strings.Contains(err.Error(), "messages: 1000 rows, checksum") ||
		!strings.Contains(err.Error(), "--force") {
		t.Fatalf("resumed run over a changed source: %v", err)
	}
	for _, tr := range rep.Tables {
		if tr.OK() != (tr.Name != "messages") {
			t.Errorf("%s: ok=%v", tr.Name, tr.OK())
		}
	}
	if tableCount(t, pg, "data_migration") != migrate.TableCount {
		t.Error("the bookkeeping of an unverified copy was dropped")
	}
	if _, _, err := run(t, t.Context(), migrate.Options{From: "sqlite://" + path, To: pg, Force: true}); err != nil {
		t.Fatalf("--force after a mismatch: %v", err)
	}
}

func TestConcurrentRunRefused(t *testing.T) {
	pg := testenv.PostgresSchema(t)
	path := filepath.Join(t.TempDir(), "campfire.db")
	bulkSource(t, path, 1)
	openPostgres(t, pg) // the schema, so current_schema() names it
	c, err := pgx.Connect(t.Context(), pg)
	must(t, err)
	defer c.Close(context.Background())
	// What a run in progress holds.
	_, err = c.Exec(t.Context(), "SELECT pg_advisory_lock(1667330153, hashtext(current_schema()))")
	must(t, err)
	if _, _, err := run(t, t.Context(), migrate.Options{From: "sqlite://" + path, To: pg}); !errors.Is(err, migrate.ErrBusy) {
		t.Fatalf("second concurrent run: %v", err)
	}
}
