package app_test

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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles cmd/campfire once per test run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "campfire-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "campfire")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/campfire").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

type proc struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
	done   chan error
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start runs the binary on dir's database and waits until /up answers.
func start(t *testing.T, dir string, port int) *proc {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{stderr: &bytes.Buffer{}, done: make(chan error, 1), base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "BIND=127.0.0.1", "BCRYPT_COST=4",
		"DATABASE_URL=sqlite://data/campfire.db", "STORAGE_PATH=data")
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(p.base + "/up")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("campfire exited before serving: %v\n%s", err, p.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("campfire did not answer /up within 15s\n%s", p.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and checks the process exits 0 within the contract's 10 s.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("campfire did not exit within 10s of SIGTERM\n%s", p.stderr)
	}
}

func call(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestDataSurvivesRestart drives the real binary: set up, post, SIGTERM,
// start again on the same files, and read the message back.
func TestDataSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	port := freePort(t)
	p := start(t, dir, port)

	status, setup := call(t, "POST", p.base+"/api/v1/setup", "", map[string]string{
		"account_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": "correct horse",
	})
	if status != 201 {
		t.Fatalf("setup: %d %v", status, setup)
	}
	token, _ := setup["token"].(string)
	status, rooms := call(t, "GET", p.base+"/api/v1/rooms", token, nil)
	list, _ := rooms["rooms"].([]any)
	if status != 200 || len(list) != 1 {
		t.Fatalf("rooms: %d %v", status, rooms)
	}
	roomID := int64(list[0].(map[string]any)["id"].(float64))
	msgURL := fmt.Sprintf("%s/api/v1/rooms/%d/messages", p.base, roomID)
	if status, m := call(t, "POST", msgURL, token, map[string]string{"body": "hello **world**", "client_message_id": "c1"}); status != 201 {
		t.Fatalf("post: %d %v", status, m)
	}
	p.stop(t)

	p = start(t, dir, port)
	defer p.stop(t)
	status, msgs := call(t, "GET", msgURL, token, nil)
	ms, _ := msgs["messages"].([]any)
	if status != 200 || len(ms) != 1 {
		t.Fatalf("after restart: %d %v", status, msgs)
	}
	m := ms[0].(map[string]any)
	if m["body"] != "hello **world**" || !strings.Contains(m["body_html"].(string), "<strong>world</strong>") || m["seq"].(float64) != 1 {
		t.Fatalf("message after restart = %v", m)
	}
	if status, _ := call(t, "POST", p.base+"/api/v1/setup", "", map[string]string{
		"account_name": "Again", "name": "Eve", "email": "eve@example.com", "password": "correct horse",
	}); status != 409 {
		t.Fatalf("second setup after restart: %d, want 409", status)
	}
}

// TestInvalidConfigExits checks a bad setting stops the binary at once with
// one clear line.
func TestInvalidConfigExits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "DATABASE_URL=mysql://localhost/x")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("exit 0 with an unsupported DATABASE_URL")
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "DATABASE_URL") {
		t.Fatalf("want one line naming DATABASE_URL, got:\n%s", out)
	}
}

// TestBackupWhileServing takes an online backup of a running server's
// database and checks the copy serves the same data.
func TestBackupWhileServing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	p := start(t, dir, freePort(t))
	status, setup := call(t, "POST", p.base+"/api/v1/setup", "", map[string]string{
		"account_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": "correct horse",
	})
	if status != 201 {
		t.Fatalf("setup: %d %v", status, setup)
	}
	bin, _ := buildBinary()
	cmd := exec.Command(bin, "backup", filepath.Join(dir, "copy.db"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DATABASE_URL=sqlite://data/campfire.db", "STORAGE_PATH=data")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	p.stop(t)

	copyDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(copyDir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "copy.db"), filepath.Join(copyDir, "data", "campfire.db")); err != nil {
		t.Fatal(err)
	}
	q := start(t, copyDir, freePort(t))
	defer q.stop(t)
	if status, _ := call(t, "POST", q.base+"/api/v1/session", "", map[string]string{"email": "ada@example.com", "password": "correct horse"}); status != 201 {
		t.Fatalf("sign in on the restored copy: %d", status)
	}
}

// TestAdminCommands runs the operator subcommands against a real database.
func TestAdminCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DATABASE_URL=sqlite://data/campfire.db", "STORAGE_PATH=data", "BCRYPT_COST=4")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("version"); err != nil || !strings.HasPrefix(out, "campfire ") {
		t.Fatalf("version: %q %v", out, err)
	}
	if out, err := run("migrate"); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %q %v", out, err)
	}
	if out, err := run("bogus"); err == nil || !strings.Contains(out, `unknown command "bogus"`) {
		t.Fatalf("unknown command: %q %v", out, err)
	}

	p := start(t, dir, freePort(t))
	status, _ := call(t, "POST", p.base+"/api/v1/setup", "", map[string]string{
		"account_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": "correct horse",
	})
	if status != 201 {
		t.Fatalf("setup: %d", status)
	}
	out, err := run("admin", "reset-password", "ADA@example.com")
	if err != nil {
		t.Fatalf("reset-password: %v\n%s", err, out)
	}
	_, pw, ok := strings.Cut(strings.TrimSpace(out), ": ")
	if !ok || len(pw) < 12 {
		t.Fatalf("reset-password printed %q", out)
	}
	if status, _ := call(t, "POST", p.base+"/api/v1/session", "", map[string]string{"email": "ada@example.com", "password": "correct horse"}); status != 401 {
		t.Fatalf("old password still works: %d", status)
	}
	status, sess := call(t, "POST", p.base+"/api/v1/session", "", map[string]string{"email": "ada@example.com", "password": pw})
	if status != 201 {
		t.Fatalf("new password refused: %d", status)
	}
	if out, err := run("admin", "reset-password", "nobody@example.com"); err == nil {
		t.Fatalf("reset-password for an unknown email succeeded: %s", out)
	}
	if status, _ := call(t, "POST", p.base+"/api/v1/bans", sess["token"].(string), map[string]string{"ip": "203.0.113.7"}); status != 204 {
		t.Fatalf("ban: %d", status)
	}
	if out, err := run("admin", "unban", "203.0.113.7"); err != nil || !strings.Contains(out, "no longer banned") {
		t.Fatalf("unban: %v\n%s", err, out)
	}
	if out, err := run("admin", "unban", "203.0.113.7"); err == nil {
		t.Fatalf("unbanning an address that is not banned succeeded: %s", out)
	}

	out, err = run("admin", "create-bot", "Deploy Bot")
	if err != nil {
		t.Fatalf("create-bot: %v\n%s", err, out)
	}
	i := strings.Index(out, "key: ")
	if i < 0 {
		t.Fatalf("create-bot printed %q", out)
	}
	key := strings.TrimSpace(out[i+len("key: "):])
	_, rooms := call(t, "GET", p.base+"/api/v1/rooms", sess["token"].(string), nil)
	roomID := int64(rooms["rooms"].([]any)[0].(map[string]any)["id"].(float64))
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/rooms/%d/%s/messages", p.base, roomID, key), strings.NewReader("deployed v1.2"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("Location") == "" {
		t.Fatalf("bot post with the printed key: %d (Location %q)", resp.StatusCode, resp.Header.Get("Location"))
	}
	p.stop(t)
}
