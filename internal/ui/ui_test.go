package ui_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/campfire-go/campfire/internal/web/webtest"
)

// newServer is the real stack, built by the composition root, with the
// pages mounted.
func newServer(t *testing.T) *webtest.Server {
	t.Helper()
	return webtest.New(t, webtest.Options{UI: true})
}

// browser is a cookie-keeping client that does not follow redirects, so
// tests see where a page sends them.
type browser struct {
	t    *testing.T
	srv  *webtest.Server
	http *http.Client
}

func newBrowser(t *testing.T, srv *webtest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, srv: srv, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status   int
	header   http.Header
	body     string
	location string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(body), location: res.Header.Get("Location")}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

// follow GETs a page and follows its redirects.
func (b *browser) follow(path string) page {
	b.t.Helper()
	for range 10 {
		p := b.get(path)
		if p.status != http.StatusSeeOther && p.status != http.StatusFound && p.status != http.StatusMovedPermanently {
			return p
		}
		path = p.location
	}
	b.t.Fatalf("too many redirects from %s", path)
	return page{}
}

func want(t *testing.T, p page, status int, contains ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d\n%s", p.status, status, p.body)
	}
	for _, s := range contains {
		if !strings.Contains(p.body, s) {
			t.Fatalf("page lacks %q:\n%s", s, p.body)
		}
	}
}

// setUp runs first run through the form and returns the admin's browser.
func setUp(t *testing.T, srv *webtest.Server) *browser {
	t.Helper()
	b := newBrowser(t, srv)
	p := b.post("/first_run", url.Values{"account_name": {"Acme"}, "name": {"Ada Admin"},
		"email": {"ada@example.com"}, "password": {"correct horse"}})
	if p.status != http.StatusSeeOther || p.location != "/" {
		t.Fatalf("first run: %d → %q\n%s", p.status, p.location, p.body)
	}
	return b
}

// joinAs signs a person up through the join link.
func joinAs(t *testing.T, srv *webtest.Server, admin *browser, name, email string) *browser {
	t.Helper()
	acct := admin.get("/account")
	m := regexp.MustCompile(`/join/([a-z0-9-]+)`).FindStringSubmatch(acct.body)
	if m == nil {
		t.Fatalf("no join link on the account page:\n%s", acct.body)
	}
	b := newBrowser(t, srv)
	want(t, b.get("/join/"+m[1]), http.StatusOK, "Join Acme")
	p := b.post("/join/"+m[1], url.Values{"name": {name}, "email": {email}, "password": {"correct horse"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("join: %d\n%s", p.status, p.body)
	}
	return b
}

func TestFirstRunSignInSignOut(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t, srv)

	p := b.get("/")
	if p.status != http.StatusSeeOther || p.location != "/first_run" {
		t.Fatalf("before setup / → %d %q, want /first_run", p.status, p.location)
	}
	want(t, b.get("/session/new"), http.StatusSeeOther)
	want(t, b.get("/first_run"), http.StatusOK, "Set up your Campfire")

	// Bad input is a readable page, not an error.
	p = b.post("/first_run", url.Values{"account_name": {"Acme"}, "name": {"Ada"}, "email": {"nope"}, "password": {"short"}})
	want(t, p, http.StatusUnprocessableEntity, "form-error", `value="Acme"`)

	admin := setUp(t, srv)
	room := admin.follow("/")
	want(t, room, http.StatusOK, "All Talk", `id="composer"`, "Welcome to your Campfire")
	if got := room.header.Get("Content-Security-Policy"); !strings.Contains(got, "script-src 'self'") || strings.Contains(got, "unsafe-inline") {
		t.Errorf("CSP = %q", got)
	}
	if got := room.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}

	// First run is over: its page sends people to sign in.
	want(t, newBrowser(t, srv).get("/first_run"), http.StatusSeeOther)

	// Sign out, then the room needs signing in again.
	p = admin.post("/session/delete", nil)
	if p.status != http.StatusSeeOther || p.location != "/session/new" {
		t.Fatalf("sign out: %d %q", p.status, p.location)
	}
	p = admin.get("/rooms/1")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/session/new?return_to=%2Frooms%2F1") {
		t.Fatalf("signed out room → %d %q", p.status, p.location)
	}

	// The sign-in page names the admin to ask for help.
	want(t, admin.get("/session/new"), http.StatusOK, "Sign in to Acme", "Ask Ada Admin", "mailto:ada@example.com")
	p = admin.post("/session", url.Values{"email": {"ada@example.com"}, "password": {"wrong password"}})
	want(t, p, http.StatusUnauthorized, "Email or password is incorrect", `value="ada@example.com"`)
	p = admin.post("/session", url.Values{"email": {"ada@example.com"}, "password": {"correct horse"}, "return_to": {"/rooms/1"}})
	if p.status != http.StatusSeeOther || p.location != "/rooms/1" {
		t.Fatalf("sign in: %d %q", p.status, p.location)
	}
	p = admin.post("/session", url.Values{"email": {"ada@example.com"}, "password": {"correct horse"}, "return_to": {"//evil.example"}})
	if p.location != "/" {
		t.Fatalf("return_to to another site was followed: %q", p.location)
	}
}

