package ui_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserRecentSearches: recent searches are kept by the server per
// person, so a search made in one browser is offered in another browser
// (another device, no shared cookies) of the same person, and clearing
// them in one clears them everywhere.
func TestBrowserRecentSearches(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	srv.api("POST", "/api/v1/setup", "", map[string]string{
		"account_name": "Acme", "name": "Ada Admin", "email": "ada@example.com", "password": password,
	})
	srv.post(srv.signIn("ada@example.com"), 1, "the quarterly numbers are in")

	signIn := func(b *tab) {
		t.Helper()
		b.open("/session/new")
		b.fill(map[string]string{`input[name=email]`: "ada@example.com", `input[name=password]`: password}, `button[type=submit]`)
		b.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)
	}
	laptop, phone := openTab(t, srv, "Ada's laptop"), openTab(t, srv, "Ada's phone")
	signIn(laptop)
	signIn(phone)

	laptop.open("/search")
	if eval[bool](laptop, `!!document.querySelector(".recent")`) {
		t.Fatal("recent searches shown before any search")
	}
	laptop.typeIn("#search-q", "quarterly")
	laptop.run(chromedp.Submit(chromedp.CSS("#search-q")))
	laptop.waitFor(`document.querySelectorAll(".result").length === 1`, 5*time.Second)

	// The other device offers it, as a link that searches again.
	phone.open("/search")
	phone.waitFor(`[...document.querySelectorAll(".recent a")].map(a => a.textContent).join() === "quarterly"`, 5*time.Second)
	phone.run(chromedp.Click(chromedp.CSS(".recent a")))
	phone.waitFor(`location.search === "?q=quarterly" && document.querySelectorAll(".result").length === 1`, 5*time.Second)

	// Clearing on the phone clears them on the laptop too.
	phone.run(chromedp.Click(chromedp.CSS(`form[action="/search/recent/delete"] button`)))
	phone.waitFor(`location.pathname === "/search" && location.search === "" && !document.querySelector(".recent")`, 5*time.Second)
	laptop.open("/search")
	if eval[bool](laptop, `!!document.querySelector(".recent")`) {
		t.Fatal("the laptop still lists searches cleared on the phone")
	}
}
