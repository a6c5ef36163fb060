package testbin

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/testenv"
)

// The shipped load-balancer configurations, relative to the repository.
const (
	NginxConf   = "deploy/nginx/campfire.conf"
	HAProxyConf = "deploy/haproxy/haproxy.cfg"
)

// RepoPath returns the absolute path of a file in this repository.
func RepoPath(rel string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", filepath.FromSlash(rel))
}

// StartNginx runs a real nginx (CAMPFIRE_TEST_NGINX, or nginx on PATH;
// skips when absent unless CAMPFIRE_TEST_STRICT=1) on the shipped
// deploy/nginx/campfire.conf, changed only where a test must: its upstream
// servers become upstreams (host:port, each with the shipped server
// parameters) and it listens on a free loopback port. nginx runs in the
// foreground with its own prefix, pid, logs and temp files in a temporary
// directory; StartNginx returns once it accepts connections, and the test's
// cleanup stops it (its error log is printed if the test failed).
func StartNginx(t testing.TB, upstreams []string) (baseURL string) {
	t.Helper()
	bin := testenv.BinaryEnv(t, "CAMPFIRE_TEST_NGINX", "nginx")
	shipped, err := os.ReadFile(RepoPath(NginxConf))
	if err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	conf, err := renderNginx(string(shipped), upstreams, fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("%s: %v", NginxConf, err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "campfire.conf"), conf)
	write(t, filepath.Join(dir, "nginx.conf"), NginxMain(dir, filepath.Join(dir, "campfire.conf"), false))
	p := startProxy(t, "nginx", filepath.Join(dir, "error.log"), port,
		bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", filepath.Join(dir, "nginx.conf"))
	return p
}

// NginxMain is a main nginx.conf that keeps everything nginx writes (pid,
// logs, temp files) under dir and includes the server configuration at
// include, as the operator's /etc/nginx/nginx.conf includes conf.d/. With
// test set it is only for `nginx -t`; otherwise nginx stays in the
// foreground with one worker.
func NginxMain(dir, include string, test bool) string {
	var b strings.Builder
	if !test {
		b.WriteString("daemon off;\nworker_processes 1;\n")
	}
	if os.Geteuid() == 0 {
		// Workers would otherwise run as nobody, who cannot enter a 0700
		// t.TempDir() to write their temp files.
		b.WriteString("user root;\n")
	}
	fmt.Fprintf(&b, "pid %s;\nerror_log %s warn;\n", filepath.Join(dir, "nginx.pid"), filepath.Join(dir, "error.log"))
	b.WriteString("events { worker_connections 1024; }\nhttp {\n")
	fmt.Fprintf(&b, "    access_log %s;\n", filepath.Join(dir, "access.log"))
	for _, tmp := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&b, "    %s_temp_path %s;\n", tmp, filepath.Join(dir, "tmp_"+tmp))
	}
	fmt.Fprintf(&b, "    include %s;\n}\n", include)
	return b.String()
}

// StartHAProxy runs a real HAProxy (CAMPFIRE_TEST_HAPROXY, or haproxy on
// PATH; skips when absent unless CAMPFIRE_TEST_STRICT=1) on the shipped
// deploy/haproxy/haproxy.cfg, changed only where a test must: its global
// section (chroot, user, daemon, syslog) becomes a foreground one logging
// to stderr with an admin socket at <dir>/admin.sock, its frontend binds a
// free loopback port and its backend servers become upstreams (each with
// the shipped server parameters). It returns once HAProxy accepts
// connections; the test's cleanup stops it (its log is printed if the test
// failed).
func StartHAProxy(t testing.TB, upstreams []string) (baseURL string) {
	t.Helper()
	bin := testenv.BinaryEnv(t, "CAMPFIRE_TEST_HAPROXY", "haproxy")
	shipped, err := os.ReadFile(RepoPath(HAProxyConf))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	port := FreePort(t)
	global := "global\n    maxconn 1000\n    log stderr format short local0 info\n" +
		fmt.Sprintf("    stats socket %s mode 600 level admin\n", filepath.Join(dir, "admin.sock"))
	conf, err := renderHAProxy(string(shipped), global, upstreams, fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("%s: %v", HAProxyConf, err)
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	write(t, cfg, conf)
	return startProxy(t, "haproxy", "", port, bin, "-db", "-f", cfg)
}

// startProxy runs a load balancer in the foreground, waits until it
// accepts connections on port and stops it at the end of the test.
func startProxy(t testing.TB, name, logFile string, port int, bin string, args ...string) (baseURL string) {
	t.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so a stuck master and its workers can be
	// killed together; and SIGTERM if the test binary dies first, so no
	// proxy outlives a timed-out test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	logs := func() string {
		s := out.String()
		if logFile != "" {
			b, _ := os.ReadFile(logFile)
			s += string(b)
		}
		if len(s) > 8<<10 {
			s = s[len(s)-8<<10:]
		}
		return s
	}
	t.Cleanup(func() {
		// SIGTERM is a fast shutdown for both: open WebSockets are cut.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("%s log (last 8 KB):\n%s", name, logs())
		}
	})

	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return "http://" + addr
		}
		select {
		case err := <-done:
			done <- err // for the cleanup
			t.Fatalf("%s exited before listening: %v\n%s", name, err, logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s within 10s\n%s", name, addr, logs())
		}
		time.Sleep(10 * time.Millisecond) // polling a process we do not control
	}
}

