package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/campfire-go/campfire/internal/testbin"
)

// axeTags are the rule sets the pages must pass: WCAG 2.1 A and AA.
const axeTags = `["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]`

var axeSource = sync.OnceValues(func() ([]byte, error) { return os.ReadFile("testdata/axe.min.js") })

// screen is how a page is looked at: a desktop window or a phone, light or
// dark.
type screen struct {
	name        string
	phone, dark bool
}

var screens = []screen{
	{"desktop light", false, false},
	{"desktop dark", false, true},
	{"phone light", true, false},
	{"phone dark", true, true},
}

// emulate makes the tab a desktop window or a phone (390 × 844, touch:
// a coarse pointer and no hover), in the light or dark scheme.
func (b *tab) emulate(s screen) {
	b.t.Helper()
	w, h := int64(1280), int64(800)
	opts := []chromedp.EmulateViewportOption{}
	if s.phone {
		w, h = 390, 844
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(1))
	}
	scheme := "light"
	if s.dark {
		scheme = "dark"
	}
	b.run(chromedp.EmulateViewport(w, h, opts...), chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
		_, err := cdp.Call(ctx, tt, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	}))
}

// axeViolation is one failed rule on a page.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Count  int      `json:"count"`
	Nodes  []string `json:"nodes"`
}

