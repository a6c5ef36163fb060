package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/campfire-go/campfire/internal/app"
	"github.com/campfire-go/campfire/internal/app/engine"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/store/sqlite"
)

// sqliteConfig is a configuration on a SQLite file of t's own, whatever
// backend the suite runs on: backup and restore are SQLite's.
func sqliteConfig(t *testing.T) (config.Config, []string) {
	t.Helper()
	dir := t.TempDir()
	env := []string{
		"DATABASE_URL=sqlite://" + filepath.Join(dir, "db", "campfire.db"),
		"STORAGE_PATH=" + filepath.Join(dir, "storage"),
		"SECRET_KEY_BASE=" + strings.Repeat("s", 32),
		"BCRYPT_COST=4",
		"LOG_LEVEL=error",
	}
	cfg, err := config.Load(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, env
}

// run is the campfire command line in process.
func run(env []string, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = app.Main(args, env, &o, &e)
	return code, o.String(), e.String()
}

// chat sets an account up on a running graph and returns a function that
// posts to its room and one that lists the room's bodies.
func chat(t *testing.T, s *server) (post func(string), bodies func() []string) {
	t.Helper()
	var setup struct {
		Token string `json:"token"`
	}
	if res := s.call(t, "POST", "/api/v1/setup", "", map[string]string{
		"account_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": "correct horse",
	}, &setup); res.StatusCode != 201 {
		t.Fatalf("setup: %d", res.StatusCode)
	}
	return chatAs(t, s, setup.Token)
}

func chatAs(t *testing.T, s *server, token string) (post func(string), bodies func() []string) {
	var rooms struct {
		Rooms []struct {
			ID int64 `json:"id"`
		} `json:"rooms"`
	}
	s.call(t, "GET", "/api/v1/rooms", token, nil, &rooms)
	if len(rooms.Rooms) == 0 {
		t.Fatal("no room")
	}
	path := fmt.Sprintf("/api/v1/rooms/%d/messages", rooms.Rooms[0].ID)
	post = func(body string) {
		t.Helper()
		if res := s.call(t, "POST", path, token, map[string]string{"body": body}, nil); res.StatusCode != 201 {
			t.Fatalf("posting %q: %d", body, res.StatusCode)
		}
	}
	bodies = func() []string {
		t.Helper()
		var page struct {
			Messages []struct {
				Body string `json:"body"`
			} `json:"messages"`
		}
		if res := s.call(t, "GET", path, token, nil, &page); res.StatusCode != 200 {
			t.Fatalf("listing: %d", res.StatusCode)
		}
		var out []string
		for _, m := range page.Messages {
			out = append(out, m.Body)
		}
		return out
	}
	return post, bodies
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// countBodies counts messages with body in a SQLite file nobody serves.
func countBodies(t *testing.T, path, body string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM messages WHERE body = ?", body).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// `campfire backup` while serving writes a 0600 file that passes the
// integrity check; `campfire restore` is refused while a server holds the
// database, refuses corrupt and foreign files without touching the
// database, and otherwise puts the backup in place, keeping the previous
// database beside it and leaving no -wal or -shm of the old one.
func TestBackupAndRestore(t *testing.T) {
	cfg, env := sqliteConfig(t)
	db, _ := cfg.Database()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := startGraph(t, cfg, log)
	post, bodies := chat(t, s)
	post("before the backup")

	// As `campfire serve` does: the lock is held while serving.
	unlock, err := engine.LockServing(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "backups", "campfire.db")
	if code, out, errs := run(env, "backup", dest); code != 0 {
		t.Fatalf("backup: %d %s %s", code, out, errs)
	}
	fi, err := os.Stat(dest)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup mode = %v, %v; want 0600", fi.Mode(), err)
	}
	if v, err := sqlite.Verify(context.Background(), dest); err != nil || v != sqlite.LatestSchemaVersion() {
		t.Fatalf("backup verifies as %d, %v", v, err)
	}
	if n := countBodies(t, dest, "before the backup"); n != 1 {
		t.Fatalf("backup holds the message %d times", n)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dest)); len(entries) != 1 {
		t.Fatalf("backup directory holds %d entries, want the backup alone", len(entries))
	}
	if code, _, errs := run(env, "backup", dest); code == 0 || !strings.Contains(errs, "already exists") {
		t.Fatalf("backup over an existing file: %d %s", code, errs)
	}
	post("after the backup")

	code, _, errs := run(env, "restore", dest)
	if code == 0 || !strings.Contains(errs, "server stopped") {
		t.Fatalf("restore while serving: %d %q, want refused", code, errs)
	}
	if got := strings.Join(bodies(), "|"); !strings.Contains(got, "after the backup") {
		t.Fatalf("a refused restore while serving changed what is served: %q", got)
	}
	unlock()
	s.stop()

	// Corrupt and foreign files are refused; the database is untouched.
	before := fileSum(t, db.Path)
	corrupt := filepath.Join(t.TempDir(), "corrupt.db")
	b, _ := os.ReadFile(dest)
	if len(b) < 5*4096 {
		t.Fatalf("backup is only %d bytes", len(b))
	}
	for i := 2 * 4096; i < len(b)-4096; i += 4096 {
		copy(b[i+64:], bytes.Repeat([]byte{0xA5}, 512)) // garbage inside every page but the first two
	}
	if err := os.WriteFile(corrupt, b, 0o600); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(text, []byte(strings.Repeat("not a database\n", 500)), 0o600)
	empty := filepath.Join(t.TempDir(), "other.db")
	if edb, err := sql.Open("sqlite", empty); err == nil {
		edb.Exec("CREATE TABLE t (x)")
		edb.Close()
	}
	for _, bad := range []string{corrupt, text, empty, filepath.Join(t.TempDir(), "missing.db"), db.Path} {
		code, _, errs := run(env, "restore", bad)
		if code == 0 || strings.Count(errs, "\n") > 1 {
			t.Errorf("restore %s: %d %q, want one line refusing it", filepath.Base(bad), code, errs)
		}
		t.Logf("restore %s: %s", filepath.Base(bad), strings.TrimSpace(errs))
	}
	if fileSum(t, db.Path) != before {
		t.Fatal("a refused restore changed the database")
	}

	// A real restore.
	code, out, errs := run(env, "restore", dest)
	if code != 0 {
		t.Fatalf("restore: %d %s %s", code, out, errs)
	}
	matches, _ := filepath.Glob(db.Path + ".bak-*")
	if len(matches) != 1 || !strings.Contains(out, matches[0]) {
		t.Fatalf("previous database: %v; output %q", matches, out)
	}
	if n := countBodies(t, matches[0], "after the backup"); n != 1 {
		t.Fatalf("the kept database holds the later message %d times", n)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(db.Path + suffix); err == nil {
			t.Errorf("%s left beside the restored database", suffix)
		}
	}
	if fi, err := os.Stat(db.Path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("restored database mode %v, %v", fi.Mode(), err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(db.Path), ".*tmp"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}

	// The server starts on it and has the state of the backup.
	s = startGraph(t, cfg, log)
	var signin struct {
		Token string `json:"token"`
	}
	if res := s.call(t, "POST", "/api/v1/session", "", map[string]string{"email": "ada@example.com", "password": "correct horse"}, &signin); res.StatusCode/100 != 2 {
		t.Fatalf("sign-in after restore: %d", res.StatusCode)
	}
	_, bodies = chatAs(t, s, signin.Token)
	got := strings.Join(bodies(), "|")
	if !strings.Contains(got, "before the backup") || strings.Contains(got, "after the backup") {
		t.Fatalf("messages after restore: %q", got)
	}
}
