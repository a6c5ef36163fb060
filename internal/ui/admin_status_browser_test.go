package ui_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/testbin"
)

// TestBrowserAdminStatus: an admin finds Status among the admin tabs and
// sees the active alert and four charts of the last hour, drawn under the
// page's CSP (checkConsole fails on a violation), with their values as
// text, in light and dark mode.
func TestBrowserAdminStatus(t *testing.T) {
	chromiumPath(t)
	// Only the connections alert may fire: a loaded machine under -race
	// serves pages slowly enough to trip the default response time.
	srv := &server{Server: testbin.Start(t, t.TempDir(), "LOG_LEVEL=warn", "MONITOR_INTERVAL=100ms",
		"ALERT_MAX_CONNECTIONS=1", "ALERT_MAX_RESPONSE_TIME=1m"), t: t}
	srv.api("POST", "/api/v1/setup", "", map[string]string{
		"account_name": "Acme", "name": "Ada Admin", "email": "ada@example.com", "password": password,
	})
	token := srv.signIn("ada@example.com")
	// Two sockets: over the threshold of one.
	url := "ws" + strings.TrimPrefix(srv.Base, "http") + "/api/v1/cable"
	for range 2 {
		ws, _, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial(url, http.Header{"Authorization": {"Bearer " + token}})
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := srv.api("GET", "/api/v1/admin/status", token, nil)
		alerts, _ := st["alerts"].([]any)
		if len(alerts) == 5 && alerts[2].(map[string]any)["active"] == true {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no alert: %v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}

	ada := openTab(t, srv, "Ada")
	ada.open("/session/new")
	ada.fill(map[string]string{`input[name=email]`: "ada@example.com", `input[name=password]`: password}, `button[type=submit]`)
	ada.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)
	ada.open("/account/users")
	ada.run(chromedp.Click(chromedp.CSS(`.tabs a[href="/account/status"]`)))
	ada.waitFor(`location.pathname === "/account/status" && document.querySelector("[data-status]")?.dataset.statusLoaded === "true"`, 5*time.Second)
	if cur := eval[string](ada, `document.querySelector(".tabs a[aria-current=page]").textContent`); cur != "Status" {
		t.Errorf("current tab %q", cur)
	}
	alert := eval[string](ada, `document.querySelector('[data-alert="too_many_connections"].status-alert--active')?.textContent ?? ""`)
	if !strings.Contains(alert, "Alert since") || !strings.Contains(alert, "(threshold 1)") {
		t.Errorf("connections alert reads %q", alert)
	}
	if ok := eval[string](ada, `document.querySelector('[data-alert="slow_response"]').textContent`); !strings.Contains(ok, "OK") {
		t.Errorf("response time reads %q", ok)
	}
	ada.waitFor(`document.querySelectorAll(".status-chart svg[role=img][aria-label]").length === 4`, 5*time.Second)
	for _, key := range []string{"connections", "posts", "p99", "memory"} {
		label := eval[string](ada, `document.querySelector('[data-chart="`+key+`"] svg').getAttribute("aria-label")`)
		now := eval[string](ada, `document.querySelector('[data-chart="`+key+`"] [data-chart-now]').textContent`)
		if !strings.Contains(label, "over the last ") || !strings.HasPrefix(now, "now ") {
			t.Errorf("%s chart: label %q, text %q", key, label, now)
		}
	}
	// Our two sockets, and the page's own when it keeps one.
	if now := eval[string](ada, `document.querySelector('[data-chart="connections"] [data-chart-now]').textContent`); !regexp.MustCompile(`^now [23] \(threshold 1\)$`).MatchString(now) {
		t.Errorf("connections now %q", now)
	}

	// Dark mode: the charts take the dark palette's accent.
	stroke := func() string {
		return eval[string](ada, `getComputedStyle(document.querySelector(".status-chart__line")).stroke`)
	}
	light := stroke()
	ada.run(chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
		_, err := cdp.Call(ctx, tt, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		return err
	}))
	if dark := stroke(); dark == light || dark != "rgb(127, 176, 255)" {
		t.Errorf("chart line in dark mode %q (light %q)", dark, light)
	}

	// Screenshots, to look at: light and dark.
	dir, err := os.MkdirTemp("", "campfire-status-")
	if err != nil {
		t.Fatal(err)
	}
	for _, scheme := range []string{"dark", "light"} {
		ada.run(chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tt, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
			return err
		}))
		png, err := chromedp.Run(ada.ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "status-"+scheme+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
}
