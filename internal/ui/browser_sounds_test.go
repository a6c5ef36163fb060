package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// countPlays makes every page the tab loads count its play() calls in
// window.__plays and keep each media element that started in
// window.__playing, so the test can see real playback (played.length).
func countPlays(b *tab) {
	b.t.Helper()
	b.run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: `
			window.__plays = 0;
			window.__playing = [];
			const play = HTMLMediaElement.prototype.play;
			HTMLMediaElement.prototype.play = function () {
				window.__plays++;
				const p = play.call(this);
				p.then(() => window.__playing.push(this), () => {});
				return p;
			};`})
		return err
	}))
}

// TestBrowserSounds: Ada posts "/play tada" (picked from the composer's
// list) and in Bea's window the sound message appears and plays; muted,
// the next one does not; history (the page's first paint) never plays.
func TestBrowserSounds(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	ada := openTab(t, srv, "Ada")
	bea := openTab(t, srv, "Bea")
	countPlays(bea)

	ada.open("/")
	ada.waitFor(`location.pathname === "/first_run"`, 5*time.Second)
	ada.fill(map[string]string{
		`input[name=account_name]`: "Acme", `input[name=name]`: "Ada Admin",
		`input[name=email]`: "ada@example.com", `input[name=password]`: password,
	}, `button[type=submit]`)
	ada.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)
	adaToken := srv.signIn("ada@example.com")
	srv.post(adaToken, 1, "/play ding") // history for Bea

	ada.open("/account")
	joinURL := eval[string](ada, `document.querySelector("#join-url").value`)
	bea.run(chromedp.Navigate(joinURL))
	bea.fill(map[string]string{`input[name=name]`: "Bea Member", `input[name=email]`: "bea@example.com",
		`input[name=password]`: password}, `button[type=submit]`)
	bea.waitFor(`document.querySelector(".room__name")?.textContent === "All Talk"`, 5*time.Second)
	ada.open("/rooms/1")
	ada.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)

	// History is drawn by the server as a sound message, and does not play.
	ding := `document.querySelector('#message-list .message .sound[data-sound="ding"]')`
	bea.waitFor(ding+` && `+ding+`.querySelector("button[data-action=play-sound]").getAttribute("aria-label") === "Play the ding sound"`, 5*time.Second)
	bea.waitFor(`document.getElementById("offline-notice").hidden`, 5*time.Second)
	// Bea has used the page (browsers allow sound after that) and the mute
	// toggle says sounds are on.
	bea.run(chromedp.Click(chromedp.CSS("#composer-body")))
	bea.waitFor(`document.querySelector(".sounds-mute")?.getAttribute("aria-pressed") === "false"`, 2*time.Second)

	// Ada picks tada from the list "/play " offers, and sends it.
	ada.typeIn("#composer-body", "/play ta")
	ada.waitFor(`!document.getElementById("mentions").hidden && document.querySelector("#mentions li")?.textContent.includes("tada")`, 2*time.Second)
	if v := ada.axe(); len(v) > 0 {
		t.Fatalf("axe, with the sound list open: %+v", v)
	}
	ada.run(enter) // chooses
	ada.waitFor(`document.getElementById("composer-body").value === "/play tada" && document.getElementById("mentions").hidden`, 2*time.Second)
	ada.run(enter) // sends

	tada := `document.querySelector('#message-list .message .sound[data-sound="tada"]')`
	bea.waitFor(tada+`?.closest(".message").dataset.soundState === "played"`, 10*time.Second)
	bea.waitFor(`window.__playing.some((a) => a.src.includes("/api/v1/sounds/tada-") && a.played.length > 0)`, 10*time.Second)
	if n := eval[int](bea, `window.__plays`); n != 1 {
		t.Fatalf("Bea's page called play() %d times, want 1 (the live tada only)", n)
	}
	if v := eval[string](bea, ding+`.closest(".message").dataset.soundState || ""`); v != "" {
		t.Fatalf("the history ding has sound state %q", v)
	}
	// The sound stands in for the body text.
	if txt := eval[string](bea, tada+`.closest(".message").querySelector(".message__content").innerText`); !strings.Contains(txt, "played tada") || strings.Contains(txt, "/play") {
		t.Fatalf("tada message shows %q", txt)
	}

	// Muted: the next sound arrives but does not play.
	bea.run(chromedp.Click(chromedp.CSS(".sounds-mute")))
	bea.waitFor(`document.querySelector(".sounds-mute").getAttribute("aria-pressed") === "true"`, 2*time.Second)
	srv.post(adaToken, 1, "/play bell")
	bell := `document.querySelector('#message-list .message .sound[data-sound="bell"]')`
	bea.waitFor(bell+`?.closest(".message").dataset.soundState === "muted"`, 10*time.Second)
	if n := eval[int](bea, `window.__plays`); n != 1 {
		t.Fatalf("muted, Bea's page called play() %d times in all, want 1", n)
	}

	// A reload draws all three from history: nothing plays, still muted.
	bea.open("/rooms/1")
	bea.waitFor(bell+` && `+tada+` && `+ding, 5*time.Second)
	bea.waitFor(`document.getElementById("offline-notice").hidden`, 5*time.Second)
	bea.waitFor(`document.querySelector(".sounds-mute")?.getAttribute("aria-pressed") === "true"`, 2*time.Second)
	if v := bea.axe(); len(v) > 0 {
		t.Fatalf("axe, on a room with sound messages: %+v", v)
	}
	// Unmuted, history still does not play; a play button does.
	bea.run(chromedp.Click(chromedp.CSS(".sounds-mute")))
	bea.waitFor(`document.querySelector(".sounds-mute").getAttribute("aria-pressed") === "false" && localStorage.getItem("campfire:sounds-muted") === null`, 2*time.Second)
	if n := eval[int](bea, `window.__plays`); n != 0 {
		t.Fatalf("after a reload Bea's page called play() %d times, want 0", n)
	}
	bea.run(chromedp.Click(chromedp.CSS(`#message-list .sound[data-sound="bell"] button`)))
	bea.waitFor(bell+`.closest(".message").dataset.soundState === "played" && window.__plays === 1`, 5*time.Second)

	// A sound posted while Bea's page is disconnected arrives in the replay
	// after it reconnects, and does not play. The page's reconnects are
	// held (its WebSocket constructor throws, which the cable treats as a
	// failed attempt) until the message is stored, so it cannot arrive live.
	eval[bool](bea, `(() => { window.__WS = WebSocket; window.WebSocket = function () { throw new Error("held by the test"); }; return true; })()`)
	srv.Stop()
	bea.waitFor(`!document.getElementById("offline-notice").hidden`, 5*time.Second)
	srv.Start()
	srv.post(adaToken, 1, "/play rimshot")
	eval[bool](bea, `(() => { window.WebSocket = window.__WS; window.dispatchEvent(new Event("online")); return true; })()`)
	rimshot := `document.querySelector('#message-list .message .sound[data-sound="rimshot"]')`
	bea.waitFor(rimshot+` && document.getElementById("offline-notice").hidden`, 15*time.Second)
	if n, state := eval[int](bea, `window.__plays`), eval[string](bea, rimshot+`.closest(".message").dataset.soundState || ""`); n != 1 || state != "" {
		t.Fatalf("the replayed rimshot: play() calls %d (want 1, the button's), sound state %q", n, state)
	}
	// Live again after the reconnect: the next one plays.
	srv.post(adaToken, 1, "/play pop")
	pop := `document.querySelector('#message-list .message .sound[data-sound="pop"]')`
	bea.waitFor(pop+`?.closest(".message").dataset.soundState === "played" && window.__plays === 2`, 10*time.Second)
}
