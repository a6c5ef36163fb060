package ui_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserBanAndCustomCSS: the admin bans Bea from the People page (with
// its confirmation dialog); her messages disappear from Cyd's open window
// live, her own window loses its socket and lands on sign-in; unbanning
// lets her back. The account's custom CSS applies to every page.
func TestBrowserBanAndCustomCSS(t *testing.T) {
	chromiumPath(t)
	srv := startServer(t)
	setup := srv.api("POST", "/api/v1/setup", "", map[string]string{"account_name": "Acme", "name": "Ada Admin",
		"email": "ada@example.com", "password": password})
	adaToken := setup["token"].(string)
	code := srv.api("GET", "/api/v1/account", adaToken, nil)["join_code"].(string)
	for _, n := range []string{"bea", "cyd"} {
		srv.api("POST", "/api/v1/join/"+code, "", map[string]string{"name": n + " Person", "email": n + "@example.com", "password": password})
	}
	beaToken := srv.signIn("bea@example.com")
	beaID := int64(srv.api("GET", "/api/v1/users/me", beaToken, nil)["id"].(float64))
	for i := range 3 {
		srv.post(beaToken, 1, fmt.Sprintf("spam %d", i))
	}
	srv.post(adaToken, 1, "keep me")

	signIn := func(b *tab, email string) {
		b.open("/session/new")
		b.fill(map[string]string{`input[name=email]`: email, `input[name=password]`: password}, `button[type=submit]`)
		b.waitFor(`location.pathname !== "/session/new"`, 5*time.Second)
	}
	ada, bea, cyd := openTab(t, srv, "Ada"), openTab(t, srv, "Bea"), openTab(t, srv, "Cyd")
	signIn(ada, "ada@example.com")
	signIn(bea, "bea@example.com")
	signIn(cyd, "cyd@example.com")
	cyd.open("/rooms/1")
	cyd.waitFor(messageWithBody("spam 2")+` && `+messageWithBody("keep me"), 5*time.Second)
	bea.open("/rooms/1")
	bea.waitFor(`!!document.querySelector("#composer-body")`, 5*time.Second)

	ada.open("/account/users")
	// The Admin switch asks first; cancelling changes nothing, confirming
	// says so.
	cydSwitch := chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/account/users/%d/role"] button`, beaID+1)))
	ada.run(cydSwitch)
	ada.waitFor(`document.querySelector("#confirm-dialog")?.open && document.querySelector("#confirm-ok").textContent === "Make administrator"`, 2*time.Second)
	ada.run(chromedp.Click(chromedp.CSS(`#confirm-dialog button[value=cancel]`)))
	ada.waitFor(`!document.querySelector("#confirm-dialog").open`, 2*time.Second)
	if role := srv.api("GET", fmt.Sprintf("/api/v1/users/%d", beaID+1), adaToken, nil)["role"]; role != "member" {
		t.Fatalf("cancelled, Cyd is %v", role)
	}
	ada.run(cydSwitch)
	ada.waitFor(`document.querySelector("#confirm-dialog")?.open`, 2*time.Second)
	ada.run(chromedp.Click(chromedp.CSS(`#confirm-ok`)))
	ada.waitFor(`document.body.innerText.includes("cyd Person is now an admin.")`, 5*time.Second)
	if role := srv.api("GET", fmt.Sprintf("/api/v1/users/%d", beaID+1), adaToken, nil)["role"]; role != "admin" {
		t.Fatalf("confirmed, Cyd is %v", role)
	}
	ada.run(chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/account/users/%d/ban"] button`, beaID))))
	ada.waitFor(`document.querySelector("#confirm-dialog")?.open`, 2*time.Second)
	ada.run(chromedp.Click(chromedp.CSS(`#confirm-ok`)))
	ada.waitFor(`location.pathname === "/account/bans"`, 5*time.Second)

	// Live, without a reload: the messages go, the others' stay.
	cyd.waitFor(`!`+messageWithBody("spam 0")+` && !`+messageWithBody("spam 1")+` && !`+messageWithBody("spam 2"), 10*time.Second)
	if !eval[bool](cyd, `!!`+messageWithBody("keep me")) {
		t.Fatal("another person's message went too")
	}
	// Bea's socket was closed and her session ended: her page gives up
	// reconnecting and asks her to sign in.
	bea.waitFor(`location.pathname === "/session/new"`, 30*time.Second)
	bea.fill(map[string]string{`input[name=email]`: "bea@example.com", `input[name=password]`: password}, `button[type=submit]`)
	bea.waitFor(`document.body.innerText.includes("Email or password is incorrect")`, 5*time.Second)

	// Unban from the bans page; she is back.
	ada.open("/account/bans")
	ada.run(chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action="/account/users/%d/unban"] button`, beaID))))
	ada.waitFor(`document.body.innerText.includes("Nobody is banned")`, 5*time.Second)
	signIn(bea, "bea@example.com")
	bea.waitFor(`location.pathname === "/" || location.pathname.startsWith("/rooms/")`, 5*time.Second)

	// Custom CSS, saved through the settings page, styles every page.
	ada.open("/account/settings")
	ada.run(chromedp.SetValue(chromedp.CSS("#custom-css"), "body { border-top: 3px solid rgb(1, 2, 3) }"),
		chromedp.Click(chromedp.CSS(`form[action="/account/settings"] button[type=submit]`)))
	ada.waitFor(`document.body.innerText.includes("Settings saved")`, 5*time.Second)
	styled := `getComputedStyle(document.body).borderTopColor === "rgb(1, 2, 3)"`
	for _, path := range []string{"/rooms/1", "/profile", "/search"} {
		cyd.open(path)
		cyd.waitFor(styled, 5*time.Second)
	}
	anon := openTab(t, srv, "Anonymous")
	anon.open("/session/new")
	anon.waitFor(styled, 5*time.Second)
}
