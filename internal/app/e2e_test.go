package app_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/campfire-go/campfire/internal/testbin"
	"github.com/campfire-go/campfire/internal/testenv"
)

// TestDataSurvivesRestart drives the real binary: set up, post, SIGTERM,
// start again on the same files, and read the message back.
func TestDataSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	p := testbin.Start(t, t.TempDir())
	status, setup := p.Call("POST", "/api/v1/setup", "", map[string]string{
		"account_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": "correct horse",
	})
	if status != 201 {
		t.Fatalf("setup: %d %v", status, setup)
	}
	token, _ := setup["token"].(string)
	status, rooms := p.Call("GET", "/api/v1/rooms", token, nil)
	list, _ := rooms["rooms"].([]any)
	if status != 200 || len(list) != 1 {
		t.Fatalf("rooms: %d %v", status, rooms)
	}
	roomID := int64(list[0].(map[string]any)["id"].(float64))
	msgPath := fmt.Sprintf("/api/v1/rooms/%d/messages", roomID)
	if status, m := p.Call("POST", msgPath, token, map[string]string{"body": "hello **world**", "client_message_id": "c1"}); status != 201 {
		t.Fatalf("post: %d %v", status, m)
	}
	metrics := get(t, p.Base+"/metrics")
	for _, want := range []string{
		"campfire_messages_processed_total 1\n",
		"campfire_active_connections 0\n",
		`campfire_http_requests_total{method="POST",route="POST /api/v1/rooms/{id}/messages",status="2xx"} 1`,
		"campfire_message_processing_seconds_count 1\n",
		"go_goroutines ",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if testenv.Backend() != "sqlite" {
		// The post went out through Redis once, and the limits are shared.
		for _, want := range []string{"campfire_broker_published_total ", "campfire_ratelimit_degraded 0\n"} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
	}
	p.Stop()

	p.Start() // the same directory and port
	defer p.Stop()
	status, msgs := p.Call("GET", msgPath, token, nil)
	ms, _ := msgs["messages"].([]any)
	if status != 200 || len(ms) != 1 {
		t.Fatalf("after restart: %d %v", status, msgs)
	}
	m := ms[0].(map[string]any)
	if m["body"] != "hello **world**" || !strings.Contains(m["body_html"].(string), "<strong>world</strong>") || m["seq"].(float64) != 1 {
		t.Fatalf("message after restart = %v", m)
	}
	if status, _ := p.Call("POST", "/api/v1/setup", "", map[string]string{
		"account_name": "Again", "name": "Eve", "email": "eve@example.com", "password": "correct horse",
	}); status != 409 {
		t.Fatalf("second setup after restart: %d, want 409", status)
	}
}

// TestInvalidConfigExits checks a bad setting stops the binary at once with
// one clear line.
func TestInvalidConfigExits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	out, err := testbin.RunEnv(t, t.TempDir(), []string{"DATABASE_URL=mysql://localhost/x"}, "serve")
	if err == nil {
		t.Fatal("exit 0 with an unsupported DATABASE_URL")
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "DATABASE_URL") {
		t.Fatalf("want one line naming DATABASE_URL, got:\n%s", out)
	}
}

// TestBackupWhileServing takes an online backup of a running server's
// database and checks the copy serves the same data.
func TestBackupWhileServing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if testenv.Backend() != "sqlite" {
		t.Skip("backup copies a SQLite database; PostgreSQL is backed up with pg_dump")
	}
	dir := t.TempDir()
	p := testbin.Start(t, dir)
	status, setup := p.Call("POST", "/api/v1/setup", "", map[string]string{
		"account_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": "correct horse",
	})
	if status != 201 {
		t.Fatalf("setup: %d %v", status, setup)
	}
	if out, err := testbin.Run(t, dir, "backup", filepath.Join(dir, "copy.db")); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	p.Stop()

	copyDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(copyDir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "copy.db"), filepath.Join(copyDir, "data", "campfire.db")); err != nil {
		t.Fatal(err)
	}
	q := testbin.Start(t, copyDir)
	defer q.Stop()
	if status, _ := q.Call("POST", "/api/v1/session", "", map[string]string{"email": "ada@example.com", "password": "correct horse"}); status != 201 {
		t.Fatalf("sign in on the restored copy: %d", status)
	}
}