var (
	// An uncommented directive line: indentation, the name, its arguments.
	nginxServerLine   = regexp.MustCompile(`(?m)^[ \t]*server[ \t]+(\S+?)([ \t][^;\n]*)?;[ \t]*\n`)
	nginxListenLine   = regexp.MustCompile(`(?m)^[ \t]*listen[ \t][^;\n]*;[ \t]*\n`)
	nginxUpstream     = regexp.MustCompile(`(?m)^upstream[ \t]+campfire[ \t]*\{\n`)
	haproxySection    = regexp.MustCompile(`(?m)^(global|defaults|frontend|backend|listen|peers|resolvers|userlist|program|http-errors|ring|cache|mailers)\b`)
	haproxyBindLine   = regexp.MustCompile(`(?m)^[ \t]+bind[ \t][^\n]*\n`)
	haproxyServerLine = regexp.MustCompile(`(?m)^[ \t]+server[ \t]+\S+[ \t]+(\S+)([^\n]*)\n`)
)

// renderNginx points the shipped upstream block at upstreams and the
// server block at listen. It fails if the shipped file no longer has the
// lines it changes, so the harness cannot silently test something else.
func renderNginx(conf string, upstreams []string, listen string) (string, error) {
	if len(upstreams) == 0 {
		return "", errors.New("no upstreams")
	}
	loc := nginxUpstream.FindStringIndex(conf)
	if loc == nil {
		return "", errors.New(`no "upstream campfire {" block`)
	}
	end := strings.Index(conf[loc[1]:], "\n}")
	if end < 0 {
		return "", errors.New("the upstream block does not end")
	}
	block := conf[loc[1] : loc[1]+end+1]
	servers := nginxServerLine.FindAllStringSubmatch(block, -1)
	if len(servers) == 0 {
		return "", errors.New("the upstream block has no server lines")
	}
	var repl strings.Builder
	for _, u := range upstreams {
		fmt.Fprintf(&repl, "    server %s%s;\n", u, servers[0][2])
	}
	first := true
	block = nginxServerLine.ReplaceAllStringFunc(block, func(string) string {
		if first {
			first = false
			return repl.String()
		}
		return ""
	})
	conf = conf[:loc[1]] + block + conf[loc[1]+end+1:]

	if !nginxListenLine.MatchString(conf) {
		return "", errors.New("no listen lines")
	}
	first = true
	conf = nginxListenLine.ReplaceAllStringFunc(conf, func(string) string {
		if first {
			first = false
			return fmt.Sprintf("    listen %s;\n", listen)
		}
		return ""
	})
	return conf, nil
}

// renderHAProxy replaces the global section with global, every frontend's
// bind lines with one on listen, and every backend's servers with
// upstreams (keeping the first server's parameters).
func renderHAProxy(conf, global string, upstreams []string, listen string) (string, error) {
	if len(upstreams) == 0 {
		return "", errors.New("no upstreams")
	}
	starts := haproxySection.FindAllStringIndex(conf, -1)
	if len(starts) == 0 {
		return "", errors.New("no sections")
	}
	var out strings.Builder
	out.WriteString(conf[:starts[0][0]])
	var binds, servers int
	for i, s := range starts {
		end := len(conf)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		sec := conf[s[0]:end]
		switch kind := conf[s[0]:s[1]]; kind {
		case "global":
			sec = global + "\n"
		case "frontend", "listen":
			first := true
			sec = haproxyBindLine.ReplaceAllStringFunc(sec, func(string) string {
				binds++
				if first {
					first = false
					return fmt.Sprintf("    bind %s\n", listen)
				}
				return ""
			})
		}
		if kind := conf[s[0]:s[1]]; kind == "backend" || kind == "listen" {
			m := haproxyServerLine.FindStringSubmatch(sec)
			if m != nil {
				var repl strings.Builder
				for i, u := range upstreams {
					fmt.Fprintf(&repl, "    server app%d %s%s\n", i+1, u, m[2])
				}
				first := true
				sec = haproxyServerLine.ReplaceAllStringFunc(sec, func(string) string {
					servers++
					if first {
						first = false
						return repl.String()
					}
					return ""
				})
			}
		}
		out.WriteString(sec)
	}
	if binds == 0 || servers == 0 {
		return "", fmt.Errorf("found %d bind and %d server lines; want both", binds, servers)
	}
	return out.String(), nil
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
