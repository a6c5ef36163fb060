package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestAdminSettingsPage(t *testing.T) {
	srv := newServer(t)
	admin := setUp(t, srv)
	bea := joinAs(t, srv, admin, "Bea Member", "bea@example.com")

	want(t, bea.get("/account/settings"), http.StatusForbidden, "Only an administrator can see this page.")
	if p := bea.post("/account/settings", url.Values{"admins_create_rooms": {"1"}}); p.status != http.StatusForbidden {
		t.Fatalf("member saved settings: %d", p.status)
	}
	if !strings.Contains(bea.follow("/").body, `href="/rooms/new"`) {
		t.Fatal("no new-room button while members may create rooms")
	}
	if strings.Contains(bea.follow("/").body, "custom.css") {
		t.Fatal("a stylesheet link without custom CSS")
	}

	want(t, admin.get("/account/settings"), http.StatusOK, "Only administrators create rooms", "Custom CSS")
	css := "body { outline: 1px solid rgb(1, 2, 3) } /* </style><script>alert(1)</script> */"
	p := admin.post("/account/settings", url.Values{"admins_create_rooms": {"1"}, "custom_css": {css}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", p.status, p.body)
	}
	want(t, admin.follow("/account/settings"), http.StatusOK, "checked", "Settings saved.")

	// The member's pages lose the button, and the room form is refused
	// with a readable reason.
	home := bea.follow("/")
	if strings.Contains(home.body, `href="/rooms/new"`) && strings.Contains(home.body, `aria-label="New room"`) {
		t.Fatal("member still sees the new-room button")
	}
	want(t, bea.post("/rooms", url.Values{"name": {"Mine"}, "type": {"open"}}), http.StatusForbidden, "Only administrators can create rooms")
	want(t, bea.get("/rooms/new"), http.StatusForbidden, "only administrators create rooms", `href="/"`)
	if strings.Contains(bea.get("/rooms/new").body, `action="/rooms"`) {
		t.Fatal("a member who may not create rooms is shown the form")
	}
	want(t, admin.get("/rooms/new"), http.StatusOK, `action="/rooms"`)
	if !strings.Contains(admin.follow("/").body, `aria-label="New room"`) {
		t.Fatal("admin lost the new-room button")
	}

	// Every page, signed in or not, links the versioned stylesheet.
	link := regexp.MustCompile(`<link rel="stylesheet" href="(/account/custom\.css\?v=\d+)">`)
	m := link.FindStringSubmatch(home.body)
	if m == nil {
		t.Fatalf("no custom CSS link:\n%s", home.body)
	}
	for _, pg := range []string{"/profile", "/search", "/account/settings"} {
		if !strings.Contains(admin.follow(pg).body, m[1]) {
			t.Fatalf("%s lacks the custom CSS %s:\n%s", pg, m[1], admin.follow(pg).body)
		}
	}
	if !strings.Contains(newBrowser(t, srv).follow("/session/new").body, m[1]) {
		t.Fatal("the sign-in page lacks the custom CSS")
	}
	sheet := newBrowser(t, srv).get(m[1])
	if sheet.status != http.StatusOK || sheet.body != css ||
		sheet.header.Get("Content-Type") != "text/css; charset=utf-8" ||
		sheet.header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(sheet.header.Get("Cache-Control"), "immutable") {
		t.Fatalf("stylesheet: %d %v %q", sheet.status, sheet.header, sheet.body)
	}
	if old := newBrowser(t, srv).get("/account/custom.css?v=0"); old.header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("stale version cached: %v", old.header)
	}

	big := strings.Repeat("a", 64<<10+1)
	want(t, admin.post("/account/settings", url.Values{"custom_css": {big}}), http.StatusRequestEntityTooLarge, "at most 64 KB")
}

func TestBanAndUnbanPages(t *testing.T) {
	srv := newServer(t)
	admin := setUp(t, srv)
	bea := joinAs(t, srv, admin, "Bea Member", "bea@example.com")
	want(t, bea.follow("/"), http.StatusOK)

	people := admin.get("/account/users").body
	m := regexp.MustCompile(`/account/users/(\d+)/ban`).FindAllStringSubmatch(people, -1)
	if len(m) != 1 {
		t.Fatalf("ban buttons %v:\n%s", m, people)
	}
	if !strings.Contains(people, `data-confirm="Ban Bea Member?`) {
		t.Fatal("ban without a confirmation")
	}
	want(t, bea.post("/account/users/"+m[0][1]+"/ban", nil), http.StatusForbidden)
	p := admin.post("/account/users/"+m[0][1]+"/ban", nil)
	if p.status != http.StatusSeeOther || p.location != "/account/bans" {
		t.Fatalf("ban: %d %q", p.status, p.location)
	}
	bans := admin.follow("/account/bans")
	want(t, bans, http.StatusOK, "Banned. Their messages are being removed.", "Bea Member", "/account/users/"+m[0][1]+"/unban")
	// Signed out; this machine's own address (every test request's) is
	// never banned, or nobody could use the server.
	if bea.get("/profile").status == http.StatusOK {
		t.Fatal("banned person still signed in")
	}
	if strings.Contains(bans.body, "127.0.0.1") {
		t.Fatal("loopback banned")
	}
	if p := bea.post("/session", url.Values{"email": {"bea@example.com"}, "password": {"correct horse"}}); p.status == http.StatusSeeOther {
		t.Fatal("banned person signed in")
	}

	want(t, admin.post("/account/users/"+m[0][1]+"/unban", nil), http.StatusSeeOther)
	want(t, admin.follow("/account/bans"), http.StatusOK, "Unbanned", "Nobody is banned.")
	if p := bea.post("/session", url.Values{"email": {"bea@example.com"}, "password": {"correct horse"}}); p.status != http.StatusSeeOther {
		t.Fatalf("unbanned person can't sign in: %d\n%s", p.status, p.body)
	}
}
