package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/testenv"
)

// pgTool finds a PostgreSQL client program (see testenv.PostgresTool).
func pgTool(t *testing.T, name string) string { return testenv.PostgresTool(t, name) }

// createDatabase makes an empty database on CAMPFIRE_TEST_POSTGRES_URL's
// server, dropped when t ends, and returns its URL.
func createDatabase(t *testing.T, base, prefix string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("dropping %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("dropping %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// The PostgreSQL path of docs/operations.md, run: pg_dump -Fc of a
// database Campfire wrote, pg_restore into a fresh database, and a server
// started on the copy reads the same messages back (and signs the same
// person in).
func TestPostgresDumpAndRestore(t *testing.T) {
	base := testenv.PostgresURL(t)
	pgDump, pgRestore := pgTool(t, "pg_dump"), pgTool(t, "pg_restore")
	src := createDatabase(t, base, "campfire_dump_src_")
	dst := createDatabase(t, base, "campfire_dump_dst_")
	dir := t.TempDir()
	load := func(dbURL string) config.Config {
		cfg, err := config.Load(nil, []string{
			"DATABASE_URL=" + dbURL, "STORAGE_PATH=" + filepath.Join(dir, "storage"),
			"SECRET_KEY_BASE=" + strings.Repeat("s", 32), "BCRYPT_COST=4",
		})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	s := startGraph(t, load(src), log)
	post, bodies := chat(t, s)
	for _, b := range []string{"first", "second **bold**", "third, with ünïcödé"} {
		post(b)
	}
	want := bodies()
	if len(want) != 3 {
		t.Fatalf("bodies before the dump: %q", want)
	}
	s.stop()

	dump := filepath.Join(dir, "campfire.dump")
	for _, cmd := range [][]string{
		{pgDump, "--format=custom", "--file=" + dump, "--dbname=" + src},
		{pgRestore, "--no-owner", "--exit-on-error", "--dbname=" + dst, dump},
	} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", filepath.Base(cmd[0]), err, out)
		}
	}
	if fi, err := os.Stat(dump); err != nil || fi.Size() == 0 {
		t.Fatalf("dump: %v", err)
	}

	s = startGraph(t, load(dst), log)
	var signin struct {
		Token string `json:"token"`
	}
	if res := s.call(t, "POST", "/api/v1/session", "", map[string]string{"email": "ada@example.com", "password": "correct horse"}, &signin); res.StatusCode/100 != 2 {
		t.Fatalf("sign-in on the restored database: %d", res.StatusCode)
	}
	post, bodies = chatAs(t, s, signin.Token)
	if got := bodies(); !slices.Equal(got, want) {
		t.Fatalf("restored bodies %q, want %q", got, want)
	}
	post("after the restore") // sequences came along: ids do not collide
	if got := bodies(); len(got) != 4 {
		t.Fatalf("after posting on the restored database: %q", got)
	}
}
