package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/campfire-go/campfire/internal/testbin"
)

// The browser tests drive the real binary (built from cmd/campfire, or
// CAMPFIRE_BIN) on a temporary SQLite database with headless Chromium from
// CAMPFIRE_CHROMIUM or /usr/bin/chromium. Without Chromium they skip,
// unless CAMPFIRE_TEST_STRICT=1 (CI), where they fail.

func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	path := os.Getenv("CAMPFIRE_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("no Chromium at %s (set CAMPFIRE_CHROMIUM, or apt-get install chromium)", path)
		if os.Getenv("CAMPFIRE_TEST_STRICT") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// server is the campfire binary serving a temporary directory.
type server struct {
	*testbin.Server
	t *testing.T
}

func startServer(t *testing.T) *server {
	t.Helper()
	return &server{Server: testbin.Start(t, t.TempDir(), "LOG_LEVEL=warn"), t: t}
}

// bind makes the server's failures report to a subtest.
func (s *server) bind(t *testing.T) {
	s.t = t
	s.Server.Bind(t)
}

// api calls the JSON API with a bearer token and fails on an error status.
func (s *server) api(method, path, token string, body any) map[string]any {
	s.t.Helper()
	status, out := s.Call(method, path, token, body)
	if status >= 300 {
		s.t.Fatalf("%s %s: %d %v", method, path, status, out)
	}
	return out
}

// signIn returns an API token for a person.
func (s *server) signIn(email string) string {
	s.t.Helper()
	out := s.api("POST", "/api/v1/session", "", map[string]string{"email": email, "password": password})
	return out["token"].(string)
}

func (s *server) post(token string, roomID int64, body string) int64 {
	s.t.Helper()
	out := s.api("POST", fmt.Sprintf("/api/v1/rooms/%d/messages", roomID), token, map[string]string{"body": body})
	return int64(out["id"].(float64))
}

const password = "correct horse"

// tab is one person's browser: its own Chromium process and profile.
type tab struct {
	t       *testing.T // the (sub)test the tab works for now
	root    *testing.T
	name    string
	srv     *server
	ctx     context.Context
	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

func openTab(t *testing.T, srv *server, name string) *tab {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium for %s: %v", name, err)
	}
	b := &tab{t: t, root: t, name: name, srv: srv, ctx: ctx}
	b.listen()
	return b
}

// sibling opens another tab in the same browser: the same person, signed
// in, on a second screen.
func (b *tab) sibling(name string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.root.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("opening a tab for %s: %v", name, err)
	}
	nb := &tab{t: b.t, root: b.root, name: name, srv: b.srv, ctx: ctx}
	nb.listen()
	return nb
}

// listen collects the page's console for checkConsole.
func (b *tab) listen() {
	messages := chromedp.Console(b.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	b.root.Cleanup(b.checkConsole)
}

// checkConsole fails the test on an uncaught exception or a Content
// Security Policy violation in the page.
func (b *tab) checkConsole() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Refused to") {
			b.root.Errorf("%s's page logged: %s", b.name, m.Text)
		}
	}
}

// run does the steps with a deadline.
func (b *tab) run(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v\n%s", b.name, err, b.snapshot())
	}
}

func (b *tab) open(path string) {
	b.t.Helper()
	b.run(chromedp.Navigate(b.srv.Base + path))
}

// eval runs JavaScript in the page and decodes its value.
func eval[T any](b *tab, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: evaluating %s: %v", b.name, js, err)
	}
	return v
}

// waitFor polls a JavaScript condition in the page until it holds, and
// returns how long that took. A navigation in the middle (a form that was
// just submitted) restarts the poll in the new page.
func (b *tab) waitFor(cond string, d time.Duration) time.Duration {
	b.t.Helper()
	start := time.Now()
	deadline := start.Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			b.t.Fatalf("%s: waited %s for %s\n%s", b.name, d, cond, b.snapshot())
		}
		ctx, cancel := context.WithTimeout(b.ctx, left+2*time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+cond+")",
			chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(left)))
		cancel()
		if err == nil {
			return time.Since(start)
		}
		msg := err.Error()
		if !strings.Contains(msg, "navigated") && !strings.Contains(msg, "context was destroyed") &&
			!strings.Contains(msg, "Cannot find context") && !strings.Contains(msg, "uniqueContextId") {
			b.t.Fatalf("%s: waited %s for %s: %v\n%s", b.name, d, cond, err, b.snapshot())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// snapshot describes the page for a failure message.
func (b *tab) snapshot() string {
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.body ? document.body.innerText.slice(0, 3000) : "")`))
	if err != nil {
		return "(no snapshot: " + err.Error() + ")"
	}
	return "page " + s
}

// typeIn types text into a field.
func (b *tab) typeIn(sel, text string) {
	b.t.Helper()
	b.run(chromedp.Focus(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// fill sets form fields by CSS selector, then submits the form of the last.
func (b *tab) fill(fields map[string]string, submit string) {
	b.t.Helper()
	steps := []chromedp.Action[chromedp.Void]{}
	for sel, v := range fields {
		steps = append(steps, chromedp.SetValue(chromedp.CSS(sel), v))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(submit)))
	b.run(steps...)
}

// key presses a key the way a person does: keydown then keyup, with no
// char event, so a handler that acts on keydown sees exactly one press.
func key(name string, code int64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
				Type: typ, Key: name, Code: name, WindowsVirtualKeyCode: code, NativeVirtualKeyCode: code,
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

var (
	enter   = key("Enter", 13)
	arrowUp = key("ArrowUp", 38)
	// activate is Enter on a focused button, char event and all, which is
	// what makes a button click.
	activate = chromedp.KeyEvent("\r")
)

// send types a message into the composer and presses Enter.
func (b *tab) send(text string) {
	b.t.Helper()
	b.typeIn("#composer-body", text)
	b.run(enter)
}

// jsString quotes s for JavaScript source.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// messageWithBody is a JS expression: the settled message element whose
// source is body, or null.
func messageWithBody(body string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#message-list > .message")].find(m => m.dataset.body === %s && m.dataset.messageId)`, jsString(body))
}

// countBody is a JS expression: how many elements show a message with body.
func countBody(body string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#message-list > .message")].filter(m => m.dataset.body === %s).length`, jsString(body))
}
