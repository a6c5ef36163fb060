package migrate_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/campfire-go/campfire/internal/store/migrate"
	"github.com/campfire-go/campfire/internal/testbin"
	"github.com/campfire-go/campfire/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// TestCommandEndToEnd is the operator's path with the real binary: a
// Campfire on SQLite is used and stopped, `campfire migrate-data` moves it
// to PostgreSQL, and the same people, sessions and bot carry on there.
func TestCommandEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	pg := testenv.PostgresSchema(t)
	dir := t.TempDir()
	// On SQLite whatever backend the suite runs on: that is the source.
	onSQLite := []string{"DATABASE_URL=sqlite://data/campfire.db", "REDIS_URL="}

	p := testbin.Start(t, dir, onSQLite...)
	status, setup := p.Call("POST", "/api/v1/setup", "", map[string]string{
		"account_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": "correct horse",
	})
	if status != 201 {
		t.Fatalf("setup: %d %v", status, setup)
	}
	token := setup["token"].(string)
	_, rooms := p.Call("GET", "/api/v1/rooms", token, nil)
	roomID := int64(rooms["rooms"].([]any)[0].(map[string]any)["id"].(float64))
	msgPath := fmt.Sprintf("/api/v1/rooms/%d/messages", roomID)
	for i, body := range []string{"first", "the **albatross** has landed", "third"} {
		if status, m := p.Call("POST", msgPath, token, map[string]string{"body": body, "client_message_id": fmt.Sprint("c", i)}); status != 201 {
			t.Fatalf("post: %d %v", status, m)
		}
	}
	status, bot := p.Call("POST", "/api/v1/bots", token, map[string]string{"name": "Deploy Bot"})
	if status != 201 {
		t.Fatalf("create bot: %d %v", status, bot)
	}
	botKey := bot["bot_key"].(string)
	p.Stop()

	migrateData := func(args ...string) (string, int) {
		t.Helper()
		out, err := testbin.RunEnv(t, dir, onSQLite, append([]string{"migrate-data"}, args...)...)
		var exit *exec.ExitError
		switch {
		case err == nil:
			return out, 0
		case errors.As(err, &exit):
			return out, exit.ExitCode()
		default:
			t.Fatalf("migrate-data %v: %v\n%s", args, err, out)
			return "", -1
		}
	}
	out, code := migrateData("--from", "sqlite://data/campfire.db", "--to", pg, "--batch-size", "2")
	if code != 0 || !strings.Contains(out, "messages: 3 rows copied in") || !strings.Contains(out, "rows/s") ||
		!strings.Contains(out, "rows copied in") || !strings.Contains(out, ", verified") {
		t.Fatalf("migrate-data: exit %d\n%s", code, out)
	}
	t.Logf("migrate-data:\n%s", out)
	if n := strings.Count(out, " ok\n"); int64(n) != migrate.TableCount {
		t.Errorf("the verification table shows %d tables ok, want %d:\n%s", n, migrate.TableCount, out)
	}
	if out, code := migrateData("--from", "sqlite://data/campfire.db", "--to", pg); code != 1 ||
		!strings.Contains(out, "campfire: migrate-data: the target database is not empty") || !strings.Contains(out, "--force") {
		t.Fatalf("second run onto the migrated target: exit %d\n%s", code, out)
	}
	if out, code := migrateData("--from", "sqlite://data/campfire.db"); code != 1 || !strings.Contains(out, "--from and --to are required") {
		t.Fatalf("without --to: exit %d\n%s", code, out)
	}
	if out, code := migrateData("--from", "sqlite://data/nothing.db", "--to", pg); code != 1 || !strings.Contains(out, "no such file") {
		t.Fatalf("missing source: exit %d\n%s", code, out)
	}
	if out, code := migrateData("--from", "sqlite://data/campfire.db", "--to", pg, "--verify-only"); code != 0 ||
		!strings.Contains(out, "verified: every table has the same rows on both sides") {
		t.Fatalf("--verify-only: exit %d\n%s", code, out)
	}

	// The same directory served from PostgreSQL: the session, the password,
	// the bot's key, the history and search all carry over.
	q := testbin.Start(t, dir, "DATABASE_URL="+pg, "REDIS_URL=")
	status, page := q.Call("GET", msgPath, token, nil)
	if status != 200 {
		t.Fatalf("history with the session made on SQLite: %d %v", status, page)
	}
	msgs := page["messages"].([]any)
	if len(msgs) != 3 || msgs[1].(map[string]any)["body"] != "the **albatross** has landed" ||
		!strings.Contains(msgs[1].(map[string]any)["body_html"].(string), "<strong>albatross</strong>") {
		t.Fatalf("history: %v", msgs)
	}
	if status, m := q.Call("POST", msgPath, token, map[string]string{"body": "fourth", "client_message_id": "c3"}); status != 201 || m["seq"] != 4.0 {
		t.Fatalf("a new post on PostgreSQL: %d %v", status, m)
	}
	if status, m := q.Call("POST", msgPath, token, map[string]string{"body": "again", "client_message_id": "c0"}); status != 200 || m["body"] != "first" {
		t.Fatalf("a retry of a post made on SQLite: %d %v", status, m)
	}
	if status, found := q.Call("GET", "/api/v1/search?q=albatross", token, nil); status != 200 || len(found["messages"].([]any)) != 1 {
		t.Fatalf("search: %d %v", status, found)
	}
	if status, _ := q.Call("POST", "/api/v1/session", "", map[string]string{"email": "ada@example.com", "password": "correct horse"}); status != 201 {
		t.Fatalf("sign in with the password set on SQLite: %d", status)
	}
	req, err := http.NewRequest("POST", fmt.Sprintf("%s/rooms/%d/%s/messages", q.Base, roomID, botKey), strings.NewReader("deployed"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("the bot's key made on SQLite: %d", resp.StatusCode)
	}
	q.Stop()
}
