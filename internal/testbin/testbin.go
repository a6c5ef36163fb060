// Package testbin runs the real campfire binary for end-to-end tests: it
// builds cmd/campfire once per test process (or uses CAMPFIRE_BIN), serves a
// temporary directory on a free loopback port, and stops it the way an
// operator does, with SIGTERM. Only tests import it.
package testbin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/testenv"
)

// Build compiles cmd/campfire once per test process and returns its path.
var Build = sync.OnceValues(func() (string, error) {
	if bin := os.Getenv("CAMPFIRE_BIN"); bin != "" {
		return bin, nil
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	dir, err := os.MkdirTemp("", "campfire-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "campfire")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/campfire")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/campfire: %v\n%s", err, out)
	}
	return bin, nil
})

// Env is the environment every test server gets on top of the process's:
// a SQLite database and files under the server's directory, fast bcrypt.
var Env = []string{"BIND=127.0.0.1", "BCRYPT_COST=4", "DATABASE_URL=sqlite://data/campfire.db", "STORAGE_PATH=data"}

// Server is the binary serving Dir on Port.
type Server struct {
	Dir  string
	Port int
	Base string // http://127.0.0.1:PORT
	// Extra environment, after Env.
	Extra []string

	t      testing.TB
	cmd    *exec.Cmd
	done   chan error
	stderr *lockedBuffer
}

// FreePort returns a loopback port nothing listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// New prepares a server for dir on a free port without starting it. On
// the backends testenv.Backend names: with postgres+redis the server gets
// a fresh schema and Redis prefix of its own (extra can still override
// them, e.g. to start a second instance on the same ones).
func New(t testing.TB, dir string, extra ...string) *Server {
	extra = append(backendEnv(t, dir), extra...)
	port := FreePort(t)
	s := &Server{Dir: dir, Port: port, Base: fmt.Sprintf("http://127.0.0.1:%d", port), Extra: extra,
		t: t, stderr: &lockedBuffer{}}
	t.Cleanup(func() {
		if s.running() {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("server log (last 8 KB):\n%s", s.Log(8<<10))
		}
	})
	return s
}

// Start starts a server on dir and waits until it serves.
func Start(t testing.TB, dir string, extra ...string) *Server {
	s := New(t, dir, extra...)
	s.Start()
	return s
}

// Bind makes later failures report to t (a subtest of the one that
// started the server).
func (s *Server) Bind(t testing.TB) { s.t = t }

func (s *Server) running() bool { return s.cmd != nil && s.cmd.ProcessState == nil }

// Start runs the binary (again) and waits until /up answers.
func (s *Server) Start() {
	t := s.t
	t.Helper()
	bin, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	s.done = make(chan error, 1)
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Dir = s.Dir
	s.cmd.Env = append(append(append(os.Environ(), Env...), fmt.Sprintf("PORT=%d", s.Port)), s.Extra...)
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd, done := s.cmd, s.done
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if resp, err := http.Get(s.Base + "/up"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("campfire exited before serving: %v\n%s", err, s.Log(8<<10))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("campfire did not answer /up within 15s\n%s", s.Log(8<<10))
		}
		time.Sleep(25 * time.Millisecond) // polling a process we do not control
	}
}

// Stop sends SIGTERM and checks the process exits 0 within the contract's
// 10 s.
func (s *Server) Stop() {
	t := s.t
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, s.Log(8<<10))
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("campfire did not exit within 10s of SIGTERM\n%s", s.Log(8<<10))
	}
}

// Log returns the last n bytes the server wrote to stderr.
func (s *Server) Log(n int) string {
	out := s.stderr.String()
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}

// Call sends a JSON request (body nil for none) with an optional bearer
// token and returns the status and decoded JSON object.
func (s *Server) Call(method, path, token string, body any) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.Base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// Run runs a campfire subcommand on dir's database and returns its output.
func Run(t testing.TB, dir string, args ...string) (string, error) {
	return RunEnv(t, dir, nil, args...)
}

// RunEnv is Run with extra environment (after Env, so it wins). It gives
// up after a minute: a subcommand that serves instead of exiting is a bug.
func RunEnv(t testing.TB, dir string, extra []string, args ...string) (string, error) {
	t.Helper()
	bin, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(append(os.Environ(), Env...), backendEnv(t, dir)...), extra...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// backends remembers, per server directory, the database and Redis prefix
// testenv made for it, so every server and subcommand run in one directory
// shares them as they share a SQLite file there.
var backends sync.Map // dir → []string

// backendEnv is the environment that puts a server in dir on the backends
// testenv.Backend names (nothing extra for SQLite, which Env covers).
func backendEnv(t testing.TB, dir string) []string {
	if testenv.Backend() == "sqlite" {
		return nil
	}
	if env, ok := backends.Load(dir); ok {
		return env.([]string)
	}
	cfg := testenv.Config(t)
	env, _ := backends.LoadOrStore(dir, []string{
		"DATABASE_URL=" + cfg.DatabaseURL, "REDIS_URL=" + cfg.RedisURL,
		"REDIS_PREFIX=" + cfg.RedisPrefix, "SECRET_KEY_BASE=" + cfg.SecretKeyBase,
	})
	t.Cleanup(func() { backends.Delete(dir) })
	return env.([]string)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
