package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/web/webtest"
)

// signinLinkServer is the whole stack with pages, and a sign-in budget
// per address large enough for one test's many link checks.
func signinLinkServer(t *testing.T, burst int) *webtest.Server {
	t.Helper()
	srv := webtest.New(t, webtest.Options{UI: true, Core: campfire.Options{LoginBurst: burst, LoginPer: time.Hour}})
	srv.Setup(t)
	return srv
}

// makeLink asks the API for a link as token for whom ("me" or an id).
func makeLink(t *testing.T, srv *webtest.Server, token, whom string) (path string, expires time.Time) {
	t.Helper()
	var res struct {
		URL       string `json:"url"`
		ExpiresAt string `json:"expires_at"`
	}
	srv.Must(t, http.StatusCreated, "POST", "/api/v1/users/"+whom+"/signin_link", nil, token).JSON(t, &res)
	u, err := url.Parse(res.URL)
	if err != nil || u.Host == "" || !strings.HasPrefix(u.Path, "/signin/s1.") {
		t.Fatalf("link url %q", res.URL)
	}
	exp, err := time.Parse(time.RFC3339, res.ExpiresAt)
	if err != nil {
		t.Fatalf("expires_at %q: %v", res.ExpiresAt, err)
	}
	return u.Path, exp
}

func signedIn(b *browser) bool {
	p := b.get("/profile")
	return p.status == http.StatusOK
}

func TestSignInLink(t *testing.T) {
	srv := signinLinkServer(t, 1000)
	bea, beaUser := srv.Join(t, "Bea Member")
	_, cyd := srv.Join(t, "Cyd Member")

	t.Run("signs a second device in, once, after asking", func(t *testing.T) {
		link, exp := makeLink(t, srv, bea, "me")
		if d := time.Until(exp); d < 3*time.Hour+50*time.Minute || d > 4*time.Hour+time.Minute {
			t.Fatalf("expires in %v, want 4h", d)
		}
		phone := newBrowser(t, srv)
		// A GET (a link preview, a mail scanner) only asks.
		want(t, phone.get(link), http.StatusOK, "Sign in as Bea Member", `method="post" action="`+link+`"`)
		if signedIn(phone) {
			t.Fatal("the GET signed in")
		}
		p := phone.post(link, nil)
		if p.status != http.StatusSeeOther || p.location != "/" {
			t.Fatalf("using the link: %d %q\n%s", p.status, p.location, p.body)
		}
		want(t, phone.get("/profile"), http.StatusOK, "bea.member@example.com")
		// Used: another device can't have it.
		want(t, newBrowser(t, srv).post(link, nil), http.StatusNotFound)
		want(t, newBrowser(t, srv).get(link), http.StatusOK) // still names its person until used up or expired
		// Bea's first session is untouched.
		srv.Must(t, http.StatusOK, "GET", "/api/v1/users/me", nil, bea)
	})

	t.Run("tampered or malformed", func(t *testing.T) {
		link, _ := makeLink(t, srv, bea, "me")
		b := newBrowser(t, srv)
		last := link[len(link)-1]
		swap := byte('A')
		if last == 'A' {
			swap = 'B'
		}
		for _, bad := range []string{
			link[:len(link)-1] + string(swap),
			strings.Replace(link, "/signin/s1."+itoa(beaUser.ID)+".", "/signin/s1."+itoa(cyd.ID)+".", 1),
			"/signin/s1.1.2.3.4", "/signin/nonsense", "/signin/" + strings.Repeat("x", 300),
		} {
			want(t, b.get(bad), http.StatusNotFound)
			want(t, b.post(bad, nil), http.StatusNotFound)
		}
		if signedIn(b) {
			t.Fatal("a bad link signed in")
		}
	})

	t.Run("expired", func(t *testing.T) {
		link, _ := makeLink(t, srv, bea, "me")
		srv.Core.SetClock(func() time.Time { return time.Now().Add(4*time.Hour + time.Second) })
		defer srv.Core.SetClock(time.Now)
		b := newBrowser(t, srv)
		want(t, b.get(link), http.StatusNotFound, "expired")
		want(t, b.post(link, nil), http.StatusNotFound)
	})

	t.Run("a password change revokes", func(t *testing.T) {
		link, _ := makeLink(t, srv, bea, "me")
		srv.Must(t, http.StatusOK, "PATCH", "/api/v1/users/me", map[string]string{"password": "a new horse battery"}, bea)
		b := newBrowser(t, srv)
		want(t, b.get(link), http.StatusNotFound)
		want(t, b.post(link, nil), http.StatusNotFound)
	})

	t.Run("only admins make links for others; deactivation revokes", func(t *testing.T) {
		res := srv.Do(t, "POST", "/api/v1/users/"+itoa(cyd.ID)+"/signin_link", nil, bea)
		if res.Status != http.StatusForbidden || res.ErrorCode() != "forbidden" {
			t.Fatalf("member for another: %d %s", res.Status, res.Body)
		}
		if res := srv.Do(t, "POST", "/api/v1/users/999999/signin_link", nil, srv.AdminToken); res.Status != http.StatusNotFound {
			t.Fatalf("unknown user: %d %s", res.Status, res.Body)
		}
		if res := srv.Do(t, "POST", "/api/v1/users/me/signin_link", nil, ""); res.Status != http.StatusUnauthorized {
			t.Fatalf("signed out: %d %s", res.Status, res.Body)
		}
		link, _ := makeLink(t, srv, srv.AdminToken, itoa(cyd.ID))
		want(t, newBrowser(t, srv).get(link), http.StatusOK, "Sign in as Cyd Member")
		srv.Must(t, http.StatusNoContent, "DELETE", "/api/v1/users/"+itoa(cyd.ID), nil, srv.AdminToken)
		b := newBrowser(t, srv)
		want(t, b.get(link), http.StatusNotFound)
		want(t, b.post(link, nil), http.StatusNotFound)
		if res := srv.Do(t, "POST", "/api/v1/users/"+itoa(cyd.ID)+"/signin_link", nil, srv.AdminToken); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("link for a deactivated person: %d %s", res.Status, res.Body)
		}
	})
}

