package testbin

import (
	"os"
	"strings"
	"testing"
)

// The renderers change only the lines a test must, in the shipped files,
// and refuse files that lost those lines.
func TestRenderNginx(t *testing.T) {
	shipped, err := os.ReadFile(RepoPath(NginxConf))
	if err != nil {
		t.Fatal(err)
	}
	out, err := renderNginx(string(shipped), []string{"127.0.0.1:7001", "127.0.0.1:7002"}, "127.0.0.1:9000")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"    server 127.0.0.1:7001 max_fails=3 fail_timeout=10s;\n",
		"    server 127.0.0.1:7002 max_fails=3 fail_timeout=10s;\n",
		"    listen 127.0.0.1:9000;\n",
		"hash $campfire_affinity consistent;",
		"# listen 443 ssl http2;", // comments stay
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered config lacks %q", want)
		}
	}
	for _, gone := range []string{"127.0.0.1:3000", "\n    listen 80;", "\n    listen [::]:80;"} {
		if strings.Contains(out, gone) {
			t.Errorf("rendered config still has %q", gone)
		}
	}
	if _, err := renderNginx("upstream other {\n}\n", []string{"a:1"}, "b:2"); err == nil {
		t.Error("a file without the campfire upstream rendered")
	}
}

func TestRenderHAProxy(t *testing.T) {
	shipped, err := os.ReadFile(RepoPath(HAProxyConf))
	if err != nil {
		t.Fatal(err)
	}
	out, err := renderHAProxy(string(shipped), "global\n    maxconn 10\n", []string{"127.0.0.1:7001", "127.0.0.1:7002"}, "127.0.0.1:9000")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"global\n    maxconn 10\n\ndefaults\n",
		"    bind 127.0.0.1:9000\n",
		"    server app1 127.0.0.1:7001\n",
		"    server app2 127.0.0.1:7002\n",
		"option httpchk GET /ready",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered config lacks %q", want)
		}
	}
	for _, gone := range []string{"127.0.0.1:3000", "chroot", "    bind :80", "app3"} {
		if strings.Contains(out, gone) {
			t.Errorf("rendered config still has %q", gone)
		}
	}
	if _, err := renderHAProxy("global\n\nbackend x\n    balance roundrobin\n", "global\n", []string{"a:1"}, "b:2"); err == nil {
		t.Error("a file without bind or server lines rendered")
	}
}