func TestRoomPageRendersMessagesInert(t *testing.T) {
	srv := newServer(t)
	admin := setUp(t, srv)
	// Post through the no-JavaScript composer form.
	want(t, admin.post("/rooms/1/messages", url.Values{"body": {"hello **world**"}, "client_message_id": {"c1"}}), http.StatusSeeOther)
	want(t, admin.post("/rooms/1/messages", url.Values{"body": {`<script>alert(1)</script><img src=x onerror=alert(2)>`}}), http.StatusSeeOther)
	want(t, admin.post("/rooms/1/messages", url.Values{"body": {"🎉🔥"}}), http.StatusSeeOther)

	// A hostile person's name and room name.
	bea := joinAs(t, srv, admin, `Bea <img src=x onerror=alert(3)>`, "bea@example.com")
	p := bea.post("/rooms", url.Values{"name": {`<script>alert(4)</script>`}, "type": {"open"}})
	want(t, p, http.StatusSeeOther)
	want(t, bea.post(p.location+"/messages", url.Values{"body": {"hi"}}), http.StatusSeeOther)

	room := admin.get("/rooms/1")
	want(t, room, http.StatusOK, "<strong>world</strong>", "message__body--emoji", `data-body="hello **world**"`)
	if strings.Count(room.body, "<strong>world</strong>") != 1 {
		t.Errorf("message rendered more than once")
	}
	other := admin.get(p.location)
	for _, pg := range []page{room, other} {
		if strings.Contains(pg.body, "<script>alert") || strings.Contains(pg.body, "<img src=x onerror") {
			t.Fatalf("user input rendered as markup:\n%s", pg.body)
		}
	}
	want(t, other, http.StatusOK, "&lt;script&gt;alert(4)&lt;/script&gt;", "Bea &lt;img src=x onerror=alert(3)&gt;")
}

func TestPermalinkAndNotFound(t *testing.T) {
	srv := newServer(t)
	admin := setUp(t, srv)
	for i := range 50 {
		want(t, admin.post("/rooms/1/messages", url.Values{"body": {"message " + string(rune('A'+i%26))}}), http.StatusSeeOther)
	}
	p := admin.get("/rooms/1/@10")
	want(t, p, http.StatusOK, "message--highlight", `data-focus="10"`, `data-at-end="false"`)
	if !strings.Contains(p.body, `id="message_10"`) {
		t.Fatal("permalink page lacks its message")
	}
	for _, path := range []string{"/rooms/1/@nope", "/rooms/1/@999", "/rooms/999", "/rooms/x", "/users/999", "/no/such/page"} {
		want(t, admin.get(path), http.StatusNotFound, "Not found")
	}
}

func TestClosedRoomInvisibleToOthers(t *testing.T) {
	srv := newServer(t)
	admin := setUp(t, srv)
	bea := joinAs(t, srv, admin, "Bea", "bea@example.com")
	p := admin.post("/rooms", url.Values{"name": {"Secret plans"}, "type": {"closed"}})
	want(t, p, http.StatusSeeOther)
	want(t, admin.get(p.location), http.StatusOK, "Secret plans")
	want(t, bea.get(p.location), http.StatusNotFound)
	if strings.Contains(bea.follow("/").body, "Secret plans") {
		t.Fatal("a closed room shows in a non-member's sidebar")
	}
	// A blank name is a form error, not a crash.
	want(t, admin.post("/rooms", url.Values{"name": {"  "}, "type": {"open"}}), http.StatusUnprocessableEntity, "can&#39;t be blank")
}

func TestSearchAndRecentSearches(t *testing.T) {
	srv := newServer(t)
	admin := setUp(t, srv)
	want(t, admin.post("/rooms/1/messages", url.Values{"body": {"the quarterly numbers are in"}}), http.StatusSeeOther)
	p := admin.get("/search?q=quarterly")
	want(t, p, http.StatusOK, "1 message", "/rooms/1/@1", "quarterly numbers")
	want(t, admin.get("/search"), http.StatusOK, `href="/search?q=quarterly"`)
}