func TestSignInLinkPagesAndQR(t *testing.T) {
	srv := newServer(t)
	admin := setUp(t, srv)
	bea := joinAs(t, srv, admin, "Bea Member", "bea@example.com")

	want(t, bea.get("/profile"), http.StatusOK, `action="/profile/signin_link"`, "Sign in on another device")
	p := bea.post("/profile/signin_link", nil)
	want(t, p, http.StatusOK, "Open this link on your other device")
	// The expiry reads as a local time, and the link has a Copy button.
	if !regexp.MustCompile(`until <time datetime="[^"]+">[^<]*\d{1,2}:\d{2}( [AP]M)?</time>`).MatchString(p.body) {
		t.Fatalf("no readable expiry:\n%s", p.body)
	}
	want(t, p, http.StatusOK, `data-copy="#signin-link-url"`)
	m := regexp.MustCompile(`value="(https?://[^"]+/signin/([^"]+))"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no link on the page:\n%s", p.body)
	}
	if !strings.Contains(p.body, `src="/signin/`+m[2]+`/qr.png"`) {
		t.Fatalf("no QR code on the page:\n%s", p.body)
	}
	qr := bea.get("/signin/" + m[2] + "/qr.png")
	if qr.status != http.StatusOK || qr.header.Get("Content-Type") != "image/png" || len(qr.body) < 500 || !strings.HasPrefix(qr.body, "\x89PNG") {
		t.Fatalf("QR: %d %q %d bytes", qr.status, qr.header.Get("Content-Type"), len(qr.body))
	}
	if anon := newBrowser(t, srv).get("/signin/" + m[2] + "/qr.png"); anon.status == http.StatusOK {
		t.Fatal("QR served to a stranger")
	}

	// The admin's People page offers a link for each person; a member
	// can't use that door.
	want(t, admin.get("/account/users"), http.StatusOK, `/signin_link"`)
	var beaID string
	if m := regexp.MustCompile(`/account/users/(\d+)/signin_link`).FindAllStringSubmatch(admin.get("/account/users").body, -1); len(m) > 0 {
		beaID = m[len(m)-1][1]
	}
	want(t, admin.post("/account/users/"+beaID+"/signin_link", nil), http.StatusOK, "Give this link to")
	want(t, bea.post("/account/users/"+beaID+"/signin_link", nil), http.StatusForbidden)

	// The phone asks, then signs in with the button's POST.
	phone := newBrowser(t, srv)
	want(t, phone.get("/signin/"+m[2]), http.StatusOK, "Sign in as Bea Member")
	if p := phone.post("/signin/"+m[2], nil); p.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", p.status, p.body)
	}
	want(t, phone.follow("/"), http.StatusOK, "Bea Member")
}

func TestSignInLinkRateLimited(t *testing.T) {
	srv := signinLinkServer(t, 3)
	b := newBrowser(t, srv)
	var last page
	for range 4 {
		last = b.get("/signin/s1.1.9999999999.x.y")
	}
	if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
		t.Fatalf("4th guess from one address: %d (Retry-After %q)", last.status, last.header.Get("Retry-After"))
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
