package importonce_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite"

	"github.com/campfire-go/campfire/internal/app/engine"
	"github.com/campfire-go/campfire/internal/blob"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/importonce"
	"github.com/campfire-go/campfire/internal/testenv"
	"github.com/campfire-go/campfire/internal/web/webtest"
	"github.com/campfire-go/campfire/internal/wire"
)

// campfireSchema reproduces the columns of ONCE Campfire's db/schema.rb
// that the import reads (Rails on SQLite: datetimes are text, enums
// integers).
const campfireSchema = `
CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name varchar NOT NULL, join_code varchar NOT NULL,
	custom_styles text, settings json, singleton_guard integer DEFAULT 0 NOT NULL, created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL);
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name varchar NOT NULL, email_address varchar,
	password_digest varchar, role integer DEFAULT 0 NOT NULL, status integer DEFAULT 0 NOT NULL, bio text, bot_token varchar,
	created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL);
CREATE TABLE webhooks (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, user_id integer NOT NULL, url varchar,
	created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL);
CREATE TABLE rooms (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name varchar, type varchar NOT NULL, creator_id bigint NOT NULL,
	members_hash varchar, created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL);
CREATE TABLE memberships (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, room_id integer NOT NULL, user_id integer NOT NULL,
	involvement varchar DEFAULT 'mentions', unread_at datetime(6), connected_at datetime(6), connections integer DEFAULT 0 NOT NULL,
	created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL);
CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, room_id integer NOT NULL, creator_id integer NOT NULL,
	client_message_id varchar NOT NULL, created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL);
CREATE TABLE action_text_rich_texts (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name varchar NOT NULL, body text,
	record_type varchar NOT NULL, record_id bigint NOT NULL, created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL);
CREATE TABLE active_storage_blobs (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, key varchar NOT NULL, filename varchar NOT NULL,
	content_type varchar, metadata text, service_name varchar NOT NULL, byte_size bigint NOT NULL, checksum varchar, created_at datetime(6) NOT NULL);
CREATE TABLE active_storage_attachments (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name varchar NOT NULL, record_type varchar NOT NULL,
	record_id bigint NOT NULL, blob_id bigint NOT NULL, created_at datetime(6) NOT NULL);
CREATE TABLE boosts (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, message_id integer NOT NULL, booster_id integer NOT NULL,
	content varchar(16) NOT NULL, created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL);
CREATE TABLE bans (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, user_id integer NOT NULL, ip_address varchar NOT NULL,
	created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL);
CREATE UNIQUE INDEX index_action_text_rich_texts_uniqueness ON action_text_rich_texts (record_type, record_id, name);
CREATE UNIQUE INDEX index_active_storage_attachments_uniqueness ON active_storage_attachments (record_type, record_id, name, blob_id);
CREATE UNIQUE INDEX index_memberships_on_room_id_and_user_id ON memberships (room_id, user_id);
CREATE INDEX index_messages_on_room_id ON messages (room_id);
CREATE TABLE searches (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, user_id integer NOT NULL, query varchar NOT NULL,
	created_at datetime(6) NOT NULL, updated_at datetime(6) NOT NULL);
`

// sgid is a signed global id as Rails writes it: base64 of the JSON
// message, "--", a digest (which the import cannot and does not check).
func sgid(userID int) string {
	msg := fmt.Sprintf(`{"_rails":{"data":"gid://campfire/User/%d?expires_in","pur":"attachable"}}`, userID)
	return base64.StdEncoding.EncodeToString([]byte(msg)) + "--0123456789abcdef0123456789abcdef01234567"
}

// oldSGID is the older form: the gid base64-encoded once more inside.
func oldSGID(userID int) string {
	inner := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf(`"gid://campfire/User/%d"`, userID)))
	msg := `{"_rails":{"message":"` + inner + `","exp":null,"pur":"attachable"}}`
	return base64.StdEncoding.EncodeToString([]byte(msg)) + "--0123456789abcdef"
}

func mention(sg string) string {
	return `<action-text-attachment sgid="` + sg + `" content-type="application/vnd.campfire.mention" content="&lt;span class=&quot;mention&quot;&gt;someone&lt;/span&gt;"></action-text-attachment>`
}

// pngBytes is a 1×1 PNG.
var pngBytes, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

type fixture struct {
	path, files string
	db          *sql.DB
}

