package ui_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"
)

// The installable app in a real browser: the manifest is linked, valid and
// its icons load; the service worker registers and controls the page, and
// shows a push as a notification; with the server gone, a page opens as the
// offline shell with its banner.
func TestBrowserInstallableApp(t *testing.T) {
	srv := startServer(t)
	srv.api("POST", "/api/v1/setup", "", map[string]string{
		"account_name": "Acme Works", "name": "Ada Admin", "email": "ada@example.com", "password": password,
	})
	ada := openTab(t, srv, "Ada")
	ada.open("/session/new")
	ada.fill(map[string]string{`input[name=email]`: "ada@example.com", `input[name=password]`: password}, `button[type=submit]`)
	ada.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)

	// The manifest: linked, JSON, named after the account, icons that load.
	manifest := eval[map[string]any](ada, `(async () => {
		const href = document.querySelector('link[rel="manifest"]').href;
		const m = await (await fetch(href)).json();
		m.iconsLoaded = [];
		for (const icon of m.icons) {
			const img = new Image();
			img.src = icon.src;
			await img.decode();
			m.iconsLoaded.push(icon.sizes + " " + icon.purpose + " " + img.naturalWidth);
		}
		return m;
	})()`)
	if manifest["name"] != "Acme Works" || manifest["display"] != "standalone" || manifest["start_url"] != "/" {
		t.Fatalf("manifest %v", manifest)
	}
	loaded := strings.Join(toStrings(manifest["iconsLoaded"]), ", ")
	for _, want := range []string{"192x192 any 192", "512x512 any 512", "512x512 maskable 512"} {
		if !strings.Contains(loaded, want) {
			t.Fatalf("icons loaded: %s; want %q", loaded, want)
		}
	}
	if eval[string](ada, `document.querySelector('meta[name="theme-color"]').content`) == "" {
		t.Fatal("no theme-color")
	}

	// The service worker installs (caching the shell) and, after a
	// reload, controls the page.
	ada.waitFor(`!!navigator.serviceWorker.controller`, 10*time.Second) // clients.claim() on activate
	ada.run(chromedp.Reload())
	ada.waitFor(`!!navigator.serviceWorker.controller && !!document.querySelector("#composer-body")`, 10*time.Second)
	caches := eval[[]string](ada, `caches.keys()`)
	if len(caches) != 1 || !strings.HasPrefix(caches[0], "campfire-shell-") {
		t.Fatalf("caches %v", caches)
	}
	// Only the shell is cached: no page of Ada's, no API answer.
	cached := eval[[]string](ada, `(async () => (await (await caches.open((await caches.keys())[0])).keys()).map(r => new URL(r.url).pathname))()`)
	for _, p := range cached {
		if p != "/offline" && !strings.HasPrefix(p, "/assets/") {
			t.Fatalf("cached %s; only /offline and /assets/ may be", p)
		}
	}
	// The bell offers notifications (headless Chromium has push APIs).
	ada.waitFor(`!!document.querySelector(".room__tools .push-offer")`, 5*time.Second)
	// It is an icon button with a name: a text button pushed the room's
	// name out of a phone's header.
	if got := eval[string](ada, `(() => { const b = document.querySelector(".room__tools .push-offer"); return b.textContent.trim() + "|" + b.getAttribute("aria-label") + "|" + !!b.querySelector("svg use[href$='#bell-plus']"); })()`); got != "|Turn on notifications for this browser|true" {
		t.Fatalf("push offer %q; want an icon button named \"Turn on notifications for this browser\"", got)
	}

	// A push reaches the worker (delivered by DevTools as a push service
	// would, already decrypted) and shows as a notification.
	regs := make(chan serviceworker.RegistrationID, 16)
	if err := chromedp.Listen(ada.ctx, func(ev any) {
		if e, ok := ev.(*serviceworker.EventWorkerRegistrationUpdated); ok {
			for _, r := range e.Registrations {
				if !r.IsDeleted && strings.HasPrefix(r.ScopeURL, srv.Base) {
					select {
					case regs <- r.RegistrationID:
					default:
					}
				}
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.CallBrowser(ada.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "notifications"}, Setting: "granted", Origin: srv.Base,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ada.ctx, serviceworker.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	var reg serviceworker.RegistrationID
	select {
	case reg = <-regs:
	case <-time.After(10 * time.Second):
		t.Fatal("DevTools reported no service worker registration")
	}
	payload := `{"title":"All Talk","body":"Bea Member: are you there?","path":"/rooms/1/@7","badge":2,"room_id":1,"message_id":7}`
	deliver := func() {
		if _, err := chromedp.Call(ada.ctx, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{
			Origin: srv.Base, RegistrationID: reg, Data: payload,
		}); err != nil {
			t.Fatal(err)
		}
	}
	deliver()
	shown := `navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.map(n => n.title + "|" + n.body + "|" + n.data.path + "|" + n.tag))`
	// A push delivered while the worker is still starting can be lost on a
	// loaded machine (as a push service would retry, so does the test; the
	// per-room tag makes a repeat replace, not add).
	deadline, redeliver := time.Now().Add(30*time.Second), time.Now().Add(5*time.Second)
	for {
		if time.Now().After(redeliver) {
			deliver()
			redeliver = time.Now().Add(5 * time.Second)
		}
		got := eval[[]string](ada, shown)
		if slices.Contains(got, "All Talk|Bea Member: are you there?|/rooms/1/@7|room-1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifications shown: %v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Signing out with notifications allowed still signs out (push.js
	// unsubscribes the browser first, when it holds a subscription).
	ada.run(chromedp.Click(chromedp.CSS(`form[action="/session/delete"] button`)))
	ada.waitFor(`location.pathname === "/session/new"`, 5*time.Second)

	// The server goes away: a page still opens, as the offline shell.
	srv.Stop()
	ada.run(chromedp.Navigate(srv.Base + "/rooms/1"))
	ada.waitFor(`document.body.dataset.page === "offline" && !document.querySelector("#offline-notice").hidden && getComputedStyle(document.querySelector("#offline-notice")).display !== "none"`, 10*time.Second)
	if h := eval[string](ada, `document.querySelector("h1").textContent`); h != "Acme Works" {
		t.Fatalf("offline shell names %q", h)
	}
	// The shell is styled from the cache (.offline is a flex row in style.css).
	if d := eval[string](ada, `getComputedStyle(document.querySelector("#offline-notice")).display`); d != "flex" {
		t.Fatalf("the offline banner's display is %q: the stylesheet did not load", d)
	}
}

func toStrings(v any) []string {
	var out []string
	if vs, ok := v.([]any); ok {
		for _, x := range vs {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
