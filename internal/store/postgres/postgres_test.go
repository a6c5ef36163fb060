package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/storetest"
	"github.com/campfire-go/campfire/internal/testenv"
)

// Isolation: the test binary creates one database of its own
// (campfire_test_<random>, dropped at the end) and every store gets a new,
// empty schema in it, chosen by search_path in its URL. Measured on the
// development machine (psql, loaded): a schema with the migrations applied
// took 0.3–0.7 s, a database copied from a migrated template 0.8–1.2 s (a
// checkpoint and a file copy each), so schemas it is.

var testDB struct {
	once    sync.Once
	admin   string // the URL given, used to create and drop the database
	url     string // the test database
	name    string
	err     error
	created bool
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testDB.created {
		if err := dropTestDB(); err != nil {
			fmt.Fprintln(os.Stderr, "drop test database:", err)
			code = 1
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// testURL returns the URL of this binary's test database, creating it on
// first use.
func testURL(t testing.TB) string {
	t.Helper()
	admin := testenv.PostgresURL(t)
	testDB.once.Do(func() {
		testDB.admin = admin
		testDB.name = "campfire_test_" + strings.ToLower(rand.Text()[:12])
		testDB.err = createTestDB()
	})
	if testDB.err != nil {
		t.Fatal(testDB.err)
	}
	return testDB.url
}

func createTestDB() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, testDB.admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", testDB.admin, err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+testDB.name); err != nil {
		return err
	}
	testDB.created = true
	u, err := url.Parse(testDB.admin)
	if err != nil {
		return err
	}
	u.Path = "/" + testDB.name
	testDB.url = u.String()
	// The extension is installed once, in public, before the stores'
	// migrations run concurrently (CREATE EXTENSION is not safe to race).
	tc, err := pgx.Connect(ctx, testDB.url)
	if err != nil {
		return err
	}
	defer tc.Close(ctx)
	_, err = tc.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
	return err
}

func dropTestDB() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, testDB.admin)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+testDB.name+" WITH (FORCE)")
	return err
}

// schemaURL makes a new, empty schema and returns a URL whose connections
// use it (public stays on the path for the unaccent extension).
func schemaURL(t testing.TB) string {
	t.Helper()
	base := testURL(t)
	schema := "s_" + strings.ToLower(rand.Text()[:12])
	c, err := pgx.Connect(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

// testOptions keeps each test's pool small: the suite runs its subtests in
// parallel against one server.
var testOptions = Options{MaxConns: 8, MinConns: 1}

func openTest(t testing.TB, url string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, opts)
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
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, schemaURL(t), testOptions) })
}

func TestMigrations(t *testing.T) {
	u := schemaURL(t)
	s := openTest(t, u, testOptions)
	v, err := s.SchemaVersion(t.Context())
	if err != nil || v != LatestSchemaVersion() || v == 0 {
		t.Fatalf("schema version %d, %v; want %d", v, err, LatestSchemaVersion())
	}
	// Migrating again is a no-op.
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	// NoMigrate opens a current database, and `campfire migrate` on a new
	// one migrates through Migrate.
	openTest(t, u, Options{NoMigrate: true, MaxConns: 2})
	fresh := openTest(t, schemaURL(t), Options{NoMigrate: true, MaxConns: 2})
	if v, _ := fresh.SchemaVersion(t.Context()); v != 0 {
		t.Fatalf("NoMigrate migrated: version %d", v)
	}
	if err := fresh.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if v, _ := fresh.SchemaVersion(t.Context()); v != LatestSchemaVersion() {
		t.Fatalf("after Migrate: version %d", v)
	}
}

// TestConcurrentOpenMigratesOnce starts four instances on one empty schema
// at once: the advisory lock lets one apply each migration, the others find
// it done, and all four open.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	u := schemaURL(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			s, err := Open(t.Context(), u, Options{MaxConns: 2, MinConns: 1})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
	c, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var rows, distinct int
	if err := c.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != LatestSchemaVersion() || distinct != rows {
		t.Fatalf("schema_migrations has %d rows (%d versions), want each of %d once", rows, distinct, LatestSchemaVersion())
	}
}

