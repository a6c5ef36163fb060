package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A database left by a server killed with -9 holds committed rows only in
// its -wal. Restore folds them into the database it keeps as .bak before
// the -wal is removed, so nothing committed is lost with the swap.
func TestRestoreKeepsTheWALOfTheOldDatabase(t *testing.T) {
	ctx := context.Background()
	src := openTest(t, Options{})
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := src.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}

	// The old database: rows committed to its WAL and never checkpointed,
	// copied with its -wal as a crash leaves them.
	live := filepath.Join(t.TempDir(), "live.db")
	db, err := sql.Open("sqlite", live+"?_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, q := range []string{"CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('only in the wal')"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "campfire.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(live + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if suffix == "-wal" && len(b) == 0 {
			t.Fatal("the WAL is empty; the test needs rows in it")
		}
		if err := os.WriteFile(dbPath+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	previous, err := Restore(ctx, backup, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(previous, dbPath+".bak-") {
		t.Fatalf("previous = %q", previous)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(dbPath + suffix); err == nil {
			t.Errorf("%s left behind", suffix)
		}
	}
	old, err := sql.Open("sqlite", "file:"+previous+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	var body string
	if err := old.QueryRow("SELECT body FROM notes").Scan(&body); err != nil || body != "only in the wal" {
		t.Fatalf("kept database: %q, %v", body, err)
	}
	if _, err := Verify(ctx, dbPath); err != nil {
		t.Fatalf("restored database: %v", err)
	}
}

// Verify names what is wrong with a file that is not a sound backup.
func TestVerifyRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)
	if _, err := Verify(ctx, empty); err == nil || !strings.Contains(err.Error(), "not a database") {
		t.Errorf("empty file: %v", err)
	}
	if _, err := Verify(ctx, dir); err == nil {
		t.Error("a directory verified")
	}
	// A Campfire database from a newer build.
	s := openTest(t, Options{})
	newer := filepath.Join(dir, "newer.db")
	if err := s.Backup(ctx, newer); err != nil {
		t.Fatal(err)
	}
	db, _ := sql.Open("sqlite", newer)
	_, err := db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, newer); err == nil || !strings.Contains(err.Error(), "9999") {
		t.Errorf("a newer schema: %v", err)
	}
}
