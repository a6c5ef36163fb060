package ui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// liveWithin is how soon something one person does must show on another's
// screen.
const liveWithin = time.Second

// report logs how long something took to show in the other browser, and
// fails past liveWithin.
func report(t *testing.T, what string, start time.Time) {
	t.Helper()
	took := time.Since(start)
	t.Logf("%s showed in the other browser %s after the action", what, took.Round(time.Millisecond))
	if took > liveWithin {
		t.Errorf("%s took %s to show, want under %s", what, took, liveWithin)
	}
}

// TestBrowser walks through Campfire in two real browsers, as two people,
// against the real binary. The steps share one server and build on each
// other, as a day of use does; each is a subtest so a failure says where.
func TestBrowser(t *testing.T) {
	chromiumPath(t)
	started := time.Now()
	srv := startServer(t)
	ada := openTab(t, srv, "Ada")
	bea := openTab(t, srv, "Bea")
	var adaToken string
	var secretID int64

	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}
	bind := func(t *testing.T, tabs ...*tab) {
		for _, b := range tabs {
			b.t = t
		}
		srv.bind(t)
	}

	step("first run, sign out, sign in, post", func(t *testing.T) {
		bind(t, ada)
		ada.open("/")
		ada.waitFor(`location.pathname === "/first_run"`, 5*time.Second)
		ada.fill(map[string]string{
			`input[name=account_name]`: "Acme", `input[name=name]`: "Ada Admin",
			`input[name=email]`: "ada@example.com", `input[name=password]`: password,
		}, `button[type=submit]`)
		ada.waitFor(`document.querySelector("#composer-body") && document.querySelector(".room__name").textContent === "All Talk"`, 5*time.Second)

		ada.run(chromedp.Click(chromedp.CSS(`form[action="/session/delete"] button`)))
		ada.waitFor(`location.pathname === "/session/new"`, 5*time.Second)
		if txt := eval[string](ada, `document.querySelector(".contact").textContent`); !strings.Contains(txt, "Ada Admin") {
			t.Fatalf("sign-in page does not name the admin: %q", txt)
		}
		ada.fill(map[string]string{`input[name=email]`: "ada@example.com", `input[name=password]`: password}, `button[type=submit]`)
		ada.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)

		ada.send("hello **world**")
		ada.waitFor(messageWithBody("hello **world**")+`?.querySelector(".message__body strong")?.textContent === "world"`, 5*time.Second)
		// A second message is the barrier: once it has settled, any echo of
		// the first would have arrived too.
		ada.send("second")
		ada.waitFor(messageWithBody("second")+` && !document.querySelector(".message--pending")`, 5*time.Second)
		if n := eval[int](ada, countBody("hello **world**")); n != 1 {
			t.Fatalf("the message shows %d times, want once", n)
		}
		adaToken = srv.signIn("ada@example.com")
	})

	step("join link", func(t *testing.T) {
		bind(t, ada, bea)
		ada.open("/account")
		joinURL := eval[string](ada, `document.querySelector("#join-url").value`)
		if !strings.Contains(joinURL, "/join/") || !eval[bool](ada, `document.querySelector("img.qr").naturalWidth > 0`) {
			t.Fatalf("account page: join URL %q, QR code not loaded", joinURL)
		}
		bea.run(chromedp.Navigate(joinURL))
		bea.fill(map[string]string{`input[name=name]`: "Bea Member", `input[name=email]`: "bea@example.com",
			`input[name=password]`: password}, `button[type=submit]`)
		bea.waitFor(`document.querySelector(".room__name")?.textContent === "All Talk"`, 5*time.Second)
		ada.open("/rooms/1")
		ada.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)
	})

	step("live message, edit, boost, delete, typing, mention, reply, bell", func(t *testing.T) {
		bind(t, ada, bea)
		ada.typeIn("#composer-body", "live one")
		start := time.Now()
		ada.run(enter)
		bea.waitFor(messageWithBody("live one"), liveWithin)
		report(t, "message", start)
		if !eval[bool](bea, messageWithBody("live one")+`.querySelector(".message__edited").hidden`) {
			t.Error(`a new message says "(edited)"`)
		}

		// Up in the empty composer edits my last message.
		ada.run(chromedp.Focus(chromedp.CSS("#composer-body")), arrowUp)
		ada.waitFor(`!!document.querySelector(".message--editing .editor textarea")`, 2*time.Second)
		ada.run(chromedp.SetValue(chromedp.CSS(".editor textarea"), "live one, _edited_"), chromedp.Focus(chromedp.CSS(".editor textarea")))
		start = time.Now()
		ada.run(enter)
		bea.waitFor(messageWithBody("live one, _edited_")+`?.querySelector(".message__body em")?.textContent === "edited"`, liveWithin)
		report(t, "edit", start)
		bea.waitFor(`!`+messageWithBody("live one, _edited_")+`.querySelector(".message__edited").hidden`, 2*time.Second)

		ada.waitFor(messageWithBody("live one, _edited_"), 2*time.Second)
		id := eval[int64](ada, `Number(`+messageWithBody("live one, _edited_")+`.dataset.messageId)`)
		sel := fmt.Sprintf("#message_%d", id)
		// Keyboard: focus the message, then its boost button (the one
		// toolbar moves to the focused message), and press Enter.
		ada.run(chromedp.Focus(chromedp.CSS(sel)), chromedp.Focus(chromedp.CSS(sel+` [data-action=boost]`)), activate)
		ada.waitFor(`!document.querySelector("#boost-picker").hidden`, 2*time.Second)
		start = time.Now()
		ada.run(chromedp.Click(chromedp.CSS(`#boost-picker [data-boost="👍"]`)))
		bea.waitFor(fmt.Sprintf(`document.querySelector(%q)?.querySelector(".boost .boost__content")?.textContent === "👍"`, sel), liveWithin)
		report(t, "boost", start)
		// A free-text boost, mine, then removed.
		ada.run(chromedp.Focus(chromedp.CSS(sel)), chromedp.Focus(chromedp.CSS(sel+` [data-action=boost]`)), activate)
		ada.run(chromedp.SetValue(chromedp.CSS(`#boost-text`), "nice one!"), chromedp.Click(chromedp.CSS(`.boost-picker__form button`)))
		bea.waitFor(fmt.Sprintf(`[...document.querySelectorAll(%q)].some(b => b.textContent === "nice one!")`, sel+" .boost__content"), liveWithin)
		if eval[int](bea, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel+" .boost__remove")) != 0 {
			t.Fatal("Bea can remove Ada's boosts")
		}
		// Ada's own window shows her boost on its own schedule: wait for it
		// there too before removing it (waiting on Bea's alone raced).
		ada.waitFor(fmt.Sprintf(`[...document.querySelectorAll(%q)].some(b => b.textContent === "nice one!")`, sel+" .boost__content"), liveWithin)
		ada.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`[...document.querySelectorAll(%q)].find(b => b.querySelector(".boost__content").textContent === "nice one!").querySelector(".boost__remove").click()`, sel+" .boost")))
		bea.waitFor(fmt.Sprintf(`![...document.querySelectorAll(%q)].some(b => b.textContent === "nice one!")`, sel+" .boost__content"), liveWithin)

		ada.run(chromedp.Focus(chromedp.CSS(sel)), chromedp.Focus(chromedp.CSS(sel+` [data-action=delete]`)), activate)
		ada.waitFor(`document.querySelector("#confirm-dialog").open`, 2*time.Second)
		start = time.Now()
		ada.run(chromedp.Click(chromedp.CSS("#confirm-ok")))
		bea.waitFor(fmt.Sprintf(`!document.querySelector(%q)`, sel), liveWithin)
		report(t, "delete", start)

		start = time.Now()
		bea.typeIn("#composer-body", "I am typi")
		ada.waitFor(`document.querySelector("#typing").textContent === "Bea Member is typing…"`, liveWithin)
		report(t, "typing indicator", start)
		bea.run(chromedp.Evaluate[chromedp.Void](`document.querySelector("#composer-body").value = ""`))

		// @ offers the room's people; Enter takes the suggestion.
		bea.typeIn("#composer-body", "@ad")
		bea.waitFor(`!document.querySelector("#mentions").hidden && document.querySelector("#mentions [aria-selected=true]").textContent === "Ada Admin"`, 2*time.Second)
		bea.run(enter)
		if v := eval[string](bea, `document.querySelector("#composer-body").value`); v != "@Ada Admin " {
			t.Fatalf("composer after choosing a mention = %q", v)
		}
		bea.typeIn("#composer-body", "can you look?")
		bea.run(enter)
		ada.waitFor(messageWithBody("@Ada Admin can you look?")+`?.classList.contains("message--mention")`, liveWithin)

		// Reply quotes the message into the composer.
		ada.run(chromedp.Evaluate[chromedp.Void](`(m => { m.focus(); m.querySelector("[data-action=reply]").click() })(` + messageWithBody("@Ada Admin can you look?") + `)`))
		if v := eval[string](ada, `document.querySelector("#composer-body").value`); !strings.HasPrefix(v, "> **Bea Member** said:\n> @Ada Admin can you look?") {
			t.Fatalf("reply put %q in the composer", v)
		}
		ada.run(chromedp.Evaluate[chromedp.Void](`document.querySelector("#composer-body").value = ""`))

		// The bell moves mentions → everything, and stays.
		ada.run(chromedp.Click(chromedp.CSS(".bell__button")))
		ada.waitFor(`document.querySelector(".bell__button").dataset.involvement === "everything"`, 2*time.Second)
		ada.open("/rooms/1")
		if inv := eval[string](ada, `document.querySelector(".bell__button").dataset.involvement`); inv != "everything" {
			t.Fatalf("after a reload the bell says %q", inv)
		}
	})

	step("unread in the sidebar, live, cleared when opened, in every tab", func(t *testing.T) {
		bind(t, ada, bea)
		ada.open("/rooms/new")
		ada.fill(map[string]string{`input[name=name]`: "Watercooler"}, `.room-form button[type=submit]`)
		ada.waitFor(`document.querySelector(".room__name")?.textContent === "Watercooler"`, 5*time.Second)
		watercooler := `[...document.querySelectorAll("#shared-rooms .room-link")].find(l => l.textContent.includes("Watercooler"))`
		bea.waitFor(watercooler, liveWithin)
		// Bea has a second tab open, on another room.
		bea2 := bea.sibling("Bea's second tab")
		bea2.open("/rooms/1")
		bea2.waitFor(`!document.querySelector("#composer-body").disabled && `+watercooler, 5*time.Second)
		ada.typeIn("#composer-body", "anyone around?")
		start := time.Now()
		ada.run(enter)
		bea.waitFor(watercooler+`?.classList.contains("room-link--unread") && getComputedStyle(`+watercooler+`.querySelector("a")).fontWeight >= 700`, liveWithin)
		report(t, "unread mark", start)
		bea2.waitFor(watercooler+`?.classList.contains("room-link--unread")`, liveWithin)
		bea.run(chromedp.Click(chromedp.CSS(`#shared-rooms .room-link:not([data-room-id="1"]) a`)))
		bea.waitFor(`document.querySelector(".room__name")?.textContent === "Watercooler" && !!`+messageWithBody("anyone around?"), 5*time.Second)
		if eval[bool](bea, watercooler+`.classList.contains("room-link--unread")`) {
			t.Fatal("the open room is still bold")
		}
		bea2.waitFor(watercooler+`?.classList.contains("room-link--unread") === false`, liveWithin)
		bea.open("/rooms/1")
		bea.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)
		if eval[bool](bea, watercooler+`.classList.contains("room-link--unread")`) {
			t.Fatal("the room read a moment ago is bold again")
		}
	})

	step("ping from a person's page, live in their sidebar", func(t *testing.T) {
		bind(t, ada, bea)
		ada.open("/users/2")
		ada.run(chromedp.Click(chromedp.CSS(`form[action="/pings"] button`)))
		ada.waitFor(`document.querySelector("#room")?.dataset.roomType === "direct" && document.querySelector(".room__name").textContent === "Bea Member"`, 5*time.Second)
		ping := `document.querySelector("#direct-rooms .room-link")`
		bea.waitFor(ping+`?.textContent.includes("Ada Admin") && !!`+ping+`.querySelector("img.avatar")`, liveWithin)
		ada.send("psst")
		bea.waitFor(ping+`.classList.contains("room-link--unread")`, liveWithin)
	})

	step("closed room invisible to a non-member", func(t *testing.T) {
		bind(t, ada, bea)
		ada.open("/rooms/new")
		ada.run(chromedp.Click(chromedp.CSS(`input[name=type][value=closed]`)))
		ada.fill(map[string]string{`input[name=name]`: "Secret plans"}, `.room-form button[type=submit]`)
		ada.waitFor(`document.querySelector(".room__name")?.textContent === "Secret plans"`, 5*time.Second)
		secretID = eval[int64](ada, `Number(document.querySelector("#room").dataset.roomId)`)
		// An open room made after it is the barrier: when Bea sees it, she
		// would have seen the closed one.
		srv.api("POST", "/api/v1/rooms", adaToken, map[string]any{"name": "Announcements", "type": "open"})
		bea.waitFor(`[...document.querySelectorAll(".room-link")].some(l => l.textContent.includes("Announcements"))`, liveWithin)
		if eval[bool](bea, `[...document.querySelectorAll(".room-link")].some(l => l.textContent.includes("Secret"))`) {
			t.Fatal("Bea's sidebar shows a closed room she is not in")
		}
		bea.open(fmt.Sprintf("/rooms/%d", secretID))
		if h := eval[string](bea, `document.querySelector("h1").textContent`); h != "Not found" {
			t.Fatalf("Bea opening the closed room sees %q, want Not found", h)
		}
	})

	step("scripts in messages, names and room names stay text", func(t *testing.T) {
		bind(t, ada, bea)
		ada.open("/rooms/1")
		bea.open("/rooms/1")
		bea.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)
		// Eve arrives with a hostile name and room name, live in both pages.
		acct := srv.api("GET", "/api/v1/account", adaToken, nil)
		eve := srv.api("POST", "/api/v1/join/"+acct["join_code"].(string), "", map[string]string{
			"name": `Eve <img src=x onerror=alert(1)>`, "email": "eve@example.com", "password": password})
		eveToken := eve["token"].(string)
		srv.api("POST", "/api/v1/rooms", eveToken, map[string]any{"name": `<script>alert(2)</script>`, "type": "open"})
		payload := `<script>alert(3)</script><img src=x onerror="alert(4)"> [click](javascript:alert(5)) **bold**`
		srv.post(eveToken, 1, payload)
		for _, b := range []*tab{ada, bea} {
			b.waitFor(messageWithBody(payload), liveWithin)
			b.waitFor(`[...document.querySelectorAll(".room-link__name")].some(n => n.textContent === "<script>alert(2)</script>")`, liveWithin)
			for range 2 { // as rendered live, then by the server
				inert := `document.querySelectorAll("#message-list script, #message-list img[src=x], #sidebar script, #sidebar img[src=x], a[href^=javascript]").length === 0`
				author := messageWithBody(payload) + `.querySelector(".message__author").textContent === "Eve <img src=x onerror=alert(1)>"`
				if !eval[bool](b, inert) || !eval[bool](b, author) {
					t.Fatalf("%s: user input became markup:\n%s", b.name, eval[string](b, `document.querySelector("#message-list").innerHTML`))
				}
				b.open("/rooms/1")
			}
		}
	})

	step("search finds a message and its permalink highlights it", func(t *testing.T) {
		bind(t, ada, bea)
		// Enough messages after it that the permalink does not reach the
		// newest, and enough in all that the room opens without its start
		// (posted by two people: each may post 30 in 10 s).
		beaToken := srv.signIn("bea@example.com")
		srv.post(adaToken, 1, "the quarterly numbers are in")
		for i := range 44 {
			who := adaToken
			if i%2 == 1 {
				who = beaToken
			}
			srv.post(who, 1, fmt.Sprintf("filler %d", i))
		}
		bea.open("/search")
		bea.typeIn("#search-q", "quarterly")
		bea.run(activate)
		bea.waitFor(`document.querySelectorAll(".result").length === 1`, 5*time.Second)
		bea.run(chromedp.Click(chromedp.CSS(".result__link")))
		bea.waitFor(`(() => { const m = document.querySelector(".message--highlight"); if (!m) return false;
			const r = m.getBoundingClientRect(); return m.dataset.body === "the quarterly numbers are in" && r.top >= 0 && r.bottom <= innerHeight })()`, 5*time.Second)
		// Scrolling down from the permalink loads the newer messages.
		bea.run(chromedp.Evaluate[chromedp.Void](`document.querySelector("#messages").scrollTop = 0`))
		bea.waitFor(messageWithBody("filler 43"), 20*time.Second) // a page of newer messages; slow under -race in CI
		bea.open("/search")
		if !eval[bool](bea, `[...document.querySelectorAll(".recent a")].some(a => a.textContent === "quarterly")`) {
			t.Fatal("recent searches do not list the last search")
		}
		// Scrolling up loads older messages.
		bea.open("/rooms/1")
		bea.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)
		bea.run(chromedp.Evaluate[chromedp.Void](`document.querySelector("#messages").scrollTop = -1e6`))
		bea.waitFor(messageWithBody("hello **world**")+` && !document.querySelector(".messages__start").hidden`, 5*time.Second)
		// Scrolled up, "jump to newest" shows, and takes you there.
		bea.waitFor(`!document.querySelector("#jump-to-newest").hidden`, 2*time.Second)
		bea.run(chromedp.Click(chromedp.CSS("#jump-to-newest")))
		bea.waitFor(`document.querySelector("#messages").scrollTop === 0 && document.querySelector("#jump-to-newest").hidden`, 2*time.Second)
		bea.open("/rooms/1")
		bea.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)
	})

	step("server restart: the page reconnects and misses nothing", func(t *testing.T) {
		bind(t, ada, bea)
		bea.waitFor(`!document.querySelector("#composer-body").disabled`, 5*time.Second)
		// Another room, read, to be posted in while Bea's page is away.
		elsewhere := int64(srv.api("POST", "/api/v1/rooms", adaToken, map[string]string{"name": "Elsewhere", "type": "open"})["id"].(float64))
		elsewhereLink := fmt.Sprintf(`document.querySelector('.room-link[data-room-id="%d"]')`, elsewhere)
		bea.waitFor(elsewhereLink+` && !`+elsewhereLink+`.classList.contains("room-link--unread")`, liveWithin)
		srv.Stop()
		bea.waitFor(`!document.querySelector("#offline-notice").hidden && document.querySelector("#composer-body").disabled`, 5*time.Second)
		srv.Start()
		// Posted as soon as the server is up, likely before the page is back.
		srv.post(adaToken, 1, "while you were away 1")
		srv.post(adaToken, 1, "while you were away 2")
		srv.post(adaToken, elsewhere, "in another room while you were away")
		took := bea.waitFor(messageWithBody("while you were away 2")+` && !document.querySelector("#composer-body").disabled && document.querySelector("#offline-notice").hidden`, 15*time.Second)
		t.Logf("page reconnected and caught up %s after the restart", took)
		// The sidebar caught up too: the other room is unread (issue 11,
		// item 1: it stayed read until a reload).
		bea.waitFor(elsewhereLink+`.classList.contains("room-link--unread")`, 5*time.Second)
		srv.post(adaToken, 1, "after the restart")
		bea.waitFor(messageWithBody("after the restart"), liveWithin)
		for _, body := range []string{"while you were away 1", "while you were away 2", "after the restart", "filler 43"} {
			if n := eval[int](bea, countBody(body)); n != 1 {
				t.Fatalf("%q shows %d times, want once", body, n)
			}
		}
		if !eval[bool](bea, `(() => { const ids = [...document.querySelectorAll("#message-list > .message")].map(m => m.dataset.messageId); return new Set(ids).size === ids.length })()`) {
			t.Fatal("a message shows twice after the reconnect")
		}
		// And the composer works again.
		bea.send("back again")
		ada.open("/rooms/1")
		ada.waitFor(messageWithBody("back again"), 5*time.Second)
	})

	step("screenshots", func(t *testing.T) {
		bind(t, ada, bea)
		beaToken := srv.signIn("bea@example.com")
		srv.post(beaToken, 1, "@Ada Admin the deploy script is ready:\n\n```sh\ngo build -o campfire ./cmd/campfire\n./campfire serve\n```")
		srv.post(adaToken, 1, "Thanks! Shipping it after lunch.")
		last := srv.post(adaToken, 1, "🎉🔥")
		srv.api("POST", fmt.Sprintf("/api/v1/messages/%d/boosts", last), beaToken, map[string]string{"content": "🙌"})
		srv.post(beaToken, 1, "> a quote\n\nand a [link](https://example.com), `inline code`, _emphasis_.")
		dir, err := os.MkdirTemp("", "campfire-screenshots-")
		if err != nil {
			t.Fatal(err)
		}
		shoot := func(b *tab, file string, w, h int64, mobile bool, dark bool, prep string) {
			t.Helper()
			opts := []chromedp.EmulateViewportOption{}
			if mobile {
				opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(1))
			}
			scheme := "light"
			if dark {
				scheme = "dark"
			}
			b.run(chromedp.EmulateViewport(w, h, opts...), chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
				_, err := cdp.Call(ctx, tt, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
				return err
			}))
			b.open("/rooms/1")
			b.waitFor(`!!document.querySelector("#composer-body") && [...document.images].filter(i => {
				const r = i.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight }).every(i => i.complete)`, 5*time.Second)
			if prep != "" {
				b.run(chromedp.Evaluate[chromedp.Void](prep))
			}
			b.waitFor(`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, 2*time.Second)
			png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, file)
			if err := os.WriteFile(path, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", path)
		}
		shoot(ada, "room-1280x800.png", 1280, 800, false, false, "")
		shoot(bea, "room-390x844.png", 390, 844, true, false, "")
		shoot(ada, "room-1280x800-dark.png", 1280, 800, false, true, "")
		shoot(bea, "room-390x844-sidebar.png", 390, 844, true, false, `document.querySelector(".sidebar-toggle").click()`)
		for _, w := range []int64{390, 360} {
			bea.run(chromedp.EmulateViewport(w, 740, chromedp.EmulateMobile, chromedp.EmulateScale(1)))
			bea.open("/rooms/1")
			if eval[bool](bea, `document.documentElement.scrollWidth > innerWidth || document.querySelector("#messages").scrollWidth > document.querySelector("#messages").clientWidth`) {
				t.Errorf("the room page scrolls sideways at %d px", w)
			}
		}
	})

	step("a message the server refuses shows as failed, and retry sends it once", func(t *testing.T) {
		bind(t, bea)
		bea.open("/rooms/2")
		bea.waitFor(`!document.querySelector("#composer-body").disabled`, 5*time.Second)
		// More posts at once than anyone may make (30 in 10 s): the
		// server refuses the rest, and they show as failed.
		bea.run(chromedp.Evaluate[chromedp.Void](`(() => {
			const ta = document.querySelector("#composer-body");
			for (let i = 0; i < 36; i++) {
				ta.value = "burst " + i;
				ta.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
			}
		})()`))
		bea.waitFor(`!!document.querySelector(".message--failed [data-action=retry]:not([hidden])") && !document.querySelector(".message--pending")`, 15*time.Second)
		cid := eval[string](bea, `document.querySelector(".message--failed").dataset.clientMessageId`)
		// Retry until the limit lets it through.
		ctx, cancel := context.WithTimeout(bea.ctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`new Promise((resolve) => {
			const tick = () => {
				const el = document.querySelector('#message-list > [data-client-message-id="%s"]');
				if (el && el.dataset.messageId) return resolve(true);
				if (el && el.classList.contains("message--failed")) el.querySelector("[data-action=retry]").click();
				setTimeout(tick, 250);
			};
			tick();
		})`, cid), chromedp.EvalAwaitPromise)); err != nil {
			t.Fatalf("retry did not send the message: %v\n%s", err, bea.snapshot())
		}
		body := eval[string](bea, fmt.Sprintf(`document.querySelector('#message-list > [data-client-message-id="%s"]').dataset.body`, cid))
		if n := eval[int](bea, countBody(body)); n != 1 {
			t.Fatalf("%q shows %d times after its retry", body, n)
		}
		bea.open("/rooms/2")
		if n := eval[int](bea, countBody(body)); n != 1 {
			t.Fatalf("%q is stored %d times", body, n)
		}
	})

	t.Logf("browser suite took %s", time.Since(started).Round(100*time.Millisecond))
}
