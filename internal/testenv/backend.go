package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/campfire-go/campfire/internal/config"
)

// Backend names the backends whole-graph tests (API, cable, browser) run
// on: CAMPFIRE_TEST_BACKEND is "" or "sqlite" (the default: a SQLite file,
// the in-process broker) or "postgres+redis" (a fresh schema in
// CAMPFIRE_TEST_POSTGRES_URL and a fresh key prefix in
// CAMPFIRE_TEST_REDIS_URL). CI runs those suites both ways.
func Backend() string {
	if b := os.Getenv("CAMPFIRE_TEST_BACKEND"); b != "" {
		return b
	}
	return "sqlite"
}

// Config returns a configuration for one test's own server on the
// backends Backend names: an empty database, its storage in t.TempDir(),
// bcrypt at its minimum cost. Everything it made is removed when t ends.
func Config(t testing.TB) config.Config {
	t.Helper()
	cfg := config.Default()
	dir := t.TempDir()
	cfg.StoragePath = filepath.Join(dir, "storage")
	cfg.BcryptCost = 4
	cfg.InstanceID = "test-1"
	cfg.SecretKeyBase = strings.Repeat("t", 32)
	switch Backend() {
	case "sqlite":
		cfg.DatabaseURL = "sqlite://" + filepath.Join(dir, "campfire.db")
	case "postgres+redis":
		cfg.DatabaseURL = PostgresSchema(t)
		cfg.RedisURL = RedisURL(t)
		cfg.RedisPrefix = "test:" + randomName() + ":"
	default:
		t.Fatalf("CAMPFIRE_TEST_BACKEND=%q: use sqlite or postgres+redis", Backend())
	}
	return cfg
}

// PostgresSchema creates an empty schema in CAMPFIRE_TEST_POSTGRES_URL's
// database, drops it when t ends, and returns a URL whose connections use
// it (search_path), so parallel tests share one server without sharing
// tables.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	name := "t_" + randomName()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to %s: %v", base, err)
	}
	defer conn.Close(context.Background())
	// The store's migration installs the unaccent extension, which is
	// database-wide and not safe to create concurrently, while migrations
	// of different schemas run at once: install it first, under a lock
	// shared with every other test process.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(1667330199)"); err != nil {
		t.Fatalf("locking: %v", err)
	}
	_, err = conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
	if _, uerr := conn.Exec(ctx, "SELECT pg_advisory_unlock(1667330199)"); err == nil {
		err = uerr
	}
	if err != nil {
		t.Fatalf("installing unaccent: %v", err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("creating schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("dropping schema %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Logf("dropping schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("CAMPFIRE_TEST_POSTGRES_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name+",public") // public holds the extension
	u.RawQuery = q.Encode()
	return u.String()
}

func randomName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
