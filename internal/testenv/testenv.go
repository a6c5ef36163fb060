// Package testenv tells tests where the outside services they need are.
// A test that needs one reads its URL from the environment and skips when
// it is unset, unless CAMPFIRE_TEST_STRICT=1 (CI), where a missing service
// is a failure rather than a silently smaller test run.
package testenv

import (
	"os"
	"testing"
)

// PostgresURL returns CAMPFIRE_TEST_POSTGRES_URL, e.g.
// postgres://root@127.0.0.1:5432/test?sslmode=disable.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return need(t, "CAMPFIRE_TEST_POSTGRES_URL", "PostgreSQL")
}

// RedisURL returns CAMPFIRE_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/0.
func RedisURL(t testing.TB) string {
	t.Helper()
	return need(t, "CAMPFIRE_TEST_REDIS_URL", "Redis")
}

// Strict reports whether missing services fail tests instead of skipping them.
func Strict() bool { return os.Getenv("CAMPFIRE_TEST_STRICT") == "1" }

func need(t testing.TB, env, what string) string {
	t.Helper()
	if v := os.Getenv(env); v != "" {
		return v
	}
	if Strict() {
		t.Fatalf("%s is unset and CAMPFIRE_TEST_STRICT=1: this test needs %s", env, what)
	}
	t.Skipf("%s is unset: skipping this %s test", env, what)
	return ""
}