func TestAdminPagesAndRoles(t *testing.T) {
	srv := newServer(t)
	admin := setUp(t, srv)
	bea := joinAs(t, srv, admin, "Bea", "bea@example.com")
	for _, path := range []string{"/account", "/account/users", "/account/bots", "/account/join_code.png"} {
		want(t, bea.get(path), http.StatusForbidden)
		want(t, admin.get(path), http.StatusOK)
	}
	png := admin.get("/account/join_code.png")
	if png.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(png.body, "\x89PNG") {
		t.Fatalf("QR code is not a PNG: %q", png.header.Get("Content-Type"))
	}
	p := admin.post("/account/bots", url.Values{"name": {"Deploy Bot"}, "webhook_url": {""}})
	want(t, p, http.StatusOK, "Deploy Bot", "curl -d", "/messages", "shown once")
	want(t, admin.post("/account/bots", url.Values{"name": {"Hooky"}, "webhook_url": {"ftp://nope"}}), http.StatusUnprocessableEntity, "webhook_url")

	// Every signed-in page renders.
	for _, path := range []string{"/rooms/new", "/pings/new", "/profile", "/users/1", "/search?q=x", "/rooms/1/edit", "/rooms/1/delete"} {
		want(t, admin.get(path), http.StatusOK)
	}
	// Cross-site form posts are refused.
	req, _ := http.NewRequest("POST", srv.URL+"/rooms", strings.NewReader("name=x&type=open"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	want(t, admin.do(req), http.StatusForbidden)
}

func TestAssets(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t, srv)
	p := b.get("/first_run")
	css := regexp.MustCompile(`/assets/style-[0-9a-f]{12}\.css`).FindString(p.body)
	js := regexp.MustCompile(`/assets/app-[0-9a-f]{12}\.js`).FindString(p.body)
	if css == "" || js == "" {
		t.Fatalf("no hashed asset URLs in:\n%s", p.body)
	}
	for _, enc := range []string{"br", "gzip", ""} {
		req, _ := http.NewRequest("GET", srv.URL+js, nil)
		req.Header.Set("Accept-Encoding", enc)
		res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != enc {
			t.Fatalf("Accept-Encoding %q: %d, Content-Encoding %q", enc, res.StatusCode, res.Header.Get("Content-Encoding"))
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("Cache-Control = %q", got)
		}
		if res.Header.Get("Vary") != "Accept-Encoding" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
			t.Errorf("headers = %v", res.Header)
		}
		if enc == "" && !regexp.MustCompile(`from "\./cable-[0-9a-f]{12}\.js"`).Match(body) {
			t.Errorf("app.js imports are not rewritten to hashed names")
		}
	}
	want(t, b.get("/assets/app.js"), http.StatusNotFound)
}

func TestRoomSettingsPingsAndProfile(t *testing.T) {
	srv := newServer(t)
	admin := setUp(t, srv)
	bea := joinAs(t, srv, admin, "Bea", "bea@example.com")
	_ = joinAs(t, srv, admin, "Cy", "cy@example.com")

	// A closed room with Bea, then renamed, then Bea taken out.
	p := admin.post("/rooms", url.Values{"name": {"Plans"}, "type": {"closed"}, "user_ids": {"2"}})
	want(t, p, http.StatusSeeOther)
	room := p.location
	want(t, bea.get(room), http.StatusOK, "Plans")
	want(t, admin.get(room+"/edit"), http.StatusOK, `value="2" checked`, `value="3">`)
	want(t, admin.post(room, url.Values{"name": {"Big plans"}, "type": {"closed"}, "people": {"1"}}), http.StatusSeeOther)
	want(t, admin.get(room), http.StatusOK, "Big plans")
	want(t, bea.get(room), http.StatusNotFound)
	// Bea can't change a room she didn't make.
	want(t, bea.post("/rooms/1", url.Values{"name": {"Mine now"}}), http.StatusForbidden, "Only the room&#39;s creator")
	// Open it: everyone is in.
	want(t, admin.post(room, url.Values{"name": {"Big plans"}, "type": {"open"}, "people": {"1"}}), http.StatusSeeOther)
	want(t, bea.get(room), http.StatusOK, "Big plans")

	// The bell, without JavaScript.
	want(t, bea.post(room+"/involvement", url.Values{"involvement": {"everything"}}), http.StatusSeeOther)
	want(t, bea.get(room), http.StatusOK, `data-involvement="everything"`)
	want(t, bea.post(room+"/involvement", url.Values{"involvement": {"loud"}}), http.StatusUnprocessableEntity)

	// Delete asks first, then deletes.
	want(t, admin.get(room+"/delete"), http.StatusOK, "can't be undone", "Delete Big plans")
	want(t, admin.post(room+"/delete", nil), http.StatusSeeOther)
	want(t, admin.get(room), http.StatusNotFound)

	// A ping with two people; the same people again open the same room.
	p = bea.post("/pings", url.Values{"user_ids": {"1", "3"}})
	want(t, p, http.StatusSeeOther)
	again := bea.post("/pings", url.Values{"user_ids": {"3", "1"}})
	if again.location != p.location {
		t.Fatalf("the same people got a second ping: %s, %s", p.location, again.location)
	}
	ping := admin.get(p.location)
	want(t, ping, http.StatusOK, "Bea, Cy", `data-direct="true"`)
	want(t, bea.post("/pings", nil), http.StatusUnprocessableEntity, "form-error")
	want(t, bea.post("/pings", url.Values{"user_ids": {"x"}}), http.StatusUnprocessableEntity)

	// Profile: a taken email is a form error; a good change sticks.
	want(t, bea.post("/profile", url.Values{"name": {"Bea"}, "email": {"ada@example.com"}}), http.StatusConflict, "already uses that email")
	want(t, bea.post("/profile", url.Values{"name": {"Beatrice"}, "bio": {"Writes things"}, "email": {"bea@example.com"}}), http.StatusSeeOther)
	want(t, admin.get("/users/2"), http.StatusOK, "Beatrice", "Writes things", "Ping Beatrice")
	want(t, bea.get("/users/2"), http.StatusOK, "Edit my profile")
}