func TestSchemaTooNew(t *testing.T) {
	u := schemaURL(t)
	s := openTest(t, u, testOptions)
	c, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	next := LatestSchemaVersion() + 1
	if _, err := c.Exec(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future.sql', 0)`, next); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{}, {NoMigrate: true}} {
		_, err := Open(t.Context(), u, opts)
		if !errors.Is(err, ErrSchemaTooNew) {
			t.Fatalf("Open(%+v) on schema %d: %v, want ErrSchemaTooNew", opts, next, err)
		}
		if want := fmt.Sprintf("schema version %d", next); !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not say %q", err, want)
		}
	}
	if err := s.Migrate(t.Context()); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Migrate on a newer schema: %v", err)
	}
}

func TestTSQuery(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"  ":                 "",
		"fox":                "'fox':*",
		"quick fox":          "'quick' & 'fox':*",
		`don't`:              `'don''t':*`,
		`a\b`:                `'a\\b':*`,
		`* ( ) " 🎉 AND`:      `'AND':*`,
		"\x00 \xff\xfe":      "",
		"caf\xffe":           "'caf\uFFFDe':*",
		`hello:* | !world`:   `'hello:*' & '!world':*`,
		"'; DROP TABLE x --": `'DROP' & 'TABLE' & 'x':*`,
	} {
		if got := tsQuery(in); got != want {
			t.Errorf("tsQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSearchUsesIndex: the GIN index can serve the search (the query's
// expression is the indexed one).
func TestSearchUsesIndex(t *testing.T) {
	u := schemaURL(t)
	s := openTest(t, u, testOptions)
	_, admin, room, err := s.Setup(t.Context(), store.SetupParams{AccountName: "A", JoinCode: "j",
		Admin: store.NewUser{Name: "Ada", Email: "ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, _, _, err := s.CreateMessage(t.Context(), store.NewMessage{RoomID: room.ID, CreatorID: admin.ID,
			Body: fmt.Sprintf("message number %d about things", i), BodyHTML: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	// A table this small is cheaper to scan; what is checked is that the
	// index applies to the query as written.
	if _, err := c.Exec(t.Context(), "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	// The planner weighs the GIN index against walking the caller's rooms
	// by their statistics; here only the match itself is planned.
	rows, err := c.Query(t.Context(), "EXPLAIN SELECT id FROM messages m WHERE "+searchMatch, tsQuery("zebra"))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan.String(), "messages_search") {
		t.Fatalf("search does not use the GIN index:\n%s", plan.String())
	}
}

// proxy stands between a store and PostgreSQL so a test can make the
// database stop answering (freeze) or go away (kill) without touching the
// machine's shared server.
type proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	frozen bool
	conns  []net.Conn
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.wg.Go(p.accept)
	t.Cleanup(p.kill)
	return p
}

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Go(func() { p.pipe(up, c) })
		p.wg.Go(func() { p.pipe(c, up) })
	}
}

// pipe copies src to dst, dropping everything while the proxy is frozen.
func (p *proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		p.mu.Lock()
		frozen := p.frozen
		p.mu.Unlock()
		if n > 0 && !frozen {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				src.Close()
			}
			return
		}
	}
}

func (p *proxy) freeze() {
	p.mu.Lock()
	p.frozen = true
	p.mu.Unlock()
}

// kill closes the listener and every connection: the server is gone.
func (p *proxy) kill() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

// TestDatabaseGone: with the database silent or gone, every call returns
// an error within its context (or AcquireTimeout), never hangs; a database
// out of reach reads as chat.ErrUnavailable (a 503).
func TestDatabaseGone(t *testing.T) {
	u, err := url.Parse(schemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	s := openTest(t, u.String(), Options{MaxConns: 4, MinConns: 1, AcquireTimeout: time.Second})
	_, admin, room, err := s.Setup(t.Context(), store.SetupParams{AccountName: "A", JoinCode: "j",
		Admin: store.NewUser{Name: "Ada", Email: "ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	post := func(ctx context.Context) error {
		_, _, _, err := s.CreateMessage(ctx, store.NewMessage{RoomID: room.ID, CreatorID: admin.ID, Body: "hi", BodyHTML: "hi"})
		return err
	}
	if err := post(t.Context()); err != nil {
		t.Fatal(err)
	}

	within := func(what string, limit time.Duration, call func(ctx context.Context) error) error {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := call(ctx)
		if took := time.Since(start); took > limit {
			t.Errorf("%s took %v with the database %s", what, took, "out of reach")
		}
		if err == nil {
			t.Errorf("%s succeeded with the database out of reach", what)
		}
		return err
	}

	// Silent: connections are open but nothing comes back.
	p.freeze()
	within("post, frozen", 2*time.Second, post)
	within("ping, frozen", 2*time.Second, s.Ping)
	within("read, frozen", 2*time.Second, func(ctx context.Context) error {
		_, err := s.Messages(ctx, room.ID, store.Page{Limit: 10})
		return err
	})

	// Gone: connections reset, new ones refused. Even a caller without a
	// deadline gets an answer, bounded by AcquireTimeout.
	p.kill()
	for _, call := range []func(context.Context) error{post, s.Ping} {
		start := time.Now()
		err := call(context.Background())
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("call took %v with the database gone", took)
		}
		if !errors.Is(err, chat.ErrUnavailable) {
			t.Errorf("with the database gone: %v, want chat.ErrUnavailable", err)
		}
	}
}

// TestTwoInstances: two stores on one database (two campfire instances)
// post concurrently to several rooms. Per room the seqs are 1..n without a
// gap, and whenever either instance returns seq N, the other reads every
// seq up to N: the order comes from the database, not from either process.
// Batches of both lock rooms in the same order, so they never deadlock.
func TestTwoInstances(t *testing.T) {
	u := schemaURL(t)
	a := openTest(t, u, testOptions)
	b := openTest(t, u, testOptions)
	ctx := t.Context()
	_, admin, allTalk, err := a.Setup(ctx, store.SetupParams{AccountName: "A", JoinCode: "j",
		Admin: store.NewUser{Name: "Ada", Email: "ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	rooms := []chat.Room{allTalk}
	for i := range 3 {
		r, err := b.CreateRoom(ctx, store.NewRoom{Name: fmt.Sprint("r", i), Type: chat.RoomOpen, CreatorID: admin.ID})
		if err != nil {
			t.Fatal(err)
		}
		rooms = append(rooms, r)
	}
	const posters, each = 8, 30
	var wg sync.WaitGroup
	errs := make(chan error, 2*posters)
	for i := range 2 * posters {
		wg.Go(func() {
			own, other := store.Store(a), store.Store(b)
			if i%2 == 1 {
				own, other = other, own
			}
			for j := range each {
				room := rooms[(i+j)%len(rooms)]
				m, _, _, err := own.CreateMessage(ctx, store.NewMessage{RoomID: room.ID, CreatorID: admin.ID,
					Body: fmt.Sprintf("%d/%d", i, j), BodyHTML: "x"})
				if err != nil {
					errs <- err
					return
				}
				from := max(0, m.Seq-4*posters)
				got, err := other.Messages(ctx, room.ID, store.Page{AfterSeq: from, Forward: true, Limit: 100})
				if err != nil {
					errs <- err
					return
				}
				for k, want := 0, from+1; want <= m.Seq; k, want = k+1, want+1 {
					if k >= len(got) || got[k].Seq != want {
						errs <- fmt.Errorf("room %d: seq %d returned, but the other instance is missing seq %d", room.ID, m.Seq, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	for _, r := range rooms {
		got, err := a.Messages(ctx, r.ID, store.Page{Forward: true, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for k, m := range got {
			if m.Seq != int64(k+1) {
				t.Fatalf("room %d: position %d holds seq %d", r.ID, k, m.Seq)
			}
		}
		total += len(got)
	}
	if total != 2*posters*each {
		t.Fatalf("%d messages stored, want %d", total, 2*posters*each)
	}
}

// TestFreshDatabaseManySchemas: Campfires migrating different schemas of
// a database without the unaccent extension, all at once, create it once
// between them (an extension belongs to the database, not the schema).
func TestFreshDatabaseManySchemas(t *testing.T) {
	base := testURL(t)
	name := testDB.name + "_ext"
	admin, err := pgx.Connect(t.Context(), testDB.admin)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if _, err := admin.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	}()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	c, err := pgx.Connect(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	const n = 4
	urls := make([]string, n)
	for i := range n {
		if _, err := c.Exec(t.Context(), fmt.Sprintf("CREATE SCHEMA s%d", i)); err != nil {
			t.Fatal(err)
		}
		v := *u
		q := v.Query()
		q.Set("search_path", fmt.Sprintf("s%d,public", i))
		v.RawQuery = q.Encode()
		urls[i] = v.String()
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			s, err := Open(t.Context(), urls[i], Options{MaxConns: 2, MinConns: 1})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("schema %d: %v", i, err)
		}
	}
}