// TestAdminCommands runs the operator subcommands against a real database.
func TestAdminCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	run := func(args ...string) (string, error) { return testbin.Run(t, dir, args...) }
	if out, err := run("version"); err != nil || !strings.HasPrefix(out, "campfire ") {
		t.Fatalf("version: %q %v", out, err)
	}
	if out, err := run("migrate"); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %q %v", out, err)
	}
	if out, err := run("bogus"); err == nil || !strings.Contains(out, `unknown command "bogus"`) {
		t.Fatalf("unknown command: %q %v", out, err)
	}

	p := testbin.Start(t, dir)
	status, _ := p.Call("POST", "/api/v1/setup", "", map[string]string{
		"account_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": "correct horse",
	})
	if status != 201 {
		t.Fatalf("setup: %d", status)
	}
	out, err := run("admin", "reset-password", "ADA@example.com")
	if err != nil {
		t.Fatalf("reset-password: %v\n%s", err, out)
	}
	_, pw, ok := strings.Cut(strings.TrimSpace(out), ": ")
	if !ok || len(pw) < 12 {
		t.Fatalf("reset-password printed %q", out)
	}
	if status, _ := p.Call("POST", "/api/v1/session", "", map[string]string{"email": "ada@example.com", "password": "correct horse"}); status != 401 {
		t.Fatalf("old password still works: %d", status)
	}
	status, sess := p.Call("POST", "/api/v1/session", "", map[string]string{"email": "ada@example.com", "password": pw})
	if status != 201 {
		t.Fatalf("new password refused: %d", status)
	}
	if out, err := run("admin", "reset-password", "nobody@example.com"); err == nil {
		t.Fatalf("reset-password for an unknown email succeeded: %s", out)
	}
	if status, _ := p.Call("POST", "/api/v1/bans", sess["token"].(string), map[string]string{"ip": "203.0.113.7"}); status != 204 {
		t.Fatalf("ban: %d", status)
	}
	if out, err := run("admin", "unban", "203.0.113.7"); err != nil || !strings.Contains(out, "no longer banned") {
		t.Fatalf("unban: %v\n%s", err, out)
	}
	if out, err := run("admin", "unban", "203.0.113.7"); err == nil {
		t.Fatalf("unbanning an address that is not banned succeeded: %s", out)
	}

	out, err = run("admin", "create-bot", "Deploy Bot")
	if err != nil {
		t.Fatalf("create-bot: %v\n%s", err, out)
	}
	i := strings.Index(out, "key: ")
	if i < 0 {
		t.Fatalf("create-bot printed %q", out)
	}
	key := strings.TrimSpace(out[i+len("key: "):])
	_, rooms := p.Call("GET", "/api/v1/rooms", sess["token"].(string), nil)
	roomID := int64(rooms["rooms"].([]any)[0].(map[string]any)["id"].(float64))
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/rooms/%d/%s/messages", p.Base, roomID, key), strings.NewReader("deployed v1.2"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("Location") == "" {
		t.Fatalf("bot post with the printed key: %d (Location %q)", resp.StatusCode, resp.Header.Get("Location"))
	}
	p.Stop()
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return string(b)
}

// TestSecondInstanceOnSQLiteRefused: several instances need PostgreSQL and
// Redis. A second server on the same SQLite file, or REDIS_URL with SQLite,
// exits at once with one line saying so.
func TestSecondInstanceOnSQLiteRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if testenv.Backend() != "sqlite" {
		t.Skip("about SQLite")
	}
	dir := t.TempDir()
	p := testbin.Start(t, dir)
	defer p.Stop()
	if err := os.Symlink(filepath.Join(dir, "data", "campfire.db"), filepath.Join(dir, "alias.db")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"same file", []string{"PORT=0"}, "already serving"},
		{"same file through a symlink", []string{"PORT=0", "DATABASE_URL=sqlite://alias.db"}, "already serving"},
		{"redis with sqlite", []string{"PORT=0", "REDIS_URL=redis://127.0.0.1:6379/0", "SECRET_KEY_BASE=" + strings.Repeat("x", 32)}, "REDIS_URL"},
	} {
		out, err := testbin.RunEnv(t, dir, c.env, "serve")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if err == nil || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Fatalf("%s: err %v, output:\n%s", c.name, err, out)
		}
	}
	// The first server is unharmed.
	if status, _ := p.Call("GET", "/ready", "", nil); status != 200 {
		t.Fatalf("first server /ready: %d", status)
	}
}