func (f *fixture) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := f.db.Exec(q, args...); err != nil {
		t.Fatalf("fixture: %s: %v", q, err)
	}
}

func digest(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(h), "$2a$") {
		t.Fatalf("digest %q is not the $2a$ form Rails writes", h)
	}
	return string(h)
}

// newFixture builds a Campfire database with a row for each case the
// import handles.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{path: filepath.Join(dir, "production.sqlite3"), files: filepath.Join(dir, "files")}
	db, err := sql.Open("sqlite", f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	for _, stmt := range strings.Split(campfireSchema, ";") {
		if strings.TrimSpace(stmt) != "" {
			f.exec(t, stmt)
		}
	}
	ts := func(s string) string { return "2025-03-01 " + s } // Rails' UTC text form
	f.exec(t, `INSERT INTO accounts (name, join_code, custom_styles, settings, created_at, updated_at)
		VALUES ('Once Co', 'abcd-efgh-ijkl', 'body { color: teal; }', '{"restrict_room_creation_to_administrators":true}', ?, ?)`,
		ts("09:00:00.000000"), ts("09:00:00.000000"))
	users := []struct {
		id                                    int
		name, email, digest, bio, token, hook string
		role, status                          int
	}{
		{1, "Ada Admin", "ada@example.com", digest(t, "ada-secret"), "Runs things", "", "", 1, 0},
		{2, "Bea Member", "Bea@Example.COM", digest(t, "bea-secret"), "", "", "", 0, 0},
		{3, "Cy Gone", "cy-deactivated-1234@example.com", digest(t, "cy-secret"), "", "", "", 0, 1},
		{4, "Deploy Bot", "", "", "", "abcDEF123456", "https://bots.example.com/deploy", 2, 0},
	}
	for _, u := range users {
		var email, dg, token any
		if u.email != "" {
			email = u.email
		}
		if u.digest != "" {
			dg = u.digest
		}
		if u.token != "" {
			token = u.token
		}
		f.exec(t, `INSERT INTO users (id, name, email_address, password_digest, role, status, bio, bot_token, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.id, u.name, email, dg, u.role, u.status, u.bio, token, ts("09:00:01.000000"), ts("09:00:01.000000"))
		if u.hook != "" {
			f.exec(t, `INSERT INTO webhooks (user_id, url, created_at, updated_at) VALUES (?, ?, ?, ?)`, u.id, u.hook, ts("09:00:01"), ts("09:00:01"))
		}
	}
	f.exec(t, `INSERT INTO rooms (id, name, type, creator_id, created_at, updated_at) VALUES
		(1, 'All Talk', 'Rooms::Open', 1, ?, ?), (2, 'Secret Plans', 'Rooms::Closed', 1, ?, ?), (3, NULL, 'Rooms::Direct', 1, ?, ?)`,
		ts("09:00:02"), ts("09:00:02"), ts("09:00:02"), ts("09:00:02"), ts("09:00:02"), ts("09:00:02"))
	for _, m := range []struct {
		room, user int
		inv        string
		unread     any
	}{
		{1, 1, "everything", nil}, {1, 2, "mentions", ts("10:00:00")}, {1, 4, "mentions", nil},
		{2, 1, "invisible", nil}, {2, 2, "nothing", nil},
		{3, 1, "everything", nil}, {3, 2, "everything", nil},
	} {
		f.exec(t, `INSERT INTO memberships (room_id, user_id, involvement, unread_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			m.room, m.user, m.inv, m.unread, ts("09:00:03"), ts("09:00:03"))
	}
	msgs := []struct {
		id, room, user int
		at, body       string
	}{
		// Room 1, not in id order: seq follows created_at, then id.
		{10, 1, 1, "10:00:02.000000", `<div>Hello <strong>world</strong> and <em>you</em><br>second line</div>`},
		{11, 1, 2, "10:00:01.500000", `<div>First! <a href="https://example.com/a_b">a link</a> and https://example.com/x_y</div>`},
		{12, 1, 1, "10:00:02.000000", `<div>Hey ` + mention(sgid(2)) + ` look, and ` + mention(oldSGID(4)) + `</div>`},
		{13, 1, 2, "10:00:03", `<ul><li>one</li><li>two <strong>bold</strong><ul><li>nested</li></ul></li></ul><pre>x := 1
*not bold*</pre><blockquote>quoted <em>words</em></blockquote>`},
		{14, 1, 2, "10:00:04", `<div><marquee>1. not a list</marquee> *stars* and <span>_plain_</span> &lt;b&gt;typed&lt;/b&gt;</div><div># not a heading</div>`},
		{15, 1, 1, "10:00:05", `<div><br></div>`},
		{16, 1, 1, "10:00:06", `<h1>Title</h1><div><del>old</del> <code>code()</code></div><div><br></div><div>after a blank line</div>`},
		{17, 1, 4, "10:00:07", `Deployed v1`},
		{20, 3, 1, "10:00:08", `<div>psst, ` + mention(sgid(2)) + `</div>`},
		{30, 2, 1, "10:00:09", ``},
	}
	for _, m := range msgs {
		f.exec(t, `INSERT INTO messages (id, room_id, creator_id, client_message_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			m.id, m.room, m.user, fmt.Sprintf("uuid-%d", m.id), ts(m.at), ts(m.at))
		if m.body != "" {
			f.exec(t, `INSERT INTO action_text_rich_texts (name, body, record_type, record_id, created_at, updated_at)
				VALUES ('body', ?, 'Message', ?, ?, ?)`, m.body, m.id, ts(m.at), ts(m.at))
		}
	}
	// An attachment: the file under files/xx/yy/key, as Active Storage's disk service keeps it.
	key := "k3y0fth3bl0b1234567890ab"
	if err := os.MkdirAll(filepath.Join(f.files, key[:2], key[2:4]), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.files, key[:2], key[2:4], key), pngBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	f.exec(t, `INSERT INTO active_storage_blobs (id, key, filename, content_type, service_name, byte_size, created_at)
		VALUES (1, ?, 'plan.png', 'image/png', 'local', ?, ?)`, key, len(pngBytes), ts("10:00:09"))
	f.exec(t, `INSERT INTO active_storage_attachments (name, record_type, record_id, blob_id, created_at) VALUES ('attachment', 'Message', 30, 1, ?)`, ts("10:00:09"))

	f.exec(t, `INSERT INTO boosts (id, message_id, booster_id, content, created_at, updated_at) VALUES
		(1, 10, 2, '🎉', ?, ?), (2, 11, 1, '+1', ?, ?), (3, 15, 2, 'lost', ?, ?)`,
		ts("11:00:00"), ts("11:00:00"), ts("11:00:01"), ts("11:00:01"), ts("11:00:02"), ts("11:00:02"))
	f.exec(t, `INSERT INTO bans (user_id, ip_address, created_at, updated_at) VALUES (3, '203.0.113.9', ?, ?)`, ts("12:00:00"), ts("12:00:00"))
	f.exec(t, `INSERT INTO searches (user_id, query, created_at, updated_at) VALUES (2, 'plans', ?, ?), (2, 'quarterly', ?, ?)`,
		ts("12:00:00"), ts("12:00:00"), ts("12:00:01"), ts("12:00:01"))
	return f
}

// onPostgres moves a test's server to PostgreSQL (and off Redis, which
// the import does not touch), whatever CAMPFIRE_TEST_BACKEND says, so CI's
// default pass covers both targets.
func onPostgres(t *testing.T, cfg *config.Config) {
	cfg.DatabaseURL, cfg.RedisURL = testenv.PostgresSchema(t), ""
}

// imported starts a server on a database the fixture was imported into.
func imported(t *testing.T, f *fixture, pg bool) (*webtest.Server, importonce.Report, *bytes.Buffer) {
	t.Helper()
	var rep importonce.Report
	var progress bytes.Buffer
	s := webtest.New(t, webtest.Options{Config: func(cfg *config.Config) {
		if pg {
			onPostgres(t, cfg)
		}
		blobs, err := blob.NewLocal(config.LocalDir(cfg.StoragePath))
		if err != nil {
			t.Fatal(err)
		}
		rep, err = importonce.Run(t.Context(), importonce.Options{
			Source: f.path, Files: f.files, DatabaseURL: cfg.DatabaseURL, Blobs: blobs, Progress: &progress,
		})
		if err != nil {
			t.Fatalf("import: %v\n%s", err, progress.String())
		}
	}})
	return s, rep, &progress
}

func signIn(t *testing.T, s *webtest.Server, email, password string) (string, wire.User) {
	t.Helper()
	var tu struct {
		Token string    `json:"token"`
		User  wire.User `json:"user"`
	}
	s.Must(t, http.StatusCreated, "POST", "/api/v1/session", map[string]string{"email": email, "password": password}, "").JSON(t, &tu)
	return tu.Token, tu.User
}

func TestImport(t *testing.T) { testImport(t, false) }

// TestImportPostgres runs the same import into PostgreSQL.
func TestImportPostgres(t *testing.T) {
	testenv.PostgresURL(t)
	testImport(t, true)
}

func testImport(t *testing.T, pg bool) {
	f := newFixture(t)
	s, rep, progress := imported(t, f, pg)
	t.Logf("progress:\n%s\n%s", progress, rep.Summary())

	if rep.Users != 3 || rep.Bots != 1 || rep.Rooms != 3 || rep.Memberships != 7 || rep.Messages != 9 ||
		rep.Boosts != 2 || rep.Files != 1 || rep.Bans != 1 || rep.Searches != 2 || rep.Mentions != 3 {
		t.Fatalf("report = %+v", rep)
	}
	if rep.Skipped["empty messages"] != 1 || rep.Skipped["boosts of a message left out"] != 1 {
		t.Fatalf("skipped = %v", rep.Skipped)
	}
	for _, line := range []string{"import-once: users 4/4", "import-once: messages 10/10", "import-once: boosts 3/3"} {
		if !strings.Contains(progress.String(), line) {
			t.Errorf("progress lacks %q:\n%s", line, progress)
		}
	}

	// Passwords keep working (Rails' $2a$ digests); email case is ours.
	bea, beaUser := signIn(t, s, "bea@example.com", "bea-secret")
	ada, _ := signIn(t, s, "ada@example.com", "ada-secret")
	if beaUser.ID != 2 || beaUser.Name != "Bea Member" || beaUser.Role != "member" {
		t.Fatalf("Bea = %+v", beaUser)
	}
	for _, c := range []struct{ email, password string }{{"bea@example.com", "wrong"}, {"cy-deactivated-1234@example.com", "cy-secret"}} {
		if res := s.Do(t, "POST", "/api/v1/session", map[string]string{"email": c.email, "password": c.password}, ""); res.Status != 401 {
			t.Fatalf("sign in as %s: %d", c.email, res.Status)
		}
	}
	var me wire.User
	s.Must(t, 200, "GET", "/api/v1/users/me", nil, ada).JSON(t, &me)
	if me.Role != "admin" || me.Bio != "Runs things" {
		t.Fatalf("Ada = %+v", me)
	}
	var acct struct {
		Name     string `json:"name"`
		JoinCode string `json:"join_code"`
	}
	s.Must(t, 200, "GET", "/api/v1/account", nil, ada).JSON(t, &acct)
	if acct.Name != "Once Co" || acct.JoinCode != "abcd-efgh-ijkl" {
		t.Fatalf("account = %+v", acct)
	}

	// The account's settings and the banned person's addresses.
	set, err := s.Store.AccountSettings(t.Context())
	if err != nil || !set.AdminsCreateRooms || set.CustomCSS != "body { color: teal; }" || set.CSSVersion != 1 {
		t.Fatalf("account settings = %+v, %v", set, err)
	}
	if ips, err := s.Store.BanIPsOf(t.Context(), 3); err != nil || !slices.Equal(ips, []string{"203.0.113.9"}) {
		t.Fatalf("Cy's ban addresses = %v, %v", ips, err)
	}

	// Rooms, types and involvement.
	var rooms struct{ Rooms []wire.Room }
	s.Must(t, 200, "GET", "/api/v1/rooms", nil, bea).JSON(t, &rooms)
	got := map[int64]string{}
	for _, r := range rooms.Rooms {
		got[r.ID] = fmt.Sprintf("%s/%s/%s/unread=%v", r.Name, r.Type, r.Involvement, r.Unread)
	}
	want := map[int64]string{1: "All Talk/open/mentions/unread=true", 2: "Secret Plans/closed/nothing/unread=false", 3: "/direct/everything/unread=false"}
	for id, w := range want {
		if got[id] != w && !(id == 3 && strings.HasSuffix(got[id], "/direct/everything/unread=false")) {
			t.Errorf("room %d = %q, want %q", id, got[id], w)
		}
	}
	// The same direct room is found, not a new one made.
	res := s.Must(t, 200, "POST", "/api/v1/rooms/direct", map[string]any{"user_ids": []int64{1}}, bea)
	var direct wire.Room
	res.JSON(t, &direct)
	if direct.ID != 3 {
		t.Fatalf("direct room with Ada = %d, want 3", direct.ID)
	}

	// Messages: order and seq, bodies converted, mentions resolved, boosts.
	var page struct{ Messages []wire.Message }
	s.Must(t, 200, "GET", "/api/v1/rooms/1/messages", nil, bea).JSON(t, &page)
	// Ids follow seq within a room, as everywhere here: message 10, posted
	// after 11, becomes 12, and those after it move up while they must.
	var ids, seqs []int64
	body := map[int64]wire.Message{} // by Campfire's id
	oldID := map[int64]int64{11: 11, 12: 10, 13: 12, 14: 13, 15: 14, 16: 16, 17: 17}
	for _, m := range page.Messages {
		ids, seqs = append(ids, m.ID), append(seqs, m.Seq)
		body[oldID[m.ID]] = m
	}
	if !slices.Equal(ids, []int64{11, 12, 13, 14, 15, 16, 17}) || !slices.Equal(seqs, []int64{1, 2, 3, 4, 5, 6, 7}) {
		t.Fatalf("room 1: ids %v seqs %v", ids, seqs)
	}
	if rep.Renumbered != 4 {
		t.Errorf("renumbered %d messages, want 4", rep.Renumbered)
	}
	wantBodies := map[int64]string{
		10: "Hello **world** and *you*\nsecond line",
		11: "First! [a link](<https://example.com/a_b>) and https://example.com/x_y",
		12: "Hey @Bea Member look, and @Deploy Bot",
		13: "- one\n- two **bold**\n  - nested\n\n```\nx := 1\n*not bold*\n```\n\n> quoted *words*",
		14: `1\. not a list \*stars\* and \_plain\_ <b>typed</b>` + "\n" + `\# not a heading`,
		16: "# Title\n\n~~old~~ `code()`\n\nafter a blank line",
		17: "Deployed v1",
	}
	for id, w := range wantBodies {
		if body[id].Body != w {
			t.Errorf("message %d body = %q, want %q", id, body[id].Body, w)
		}
	}
	for id, frag := range map[int64][]string{
		10: {"<strong>world</strong>", "<em>you</em>", "<br"},
		11: {`href="https://example.com/a_b"`, `href="https://example.com/x_y"`},
		13: {"<li>nested</li>", "<pre><code>x := 1", "<blockquote>"},
		14: {"1. not a list *stars* and _plain_ &lt;b&gt;typed&lt;/b&gt;", "# not a heading"},
		16: {"<h1>Title</h1>", "<del>old</del>", "<code>code()</code>"},
	} {
		for _, fr := range frag {
			if !strings.Contains(body[id].BodyHTML, fr) {
				t.Errorf("message %d html %q lacks %q", id, body[id].BodyHTML, fr)
			}
		}
	}
	if m := body[12]; !slices.Equal(m.Mentions, []int64{2, 4}) && !slices.Equal(m.Mentions, []int64{4, 2}) {
		t.Errorf("message 12 mentions %v, want Bea and the bot", m.Mentions)
	}
	if !strings.Contains(body[12].BodyHTML, "mention") {
		t.Errorf("message 12 shows no mention: %s", body[12].BodyHTML)
	}
	if b := body[10].Boosts; len(b) != 1 || b[0].Content != "🎉" || b[0].Booster.ID != 2 {
		t.Errorf("message 10 boosts = %+v", b)
	}
	if b := body[11].Boosts; len(b) != 1 || b[0].Content != "+1" || b[0].Booster.ID != 1 {
		t.Errorf("message 11 boosts = %+v", b)
	}
	if m := body[10]; time.Time(m.CreatedAt).UTC().Format("2006-01-02 15:04:05.000") != "2025-03-01 10:00:02.000" || m.ClientMessageID != "uuid-10" {
		t.Errorf("message 10 time %v, client id %q", time.Time(m.CreatedAt), m.ClientMessageID)
	}
	// A mention in a direct room.
	s.Must(t, 200, "GET", "/api/v1/rooms/3/messages", nil, bea).JSON(t, &page)
	if len(page.Messages) != 1 || page.Messages[0].Body != "psst, @Bea Member" || !slices.Equal(page.Messages[0].Mentions, []int64{2}) {
		t.Fatalf("direct room: %+v", page.Messages)
	}

	// The attachment's file came along, readable from our blob store.
	m, err := s.Store.Message(t.Context(), 30)
	if err != nil {
		t.Fatal(err)
	}
	if a := m.Attachment; a == nil || a.Filename != "plan.png" || a.ContentType != "image/png" || a.ByteSize != int64(len(pngBytes)) {
		t.Fatalf("attachment = %+v", m.Attachment)
	} else {
		blobs, _ := blob.NewLocal(config.LocalDir(s.Graph.Config.StoragePath))
		obj, err := blobs.Open(t.Context(), a.Key)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(obj)
		obj.Close()
		if !bytes.Equal(b, pngBytes) {
			t.Fatal("attachment bytes differ")
		}
	}

	// The bot's key keeps working: same id, same token.
	s.Must(t, 200, "GET", "/rooms/1/4-abcDEF123456/messages", nil, "")
	if res := s.Do(t, "GET", "/rooms/1/4-wrongtoken00/messages", nil, ""); res.Status != 404 {
		t.Fatalf("a wrong bot key: %d", res.Status)
	}

	// Search finds imported messages; recent searches came along.
	var found struct{ Messages []wire.Message }
	s.Must(t, 200, "GET", "/api/v1/search?q=world", nil, bea).JSON(t, &found)
	if len(found.Messages) != 1 || found.Messages[0].ID != 12 {
		t.Fatalf("search: %+v", found.Messages)
	}
	var recent wire.RecentSearches
	s.Must(t, 200, "GET", "/api/v1/searches/recent", nil, bea).JSON(t, &recent)
	if len(recent.Searches) != 3 || recent.Searches[0].Query != "world" || recent.Searches[1].Query != "quarterly" || recent.Searches[2].Query != "plans" {
		t.Fatalf("recent searches: %+v", recent.Searches)
	}

	// New posts continue the room's seq with new ids.
	var posted wire.Message
	s.Must(t, 201, "POST", "/api/v1/rooms/1/messages", map[string]string{"body": "after the move"}, bea).JSON(t, &posted)
	if posted.Seq != 8 || posted.ID <= 30 {
		t.Fatalf("new message id %d seq %d", posted.ID, posted.Seq)
	}
	var joined struct{ User wire.User }
	s.Must(t, 201, "POST", "/api/v1/join/abcd-efgh-ijkl", map[string]string{"name": "Dee", "email": "dee@example.com", "password": "dee-secret-pw"}, "").JSON(t, &joined)
	if joined.User.ID <= 4 {
		t.Fatalf("new user id %d", joined.User.ID)
	}

	// A second import is refused and changes nothing.
	_, err = importonce.Run(t.Context(), importonce.Options{Source: f.path, DatabaseURL: s.Graph.Config.DatabaseURL})
	if !errors.Is(err, importonce.ErrTargetNotEmpty) {
		t.Fatalf("second import: %v", err)
	}
	s.Must(t, 200, "GET", "/api/v1/rooms/1/messages", nil, bea).JSON(t, &page)
	if len(page.Messages) != 8 {
		t.Fatalf("%d messages after a refused import", len(page.Messages))
	}
}

// TestImportAllOrNothing: a damaged row fails the import, which leaves the
// target empty (and set up by nobody), so it can be run again once fixed.
func TestImportAllOrNothing(t *testing.T) { testAllOrNothing(t, false) }

func TestImportAllOrNothingPostgres(t *testing.T) {
	testenv.PostgresURL(t)
	testAllOrNothing(t, true)
}

func testAllOrNothing(t *testing.T, pg bool) {
	f := newFixture(t)
	f.exec(t, `UPDATE messages SET created_at = 'not a time' WHERE id = 17`)
	var runErr error
	s := webtest.New(t, webtest.Options{Config: func(cfg *config.Config) {
		if pg {
			onPostgres(t, cfg)
		}
		blobs, _ := blob.NewLocal(config.LocalDir(cfg.StoragePath))
		_, runErr = importonce.Run(context.Background(), importonce.Options{
			Source: f.path, Files: f.files, DatabaseURL: cfg.DatabaseURL, Blobs: blobs,
		})
	}})
	if runErr == nil || !strings.Contains(runErr.Error(), "message 17") {
		t.Fatalf("import of a damaged file: %v", runErr)
	}
	// Nothing was kept: first run is still open.
	s.Setup(t)
	s.Must(t, 200, "GET", "/api/v1/rooms", nil, s.AdminToken)
	entries, _ := os.ReadDir(filepath.Join(config.LocalDir(s.Graph.Config.StoragePath), "attachments"))
	for _, e := range entries {
		sub, _ := os.ReadDir(filepath.Join(config.LocalDir(s.Graph.Config.StoragePath), "attachments", e.Name()))
		if len(sub) > 0 {
			t.Fatalf("a failed import left files behind: %s", e.Name())
		}
	}
}

func TestImportRefusesNonCampfire(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "other.sqlite3")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE things (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = importonce.Run(t.Context(), importonce.Options{Source: p, DatabaseURL: "sqlite://" + filepath.Join(dir, "target.db")})
	if err == nil || !strings.Contains(err.Error(), "not a ONCE Campfire database") {
		t.Fatalf("err = %v", err)
	}
	_, err = importonce.Run(t.Context(), importonce.Options{Source: filepath.Join(dir, "missing"), DatabaseURL: "sqlite://" + filepath.Join(dir, "target.db")})
	if err == nil {
		t.Fatal("a missing file was accepted")
	}
}

// TestCommand runs `campfire import-once` as the binary does: progress on
// stderr, counts on stdout, a second run refused, a served SQLite file
// refused.
func TestCommand(t *testing.T) {
	f := newFixture(t)
	cfg := testenv.Config(t)
	// Relative paths, as people type them.
	t.Chdir(filepath.Dir(f.path))
	f.path, f.files = filepath.Base(f.path), filepath.Base(f.files)
	if strings.HasPrefix(cfg.DatabaseURL, "sqlite://") {
		cfg.DatabaseURL = "sqlite://target/campfire.db"
	}
	env := []string{"DATABASE_URL=" + cfg.DatabaseURL, "STORAGE_PATH=" + cfg.StoragePath}
	var out, errs bytes.Buffer
	if err := importonce.Command(t.Context(), nil, env, &out, &errs); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("no path: %v", err)
	}
	if cfg.DatabaseURL[:6] == "sqlite" {
		unlock, err := engine.LockServing(cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = importonce.Command(t.Context(), []string{f.path}, env, &out, &errs)
		unlock()
		if err == nil || !strings.Contains(err.Error(), "already serving") {
			t.Fatalf("import into a served database: %v", err)
		}
	}
	if err := importonce.Command(t.Context(), []string{f.path, "--files", f.files}, env, &out, &errs); err != nil {
		t.Fatalf("import: %v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "imported 3 people, 1 bots, 3 rooms, 7 memberships, 9 messages") ||
		!strings.Contains(errs.String(), "import-once: messages 10/10") {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", out.String(), errs.String())
	}
	err := importonce.Command(t.Context(), []string{f.path}, env, &out, &errs)
	if !errors.Is(err, importonce.ErrTargetNotEmpty) || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("second import: %v", err)
	}
}

// TestImportRefusesSymlinkedFiles: --files is read as a tree of its own; a
// blob that is a symlink out of it (to a file, or through a linked
// directory) is not copied, so a hostile dump cannot import the server's
// own files into a room.
func TestImportRefusesSymlinkedFiles(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, pngBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, viaDir := range []bool{false, true} {
		f := newFixture(t)
		key := "k3y0fth3bl0b1234567890ab"
		if viaDir {
			outside := filepath.Join(t.TempDir(), key[2:4])
			if err := os.MkdirAll(outside, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(secret, filepath.Join(outside, key)); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(filepath.Join(f.files, key[:2])); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Dir(outside), filepath.Join(f.files, key[:2])); err != nil {
				t.Fatal(err)
			}
		} else {
			p := filepath.Join(f.files, key[:2], key[2:4], key)
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(secret, p); err != nil {
				t.Fatal(err)
			}
		}
		_, rep, _ := imported(t, f, false)
		if rep.Files != 0 {
			t.Fatalf("via a linked directory %v: %d files copied through a symlink", viaDir, rep.Files)
		}
	}
}

// TestImportCutsLongMessages: Campfire has no body limit, this server
// does (64 KiB); a longer body (a paste, or a hostile dump's megabytes,
// which markup escaping multiplies) is cut to the limit and reported,
// not stored whole for every page and API list to carry.
func TestImportCutsLongMessages(t *testing.T) {
	f := newFixture(t)
	long := map[int]string{
		101: "<div>" + strings.Repeat("é", 100<<10) + "</div>",
		102: strings.Repeat("<div>", 50000) + "deep",
	}
	for id, b := range long {
		f.exec(t, `INSERT INTO messages (id, room_id, creator_id, client_message_id, created_at, updated_at) VALUES (?, 1, 1, ?, '2025-03-01 13:00:00', '2025-03-01 13:00:00')`, id, fmt.Sprint("long-", id))
		f.exec(t, `INSERT INTO action_text_rich_texts (name, body, record_type, record_id, created_at, updated_at) VALUES ('body', ?, 'Message', ?, '2025-03-01 13:00:00', '2025-03-01 13:00:00')`, b, id)
	}
	s, rep, _ := imported(t, f, false)
	if rep.Skipped["message bodies cut to the size limit"] != 2 {
		t.Fatalf("report %+v", rep)
	}
	tok, _ := signIn(t, s, "ada@example.com", "ada-secret")
	for id := range long {
		var m wire.Message
		s.Must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/messages/%d", id), nil, tok).JSON(t, &m)
		if len(m.Body) == 0 || len(m.Body) > chat.DefaultLimits.MessageBytes || !utf8.ValidString(m.Body) {
			t.Fatalf("message %d: %d bytes", id, len(m.Body))
		}
	}
}

// TestImportFitsNames: names, bios and boosts follow this server's rules
// (length, no control or direction-override characters) however Campfire
// stored them; a hostile dump's 100,000-character name rode along on
// every message of its author.
func TestImportFitsNames(t *testing.T) {
	f := newFixture(t)
	f.exec(t, `UPDATE accounts SET name = ?`, strings.Repeat("A", 1<<20))
	f.exec(t, `UPDATE users SET name = ?, bio = ? WHERE id = 2`, "Bea\u202e"+strings.Repeat("<b>x", 100000), strings.Repeat("B\x01", 1<<19))
	f.exec(t, `UPDATE users SET name = ? WHERE id = 3`, "\u200f \t")
	f.exec(t, `UPDATE rooms SET name = ? WHERE id = 1`, strings.Repeat("<script>R", 100000))
	f.exec(t, `UPDATE boosts SET content = ? WHERE id = 1`, strings.Repeat("🎉", 100000))
	s, _, _ := imported(t, f, false)
	tok, _ := signIn(t, s, "ada@example.com", "ada-secret")
	l := chat.DefaultLimits
	check := func(what, s string, max int, blankOK bool) {
		t.Helper()
		if _, err := chat.CleanName(what, s, max); err != nil && !(blankOK && s == "") {
			t.Errorf("%s %.60q: %v", what, s, err)
		}
	}
	var users struct{ Users []wire.User }
	s.Must(t, http.StatusOK, "GET", "/api/v1/users", nil, tok).JSON(t, &users)
	for _, u := range users.Users {
		check("name", u.Name, l.UserNameRunes, false)
		check("bio", u.Bio, l.BioRunes, true)
	}
	var gone wire.User
	s.Must(t, http.StatusOK, "GET", "/api/v1/users/3", nil, tok).JSON(t, &gone)
	check("name", gone.Name, l.UserNameRunes, false)
	var room struct{ Name string }
	s.Must(t, http.StatusOK, "GET", "/api/v1/rooms/1", nil, tok).JSON(t, &room)
	check("room name", room.Name, l.RoomNameRunes, false)
	var acct struct{ Name string }
	s.Must(t, http.StatusOK, "GET", "/api/v1/account", nil, tok).JSON(t, &acct)
	check("account name", acct.Name, l.RoomNameRunes, false)
	var ms struct{ Messages []wire.Message }
	s.Must(t, http.StatusOK, "GET", "/api/v1/rooms/1/messages", nil, tok).JSON(t, &ms)
	boosts := 0
	for _, m := range ms.Messages {
		for _, b := range m.Boosts {
			check("boost", b.Content, l.BoostRunes, false)
			boosts++
		}
	}
	if boosts == 0 {
		t.Error("no boosts imported")
	}
}