func TestAdministration(t *testing.T) {
	srv := newServer(t)
	admin := setUp(t, srv)
	bea := joinAs(t, srv, admin, "Bea", "bea@example.com")

	// Roles: Bea becomes an admin and can see the account page.
	want(t, admin.post("/account/users/2/role", url.Values{"role": {"admin"}}), http.StatusSeeOther)
	want(t, bea.get("/account"), http.StatusOK, "Invite people")
	want(t, admin.post("/account/users/2/role", url.Values{"role": {"member"}}), http.StatusSeeOther)
	want(t, bea.get("/account"), http.StatusForbidden)
	// Not oneself.
	want(t, admin.post("/account/users/1/role", url.Values{"role": {"member"}}), http.StatusSeeOther)
	want(t, admin.get("/account"), http.StatusOK)

	// A new join link retires the old one.
	old := regexp.MustCompile(`/join/[a-z0-9-]+`).FindString(admin.get("/account").body)
	want(t, admin.post("/account/join_code", nil), http.StatusSeeOther)
	want(t, newBrowser(t, srv).get(old), http.StatusNotFound)
	want(t, admin.post("/account", url.Values{"name": {"Acme Two"}}), http.StatusSeeOther)
	want(t, admin.get("/account"), http.StatusOK, `value="Acme Two"`)
	want(t, admin.post("/account", url.Values{"name": {""}}), http.StatusUnprocessableEntity)

	// Bots: created with a key shown once, which works; reset makes a new one.
	p := admin.post("/account/bots", url.Values{"name": {"Deploy"}, "webhook_url": {"https://example.com/hook"}})
	key := regexp.MustCompile(`id="bot-key-(\d+)" value="([^"]+)"`).FindStringSubmatch(p.body)
	if key == nil {
		t.Fatalf("no bot key on the page:\n%s", p.body)
	}
	botPost := func(k string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/rooms/1/"+k+"/messages", strings.NewReader("deployed"))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := botPost(key[2]); s != http.StatusCreated {
		t.Fatalf("bot post with the shown key: %d", s)
	}
	if strings.Contains(admin.get("/account/bots").body, key[2]) {
		t.Fatal("the bot key is shown again")
	}
	p = admin.post("/account/bots/"+key[1]+"/key", nil)
	newKey := regexp.MustCompile(`id="bot-key-\d+" value="([^"]+)"`).FindStringSubmatch(p.body)
	if newKey == nil || newKey[1] == key[2] || botPost(key[2]) != http.StatusNotFound || botPost(newKey[1]) != http.StatusCreated {
		t.Fatal("resetting the key did not replace it")
	}
	want(t, admin.post("/account/bots/"+key[1], url.Values{"name": {"Deployer"}, "webhook_url": {""}}), http.StatusSeeOther)
	want(t, admin.get("/account/bots"), http.StatusOK, "Deployer")
	want(t, admin.post("/account/bots/"+key[1]+"/delete", nil), http.StatusSeeOther)
	if botPost(newKey[1]) != http.StatusNotFound {
		t.Fatal("a removed bot can still post")
	}

	// Deactivating Bea signs her out.
	want(t, admin.post("/account/users/2/deactivate", nil), http.StatusSeeOther)
	if p := bea.get("/rooms/1"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/session/new") {
		t.Fatalf("a deactivated person still sees rooms: %d %q", p.status, p.location)
	}
}

// Pages read ids the way the API does: only canonical decimal names a room.
func TestPageIDsAreCanonical(t *testing.T) {
	srv := newServer(t)
	admin := setUp(t, srv)
	want(t, admin.get("/rooms/1"), http.StatusOK)
	for _, path := range []string{"/rooms/01", "/rooms/+1", "/rooms/1.0"} {
		if p := admin.get(path); p.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, p.status)
		}
	}
}
