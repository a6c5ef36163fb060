package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresServer is a PostgreSQL server of one test's own: a cluster made
// by initdb in a temporary directory, served on a free loopback port, which
// the test may stop (a database outage) and start again on the same port
// and data. Fault tests use it; they never touch the machine's shared
// PostgreSQL.
//
// initdb and postgres refuse to run as root, so under root both run as the
// "postgres" user (Debian's packages create it), in a directory owned by
// that user; the test skips when there is none, or fails under
// CAMPFIRE_TEST_STRICT=1.
type PostgresServer struct {
	t    testing.TB
	bin  string // the directory holding initdb and postgres
	dir  string // the cluster's data directory, also its socket directory
	port int
	cred *syscall.Credential // nil: run as ourselves

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *lockedLog
}

// StartPostgres makes a fresh cluster (superuser "postgres", trust
// authentication, fsync off), starts it and stops it when t ends.
//
// The programs come from CAMPFIRE_TEST_PG_BIN (a directory) when set, else
// from the newest /usr/lib/postgresql/*/bin (Debian), else from PATH.
func StartPostgres(t testing.TB) *PostgresServer {
	t.Helper()
	p := &PostgresServer{t: t, bin: postgresBin(t), log: &lockedLog{}}
	if os.Geteuid() == 0 {
		p.cred = postgresUser(t)
	}
	// Not t.TempDir(): its parents are 0700 root, which the postgres user
	// could not traverse.
	dir, err := os.MkdirTemp("", "campfire-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if p.cred != nil {
		if err := os.Chown(dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			t.Fatalf("handing %s to the postgres user: %v", dir, err)
		}
	}
	p.dir = filepath.Join(dir, "data")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	p.port = l.Addr().(*net.TCPAddr).Port
	l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	initdb := exec.CommandContext(ctx, filepath.Join(p.bin, "initdb"), "-D", p.dir,
		"-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.Start()
	t.Cleanup(p.Stop)
	return p
}

// Port is the port the server listens on (the same across restarts).
func (p *PostgresServer) Port() int { return p.port }

// URL is a postgres:// URL of the server's "postgres" database.
func (p *PostgresServer) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// Start starts the server (again) and waits until it accepts queries. It
// fails the test after 30 s.
func (p *PostgresServer) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		p.t.Fatal("postgres is already running")
	}
	cmd := exec.Command(filepath.Join(p.bin, "postgres"), "-D", p.dir,
		"-p", strconv.Itoa(p.port), "-k", p.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "log_min_messages=warning")
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = p.log, p.log
	// Pdeathsig, so no server outlives a test binary that died; Go sets it
	// after switching user, which would otherwise clear it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Pdeathsig: syscall.SIGQUIT}
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("starting postgres: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.cmd, p.done = cmd, done

	deadline := time.Now().Add(30 * time.Second)
	for !p.ready() {
		select {
		case <-done:
			p.cmd = nil
			p.t.Fatalf("postgres exited before accepting connections:\n%s", p.log.tail(4<<10))
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("postgres on port %d did not accept queries within 30s:\n%s", p.port, p.log.tail(4<<10))
		}
		time.Sleep(20 * time.Millisecond) // polling a process we do not control
	}
}

// Stop shuts the server down the fast way (SIGINT: open sessions are
// ended at once, as in a failover or a crash seen from the clients, and
// nothing committed is lost) and waits for it to exit. Stopping a stopped
// server does nothing.
func (p *PostgresServer) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd = nil
}

// Log returns the last n bytes the server wrote.
func (p *PostgresServer) Log(n int) string { return p.log.tail(n) }

func (p *PostgresServer) ready() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx) == nil
}

// postgresBin finds the directory holding initdb and postgres.
func postgresBin(t testing.TB) string {
	t.Helper()
	return filepath.Dir(PostgresTool(t, "initdb"))
}

// PostgresTool finds one of PostgreSQL's programs (initdb, pg_dump, …): in
// CAMPFIRE_TEST_PG_BIN, else the newest /usr/lib/postgresql/*/bin (Debian
// keeps them off PATH), else on PATH. Missing, it skips, or fails when
// CAMPFIRE_TEST_STRICT=1.
func PostgresTool(t testing.TB, name string) string {
	t.Helper()
	if d := os.Getenv("CAMPFIRE_TEST_PG_BIN"); d != "" {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("CAMPFIRE_TEST_PG_BIN=%s: %v", d, err)
		}
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	if len(matches) > 0 {
		return matches[0]
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	msg := name + " is not installed (not in /usr/lib/postgresql/*/bin or on PATH, CAMPFIRE_TEST_PG_BIN unset)"
	if Strict() {
		t.Fatal(msg + " and CAMPFIRE_TEST_STRICT=1")
	}
	t.Skip(msg + ": skipping")
	return ""
}

// version is the major version in a /usr/lib/postgresql/N/bin path.
func version(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// postgresUser is the credential of the "postgres" user, for running
// PostgreSQL's programs when we are root.
func postgresUser(t testing.TB) *syscall.Credential {
	t.Helper()
	u, err := user.Lookup("postgres")
	if err != nil {
		msg := "running as root, and initdb refuses root, but there is no postgres user to run it as: " + err.Error()
		if Strict() {
			t.Fatal(msg)
		}
		t.Skip(msg + ": skipping")
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		t.Fatalf("the postgres user has uid %q, gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
}

// lockedLog keeps what a child process writes, for failure messages.
type lockedLog struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if len(l.b) > 64<<10 {
		l.b = append(l.b[:0], l.b[len(l.b)-32<<10:]...)
	}
	return len(p), nil
}

func (l *lockedLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.b
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
