package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func openTest(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "campfire.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, Options{}) })
}

// seed sets up an account and returns the admin and All Talk.
func seed(t testing.TB, s *Store) (chat.User, chat.Room) {
	t.Helper()
	_, admin, room, err := s.Setup(context.Background(), store.SetupParams{
		AccountName: "Acme", JoinCode: "j", RoomName: "All Talk",
		Admin: store.NewUser{Name: "Ada", Email: "ada@example.com", PasswordHash: "h"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return admin, room
}

func post(ctx context.Context, s *Store, room chat.Room, by chat.User, body string) (chat.Message, error) {
	m, _, _, err := s.CreateMessage(ctx, store.NewMessage{RoomID: room.ID, CreatorID: by.ID, Body: body, BodyHTML: body,
		CreatedAt: time.Now()})
	return m, err
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sub", "dir", "campfire.db") // the directory is created
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	admin, room := seed(t, s)
	m, err := post(ctx, s, room, admin, "still here")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := post(ctx, s, room, admin, "too late"); !errors.Is(err, chat.ErrUnavailable) {
		t.Fatalf("write after Close: %v, want ErrUnavailable", err)
	}

	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Message(ctx, m.ID)
	if err != nil || got.Body != "still here" || got.Seq != 1 {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	if m2, err := post(ctx, s, room, admin, "next"); err != nil || m2.Seq != 2 {
		t.Fatalf("post after reopen: %+v, %v", m2, err)
	}
}

func TestMigrations(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "campfire.db")
	s, err := Open(ctx, path, Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("unmigrated version = %d, %v", v, err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != LatestSchemaVersion() || v < 1 {
		t.Fatalf("version = %d, %v; want %d", v, err, LatestSchemaVersion())
	}
	// The writer's statements work on the schema Migrate just made.
	seed(t, s)
}

func TestSchemaTooNew(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "campfire.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	// A newer binary has been here.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(recordVersion, LatestSchemaVersion()+1, "9999_future.sql", 0); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, opts := range []Options{{}, {NoMigrate: true}} {
		s, err := Open(ctx, path, opts)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%+v) accepted a newer schema", opts)
		}
		if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("Open(%+v): %v, want ErrSchemaTooNew", opts, err)
		}
	}
}

func TestBackupWhileWriting(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := openTest(t, Options{})
	admin, room := seed(t, s)
	for i := range 50 {
		if _, err := post(ctx, s, room, admin, fmt.Sprintf("before %d", i)); err != nil {
			t.Fatal(err)
		}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	var written int
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := post(ctx, s, room, admin, "during"); err != nil {
				writeErr = err
				return
			}
			written++
		}
	})
	dest := filepath.Join(dir, "backups", "copy.db")
	backupErr := s.Backup(ctx, dest)
	close(stop)
	wg.Wait()
	if backupErr != nil {
		t.Fatal(backupErr)
	}
	if writeErr != nil {
		t.Fatalf("write during backup: %v", writeErr)
	}
	if err := s.Backup(ctx, dest); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("backup over an existing file: %v", err)
	}

	b, err := Open(ctx, dest, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r, err := b.Room(ctx, room.ID)
	if err != nil {
		t.Fatal(err)
	}
	// One snapshot: the room's counter agrees with the messages copied.
	msgs, err := b.Messages(ctx, room.ID, store.Page{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.LastSeq < 50 || len(msgs) != 1 || msgs[0].Seq != r.LastSeq {
		t.Fatalf("backup: last_seq %d, newest message %+v", r.LastSeq, msgs)
	}
	found, err := b.Search(ctx, admin.ID, "before", 100)
	if err != nil || len(found) != 50 {
		t.Fatalf("backup search: %d results, %v", len(found), err)
	}
	t.Logf("backup holds %d messages; %d were written during it", r.LastSeq, written)
}

// TestGroupCommit holds the writer busy so jobs pile up, then checks they
// ran as one batch in which a failing job undid only itself.
func TestGroupCommit(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, Options{})
	admin, room := seed(t, s)
	before := s.WriteStats()

	release := make(chan struct{})
	blocked := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = s.write(ctx, func(*wtx) error { close(blocked); <-release; return nil })
	})
	<-blocked

	const n = 50
	errs := make([]error, n)
	queued := make(chan struct{}, n)
	for i := range n {
		wg.Go(func() {
			queued <- struct{}{}
			if i == n/2 {
				// Writes, then fails: its write must not survive.
				errs[i] = s.write(ctx, func(t *wtx) error {
					if _, err := t.exec(banIP, "203.0.113.9", 0); err != nil {
						return err
					}
					return errors.New("boom")
				})
				return
			}
			_, errs[i] = post(ctx, s, room, admin, fmt.Sprintf("m%d", i))
		})
	}
	for range n {
		<-queued
	}
	for len(s.w.jobs) < n { // every job is in the queue, behind the blocker
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()

	for i, err := range errs {
		if i == n/2 {
			if err == nil || !strings.Contains(err.Error(), "boom") {
				t.Fatalf("failing job: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}
	ips, err := s.BannedIPs(ctx)
	if err != nil || len(ips) != 0 {
		t.Fatalf("the failed job's write survived: %v, %v", ips, err)
	}
	r, err := s.Room(ctx, room.ID)
	if err != nil || r.LastSeq != n-1 {
		t.Fatalf("last_seq %d, want %d (%v)", r.LastSeq, n-1, err)
	}
	after := s.WriteStats()
	if jobs, batches := after.Jobs-before.Jobs, after.Batches-before.Batches; jobs != n+1 || batches != 2 {
		t.Fatalf("%d jobs in %d batches, want %d in 2", jobs, batches, n+1)
	}
	// The failure came after a write, so the batch was redone once with
	// savepoints.
	if redone := after.Redone - before.Redone; redone != 1 {
		t.Fatalf("batch redone %d times, want 1", redone)
	}

	// A job that fails before writing anything needs no redo.
	before = s.WriteStats()
	err = s.DeleteSession(ctx, "no such token")
	if !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("delete unknown session: %v", err)
	}
	if redone := s.WriteStats().Redone - before.Redone; redone != 0 {
		t.Fatalf("a failure without writes redid its batch")
	}
	checkIntegrity(t, s)
}

// TestBatchSeesPendingPosts queues, in one batch, posts to a room, the
// room's deletion, and more posts: what posts leave pending (seq counters,
// search entries) must be in place before the deletion runs, or the search
// index would be corrupted by deleting entries never written.
func TestBatchSeesPendingPosts(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, Options{})
	admin, allTalk := seed(t, s)
	doomed, err := s.CreateRoom(ctx, store.NewRoom{Name: "Doomed", Type: chat.RoomOpen, CreatorID: admin.ID})
	if err != nil {
		t.Fatal(err)
	}

	release := make(chan struct{})
	blocked := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = s.write(ctx, func(*wtx) error { close(blocked); <-release; return nil })
	})
	<-blocked

	var postsBefore, postsAfter [5]error
	var deleteErr error
	queue := func(fn func()) {
		n := len(s.w.jobs)
		wg.Go(fn)
		for len(s.w.jobs) == n { // keep the queue in the order written here
			time.Sleep(100 * time.Microsecond)
		}
	}
	for i := range postsBefore {
		queue(func() { _, postsBefore[i] = post(ctx, s, doomed, admin, fmt.Sprint("zebra doomed ", i)) })
		queue(func() { _, _ = post(ctx, s, allTalk, admin, fmt.Sprint("zebra kept ", i)) })
	}
	queue(func() { _, deleteErr = s.DeleteRoom(ctx, doomed.ID) })
	for i := range postsAfter {
		queue(func() { _, postsAfter[i] = post(ctx, s, doomed, admin, "too late") })
	}
	close(release)
	wg.Wait()

	for i, err := range postsBefore {
		if err != nil {
			t.Fatalf("post %d before the deletion: %v", i, err)
		}
	}
	if deleteErr != nil {
		t.Fatal(deleteErr)
	}
	for i, err := range postsAfter {
		if !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("post %d to the deleted room: %v, want not found", i, err)
		}
	}
	found, err := s.Search(ctx, admin.ID, "zebra", 100)
	if err != nil || len(found) != 5 {
		t.Fatalf("search: %d results, %v; want the 5 kept", len(found), err)
	}
	r, err := s.Room(ctx, allTalk.ID)
	if err != nil || r.LastSeq != 5 {
		t.Fatalf("All Talk last_seq = %d, %v", r.LastSeq, err)
	}
	checkIntegrity(t, s)
}