// axe runs axe-core in the page as it is now and returns its WCAG 2.1 AA
// violations. The script goes in through the DevTools protocol, which the
// page's Content Security Policy does not govern.
func (b *tab) axe() []axeViolation {
	b.t.Helper()
	src, err := axeSource()
	if err != nil {
		b.t.Fatalf("axe-core: %v", err)
	}
	if !eval[bool](b, `typeof window.axe === "object"`) {
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](string(src))); err != nil {
			b.t.Fatalf("%s: loading axe-core: %v", b.name, err)
		}
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	// WCAG 2.1 AA, and 2.2's target-size besides (Lighthouse's complaint
	// about the author link beside a mention).
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`(async () => {
		const opts = { resultTypes: ["violations"] };
		const r = await axe.run(document, { ...opts, runOnly: { type: "tag", values: `+axeTags+` } });
		const t = await axe.run(document, { ...opts, runOnly: { type: "rule", values: ["target-size"] } });
		return r.violations.concat(t.violations).map(v => ({ id: v.id, impact: v.impact || "", help: v.help, count: v.nodes.length,
			nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " ").slice(0, 240)) }));
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: running axe-core: %v", b.name, err)
	}
	return v
}

// a11yPage is a page to check and what says it is ready.
type a11yPage struct {
	name, path string
	ready      string // a JS condition; "" for a plain page
	prep       string // JS run before checking (opens a menu, a picker…)
}

// TestAccessibility checks every page with axe-core (WCAG 2.1 A and AA) on
// a desktop and a phone, light and dark, with the room full of what a day
// brings: mentions, boosts, code, links, quotes.
func TestAccessibility(t *testing.T) {
	chromiumPath(t)
	// A linked site on loopback, so a message gets a preview card (the
	// binary may fetch from it only because the test says so).
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/card.png" {
			card := image.NewRGBA(image.Rect(0, 0, 400, 200))
			for i := range card.Pix {
				card.Pix[i] = 0x90
			}
			w.Header().Set("Content-Type", "image/png")
			_ = png.Encode(w, card)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><meta property="og:title" content="Deploying on Fridays">
			<meta property="og:description" content="Why not, with a rollback plan.">
			<meta property="og:site_name" content="Example News">
			<meta property="og:image" content="/card.png"></head></html>`)
	}))
	t.Cleanup(site.Close)
	srv := &server{Server: testbin.Start(t, t.TempDir(), "LOG_LEVEL=warn", "CAMPFIRE_TEST_UNFURL_ALLOW=127.0.0.1/32"), t: t}
	visitor := openTab(t, srv, "Visitor")
	ada := openTab(t, srv, "Ada")

	failures := map[string]int{} // page → violations (rules × screens)
	var order []string
	checkAll := func(b *tab, pages []a11yPage) {
		t.Helper()
		for _, s := range screens {
			b.emulate(s)
			for _, p := range pages {
				b.open(p.path)
				b.waitFor(`document.readyState === "complete"`+and(p.ready), 5*time.Second)
				if p.prep != "" {
					b.run(chromedp.Evaluate[chromedp.Void](p.prep))
					b.waitFor(`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, 2*time.Second)
				}
				if _, seen := failures[p.name]; !seen {
					order = append(order, p.name)
					failures[p.name] = 0
				}
				for _, v := range b.axe() {
					failures[p.name]++
					t.Errorf("%s, %s (%s): %s [%s] on %d element(s): %s\n\t%s", p.name, s.name, p.path, v.ID, v.Impact, v.Count, v.Help, strings.Join(v.Nodes, "\n\t"))
				}
			}
		}
	}

	checkAll(visitor, []a11yPage{{name: "first run", path: "/first_run"}})

	// The account and its people, by the API.
	out := srv.api("POST", "/api/v1/setup", "", map[string]string{"account_name": "Acme", "name": "Ada Admin",
		"email": "ada@example.com", "password": password})
	adaToken := out["token"].(string)
	code := srv.api("GET", "/api/v1/account", adaToken, nil)["join_code"].(string)
	bea := srv.api("POST", "/api/v1/join/"+code, "", map[string]string{"name": "Bea Member", "email": "bea@example.com", "password": password})
	beaToken := bea["token"].(string)
	beaID := int64(bea["user"].(map[string]any)["id"].(float64))
	cy := srv.api("POST", "/api/v1/join/"+code, "", map[string]string{"name": "Cy Nobody", "email": "cy@example.com", "password": password})
	srv.api("PUT", "/api/v1/rooms/1/involvement", cy["token"].(string), map[string]string{"involvement": "invisible"})
	srv.api("POST", "/api/v1/bots", adaToken, map[string]string{"name": "Deploy Bot"})

	srv.post(adaToken, 1, "Morning! Who has the deploy notes?")
	code1 := srv.post(beaToken, 1, "@Ada Admin the deploy script is ready:\n\n```sh\ngo build -o campfire ./cmd/campfire\n./campfire serve\n```")
	mine := srv.post(adaToken, 1, "Thanks! See [the runbook](https://example.com/runbook) and `inline code`, _emphasis_.")
	srv.post(beaToken, 1, "> a quote\n\n@Ada Admin and a list:\n\n- one\n- two")
	party := srv.post(adaToken, 1, "🎉🔥")
	srv.api("POST", fmt.Sprintf("/api/v1/messages/%d/boosts", mine), beaToken, map[string]string{"content": "👍"})
	srv.api("POST", fmt.Sprintf("/api/v1/messages/%d/boosts", code1), adaToken, map[string]string{"content": "thanks!"})
	srv.api("POST", fmt.Sprintf("/api/v1/messages/%d/boosts", party), beaToken, map[string]string{"content": "🙌"})
	img := image.NewRGBA(image.Rect(0, 0, 320, 200))
	for y := range 200 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 120, 255})
		}
	}
	var pic bytes.Buffer
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	srv.post(beaToken, 1, "Worth a read: "+site.URL+"/article")
	srv.attach(beaToken, 1, "sunset.png", "image/png", pic.Bytes())
	srv.attach(beaToken, 1, "notes.txt", "text/plain", []byte("minutes of the meeting\n"))
	direct := int64(srv.api("POST", "/api/v1/rooms/direct", adaToken, map[string]any{"user_ids": []int64{beaID}})["id"].(float64))
	srv.post(beaToken, direct, "Got a minute for the @Ada Admin review?")
	srv.post(adaToken, direct, "Sure, after lunch.")
	closed := int64(srv.api("POST", "/api/v1/rooms", adaToken, map[string]any{"name": "Secret plans", "type": "closed", "user_ids": []int64{beaID}})["id"].(float64))
	srv.post(beaToken, closed, "Unread for Ada")

	checkAll(visitor, []a11yPage{
		{name: "sign in", path: "/session/new"},
		{name: "join", path: "/join/" + code},
		{name: "not found (signed out)", path: "/join/nope"},
	})
	// Cy is in no visible room: her home page is the empty one.
	visitor.open("/session/new")
	visitor.fill(map[string]string{`input[name=email]`: "cy@example.com", `input[name=password]`: password}, `button[type=submit]`)
	visitor.waitFor(`location.pathname === "/"`, 5*time.Second)
	checkAll(visitor, []a11yPage{{name: "home (no rooms)", path: "/"}})

	ada.open("/session/new")
	ada.fill(map[string]string{`input[name=email]`: "ada@example.com", `input[name=password]`: password}, `button[type=submit]`)
	ada.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)
	live := `document.querySelector("#composer-body") && !document.querySelector("#composer-body").disabled`
	checkAll(ada, []a11yPage{
		{name: "room", path: "/rooms/1", ready: live + ` && !!document.querySelector("#message-list .link-card:not([hidden]) .link-card__title")`},
		{name: "room, boost picker open", path: "/rooms/1", ready: live,
			prep: fmt.Sprintf(`document.querySelector("#message_%d").focus(); document.querySelector("#message_%d [data-action=boost]").click()`, mine, mine)},
		{name: "room, picture open", path: "/rooms/1", ready: live + ` && !!document.querySelector("#message-list .attachment__image:not([hidden])")`,
			prep: `document.querySelector("#message-list .attachment__image:not([hidden])").click()`},
		{name: "room, mention list open", path: "/rooms/1", ready: live,
			prep: `(() => { const ta = document.querySelector("#composer-body"); ta.focus(); ta.value = "@b"; ta.setSelectionRange(2, 2); ta.dispatchEvent(new Event("input")) })()`},
		{name: "room, drawer open (phone)", path: "/rooms/1", ready: live,
			prep: `matchMedia("(max-width: 760px)").matches && document.querySelector(".room__header .sidebar-toggle").click()`},
		{name: "permalink", path: fmt.Sprintf("/rooms/1/@%d", code1), ready: live + ` && !!document.querySelector(".message--highlight")`},
		{name: "direct room", path: fmt.Sprintf("/rooms/%d", direct), ready: live},
		{name: "search", path: "/search?q=deploy", ready: `document.querySelectorAll(".result").length > 0`},
		{name: "profile", path: "/profile"},
		{name: "person", path: fmt.Sprintf("/users/%d", beaID)},
		{name: "account", path: "/account"},
		{name: "bots", path: "/account/bots"},
		{name: "people", path: "/account/users"},
		{name: "new room", path: "/rooms/new"},
		{name: "edit room", path: "/rooms/1/edit"},
		{name: "delete room", path: "/rooms/1/delete"},
		{name: "ping", path: "/pings/new"},
		{name: "status", path: "/account/status"},
		{name: "not found", path: "/rooms/999999"},
	})

	var summary strings.Builder
	for _, name := range order {
		fmt.Fprintf(&summary, "\n\t%-26s %d", name, failures[name])
	}
	t.Logf("axe violations per page (rules failed, summed over %d screens):%s", len(screens), summary.String())
}

// attach posts a file into a room through the API, as a person.
func (s *server) attach(token string, roomID int64, name, contentType string, data []byte) {
	s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="file"; filename=%q`, name)}
	h["Content-Type"] = []string{contentType}
	part, err := mw.CreatePart(h)
	if err != nil {
		s.t.Fatal(err)
	}
	_, _ = part.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/rooms/%d/attachments", s.Base, roomID), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		s.t.Fatalf("attaching %s: %d", name, res.StatusCode)
	}
}

// and joins a readiness condition onto another.
func and(cond string) string {
	if cond == "" {
		return ""
	}
	return " && (" + cond + ")"
}
