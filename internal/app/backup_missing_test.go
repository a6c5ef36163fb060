package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupRefusesAMissingDatabase: a backup run against a database that
// is not there (a cron job started in the wrong directory, a mistyped
// DATABASE_URL) fails with one line and creates nothing, instead of
// creating an empty database and writing a "backup" of it.
func TestBackupRefusesAMissingDatabase(t *testing.T) {
	_, env := sqliteConfig(t)
	dbPath := strings.TrimPrefix(env[0], "DATABASE_URL=sqlite://")
	dest := filepath.Join(t.TempDir(), "backup.db")
	code, stdout, stderr := run(env, "backup", dest)
	if code == 0 {
		t.Fatalf("backup of a missing database succeeded: %q", stdout)
	}
	if !strings.Contains(stderr, dbPath) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("stderr %q: want one line naming %s", stderr, dbPath)
	}
	for _, p := range []string{dbPath, dest} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was created", p)
		}
	}
}