// checkIntegrity runs SQLite's and FTS5's own consistency checks.
func checkIntegrity(t *testing.T, s *Store) {
	t.Helper()
	err := s.write(t.Context(), func(w *wtx) error {
		var res string
		if err := w.queryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
			return err
		}
		if res != "ok" {
			return fmt.Errorf("integrity_check: %s", res)
		}
		_, err := w.exec(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentWriters: many goroutines, all kinds of writes, all succeed.
func TestConcurrentWriters(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, Options{})
	admin, room := seed(t, s)
	const goroutines, each = 40, 25
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			u, err := s.CreateUser(ctx, store.NewUser{Name: fmt.Sprint("u", g), Email: fmt.Sprintf("u%d@example.com", g)})
			if err != nil {
				errs <- err
				return
			}
			for i := range each {
				m, err := post(ctx, s, room, u, fmt.Sprint(g, "/", i))
				if err == nil {
					_, err = s.CreateBoost(ctx, m.ID, admin.ID, "+1")
				}
				if err == nil {
					_, err = s.MarkRead(ctx, room.ID, u.ID)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r, err := s.Room(ctx, room.ID)
	if err != nil || r.LastSeq != goroutines*each {
		t.Fatalf("last_seq = %d, want %d (%v)", r.LastSeq, goroutines*each, err)
	}
	checkIntegrity(t, s)
	st := s.WriteStats()
	t.Logf("%d jobs in %d batches", st.Jobs, st.Batches)
}

// TestCloseDrains closes the store while writes are in flight: each either
// committed (and is there after reopening) or was refused as unavailable,
// and no goroutine is left behind.
func TestCloseDrains(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "campfire.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	admin, room := seed(t, s)

	const n = 200
	var wg sync.WaitGroup
	results := make([]error, n)
	started := make(chan struct{}, n)
	for i := range n {
		wg.Go(func() {
			started <- struct{}{}
			_, results[i] = post(ctx, s, room, admin, fmt.Sprint("m", i))
		})
	}
	for range n / 2 {
		<-started
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	ok := 0
	for i, err := range results {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, chat.ErrUnavailable):
		default:
			t.Fatalf("write %d: %v", i, err)
		}
	}
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Room(ctx, room.ID)
	if err != nil || r.LastSeq != int64(ok) {
		t.Fatalf("%d writes succeeded but last_seq is %d (%v)", ok, r.LastSeq, err)
	}
	t.Logf("%d of %d writes landed before Close", ok, n)
}

func TestCancelledWrite(t *testing.T) {
	s := openTest(t, Options{})
	admin, room := seed(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := post(ctx, s, room, admin, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled post: %v", err)
	}
	// A job whose context ends while it waits in the queue is skipped.
	release := make(chan struct{})
	blocked := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.write(t.Context(), func(*wtx) error { close(blocked); <-release; return nil }) })
	<-blocked
	ctx, cancel = context.WithCancel(t.Context())
	done := make(chan error)
	go func() { _, err := post(ctx, s, room, admin, "y"); done <- err }()
	for len(s.w.jobs) == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	close(release)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("post cancelled in the queue: %v", err)
	}
	wg.Wait()
	if r, err := s.Room(t.Context(), room.ID); err != nil || r.LastSeq != 0 {
		t.Fatalf("a cancelled post was stored: last_seq %d, %v", r.LastSeq, err)
	}
}

func TestFTSQuery(t *testing.T) {
	for in, want := range map[string]string{
		"hello":            `"hello"*`,
		"hello world":      `"hello" AND "world"*`,
		`say "hi"`:         `"say" AND """hi"""*`,
		"AND OR":           `"AND" AND "OR"*`,
		"🎉 * ) ( \" ":      ``,
		"fox 🎉":            `"fox"*`,
		"  spaced   out  ": `"spaced" AND "out"*`,
	} {
		if got := ftsQuery(in); got != want {
			t.Errorf("ftsQuery(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestQueryPlans checks that the queries that grow with the data use an
// index: no full scan of messages, memberships, mentions or boosts.
func TestQueryPlans(t *testing.T) {
	s := openTest(t, Options{})
	seed(t, s)
	plans := []struct {
		name  string
		query string
		args  []any
	}{
		{"newest page", newestPage, []any{1, 40}},
		{"before page", beforePage, []any{1, 100, 40}},
		{"after page", afterPage, []any{1, 100, 40}},
		{"after seq page", afterSeqPage, []any{1, 5, 40}},
		{"updated since", updatedSince, []any{1, 0, 40}},
		{"message", messageByID, []any{1}},
		{"mentions", mentionsOf, []any{"[1,2]"}},
		{"boosts", boostsOf, []any{"[1,2]"}},
		{"client id", messageIDByClientID, []any{1, 1, "x"}},
		{"clear members", clearMembers, []any{1}},
		{"mark unread", markUnread, []any{0, 1, "[1]"}},
		{"insert mentions", insertMentions, []any{1, "[1]"}},
		{"search", searchMessages, []any{`"x"*`, 1, 10}},
		{"rooms for user", roomsForUser, []any{1}},
		{"room for user", roomForUser, []any{1, 1}},
		{"members", roomMembers, []any{1}},
		{"member ids", roomMemberIDs, []any{1}},
		{"remove unlisted", removeUnlisted, []any{1, "[1]"}},
		{"leave shared rooms", leaveSharedRooms, []any{1, 1}},
		{"direct key", roomByDirectKey, []any{"1,2"}},
		{"users by ids", usersByIDs, []any{"[1,2]"}},
		{"active users", activeUsers, nil},
		{"user sessions", userSessions, []any{1}},
		{"session", sessionByTokenHash, []any{"x"}},
		{"delete user sessions", deleteUserSessions, []any{1}},
		{"ban session ips", banSessionIPs, []any{0, 1}},
		{"is unread", isUnread, []any{1, 1}},
		{"open rooms", joinOpenRooms, []any{1, "mentions", 0}},
		{"add all active", addAllActive, []any{1, "mentions", 0}},
		{"add listed active", addListedActive, []any{1, "mentions", 0, "[1]"}},
		{"count listed users", countListedUsers, []any{"[1]"}},
		{"bots", activeBots, nil},
		{"user by email", userByEmail, []any{"a@example.com"}},
		{"room counters", roomCounters, []any{1}},
		{"update room counters", updateRoomCounters, []any{1, 0, 1}},
		{"insert mention", insertMention, []any{1, 1}},
		{"touch message", touchMessage, []any{0, 1}},
		{"boost", boostByID, []any{1}},
		{"delete boost", deleteBoost, []any{1}},
		{"mark read", markRead, []any{1, 1}},
	}
	full := []string{"messages", "m", "memberships", "ms", "mentions", "boosts", "b", "sessions", "s",
		"rooms", "r", "users", "u"}
	for _, p := range plans {
		rows, err := s.rdb.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+p.query, p.args...)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		var lines []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, detail)
		}
		rows.Close()
		for _, l := range lines {
			for _, tbl := range full {
				if l == "SCAN "+tbl || strings.HasPrefix(l, "SCAN "+tbl+" ") {
					t.Errorf("%s scans %s:\n  %s", p.name, tbl, strings.Join(lines, "\n  "))
				}
			}
		}
		if testing.Verbose() {
			t.Logf("%s:\n  %s", p.name, strings.Join(lines, "\n  "))
		}
	}
}

// TestPragmas checks the DSN took effect on both kinds of connection.
func TestPragmas(t *testing.T) {
	s := openTest(t, Options{})
	want := map[string]int64{"busy_timeout": 5000, "foreign_keys": 1, "synchronous": 1, "cache_size": -16000, "query_only": 1}
	for name, v := range want {
		var got int64
		if err := s.read(t.Context()).queryRow("PRAGMA " + name).Scan(&got); err != nil || got != v {
			t.Errorf("reader %s = %d, %v; want %d", name, got, err, v)
		}
	}
	want["cache_size"], want["query_only"] = -64000, 0
	err := s.write(t.Context(), func(w *wtx) error {
		for name, v := range want {
			var got int64
			if err := w.queryRow("PRAGMA " + name).Scan(&got); err != nil || got != v {
				return fmt.Errorf("writer %s = %d, %v; want %d", name, got, err, v)
			}
		}
		var mode string
		if err := w.queryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			return fmt.Errorf("journal_mode = %q, %v", mode, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The database holds every message and password hash: only the server's
// user may read it, WAL files included.
func TestDatabaseFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "campfire.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateUser(context.Background(), store.NewUser{Name: "Ada", Email: "ada@example.com", Role: chat.RoleMember}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v; want no access for group and others", filepath.Base(p), info.Mode().Perm())
		}
	}
}
