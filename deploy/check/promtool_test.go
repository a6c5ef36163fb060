package check

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// promtool runs Prometheus's promtool (Debian package prometheus, or
// CAMPFIRE_PROMTOOL) in dir.
func promtool(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary(t, "CAMPFIRE_PROMTOOL", "promtool"), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestPromtool: the shipped config and rules pass `promtool check config`,
// `promtool check rules` and the rules' unit tests (`promtool test rules`:
// the high-latency alert fires for the slow instance, after its 5 minutes,
// and not for the fast one or under the threshold).
func TestPromtool(t *testing.T) {
	dir := deployPath(t, "prometheus")
	for _, args := range [][]string{
		{"check", "config", "prometheus.yml"},
		{"check", "rules", "campfire_rules.yml"},
		{"test", "rules", "campfire_rules_test.yml"},
	} {
		out, err := promtool(t, dir, args...)
		if err != nil || !strings.Contains(out, "SUCCESS") {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestPromtoolCatches: promtool fails on a broken config, a broken rule, and
// a rule unit test whose expectation is wrong (the fast instance's latency
// alert), so TestPromtool passing means something.
func TestPromtoolCatches(t *testing.T) {
	dir := t.TempDir()
	rules := readDeploy(t, "prometheus/campfire_rules.yml")
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("campfire_rules.yml", string(rules))
	write("broken_rules.yml", strings.Replace(string(rules), "> 0.050", "> > 0.050", 1))
	write("bad_config.yml", "global:\n  scrape_interval: 5 seconds\n")
	tests := string(readDeploy(t, "prometheus/campfire_rules_test.yml"))
	wrong := strings.Replace(tests, "instance: a:3000\n            exp_annotations:\n              summary: 'Campfire a:3000 p99",
		"instance: b:3000\n            exp_annotations:\n              summary: 'Campfire a:3000 p99", 1)
	if wrong == tests {
		t.Fatal("the rules test no longer has the expected high-latency case")
	}
	write("wrong_test.yml", wrong)
	for _, args := range [][]string{
		{"check", "config", "bad_config.yml"},
		{"check", "rules", "broken_rules.yml"},
		{"test", "rules", "wrong_test.yml"},
	} {
		if out, err := promtool(t, dir, args...); err == nil {
			t.Errorf("promtool %s passed:\n%s", strings.Join(args, " "), out)
		}
	}
}
