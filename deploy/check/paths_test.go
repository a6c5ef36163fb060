package check

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// deployDir is deploy/, whatever directory the tests run from.
func deployDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Dir(filepath.Dir(file))
}

func deployPath(t testing.TB, rel string) string {
	return filepath.Join(deployDir(t), filepath.FromSlash(rel))
}

func readDeploy(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(deployPath(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// binary returns the program named by env, else found on PATH as name.
// Without it the test skips, or fails under CAMPFIRE_TEST_STRICT=1 (CI).
// (The main module's internal/testenv does the same; this module does
// not import the server's packages.)
func binary(t testing.TB, env, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	skipOrFail(t, "%s not found: install it (Debian: apt-get install prometheus) or set %s", name, env)
	return ""
}

// envBinary is binary without the PATH fallback: the test runs only when
// asked to (the real scrape starts two servers).
func envBinary(t testing.TB, env, hint string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		skipOrFail(t, "%s is not set: %s", env, hint)
	}
	return p
}

func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CAMPFIRE_TEST_STRICT") == "1" {
		t.Fatalf(format+" (CAMPFIRE_TEST_STRICT=1)", args...)
	}
	t.Skipf(format, args...)
}

func hasSuffixAny(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}
