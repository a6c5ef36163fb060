package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BinaryEnv is Binary for programs an operator may keep elsewhere (nginx,
// haproxy): the file named by the environment variable env when set, else
// name on PATH or in the sbin directories where Debian installs daemons,
// off an ordinary user's PATH. When it is nowhere, the test skips, or
// fails under CAMPFIRE_TEST_STRICT=1.
func BinaryEnv(t testing.TB, env, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=%s: %v", env, p, err)
		}
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if Strict() {
		t.Fatalf("%s is not installed (not on PATH, %s unset) and CAMPFIRE_TEST_STRICT=1", name, env)
	}
	t.Skipf("%s is not installed (not on PATH, %s unset): skipping", name, env)
	return ""
}
