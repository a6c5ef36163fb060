package ui_test

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/campfire-go/campfire/internal/testbin"
)

// TestBrowserMedia, as two people: a link preview card appears live in the
// other window, and an avatar uploaded on the profile page replaces the
// initials in the other window, live.
func TestBrowserMedia(t *testing.T) {
	chromiumPath(t)
	// The linked site, on loopback: the binary may reach it only because
	// the test says so (CAMPFIRE_TEST_UNFURL_ALLOW).
	card := image.NewRGBA(image.Rect(0, 0, 400, 200))
	for i := range card.Pix {
		card.Pix[i] = 0x90
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/card.png" {
			w.Header().Set("Content-Type", "image/png")
			_ = png.Encode(w, card)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><meta property="og:title" content="The Article">
			<meta property="og:description" content="All about <it>.">
			<meta property="og:site_name" content="Example News">
			<meta property="og:image" content="/card.png"></head></html>`)
	}))
	t.Cleanup(site.Close)

	srv := &server{Server: testbin.Start(t, t.TempDir(), "LOG_LEVEL=warn", "CAMPFIRE_TEST_UNFURL_ALLOW=127.0.0.1/32"), t: t}
	setup := srv.api("POST", "/api/v1/setup", "", map[string]string{
		"account_name": "Acme", "name": "Ada Admin", "email": "ada@example.com", "password": password})
	adaToken := setup["token"].(string)
	code := srv.api("GET", "/api/v1/account", adaToken, nil)["join_code"].(string)
	srv.api("POST", "/api/v1/join/"+code, "", map[string]string{"name": "Bea Member", "email": "bea@example.com", "password": password})

	ada := openTab(t, srv, "Ada")
	bea := openTab(t, srv, "Bea")
	for _, p := range []struct {
		b     *tab
		email string
	}{{ada, "ada@example.com"}, {bea, "bea@example.com"}} {
		p.b.open("/session/new")
		p.b.fill(map[string]string{`input[name=email]`: p.email, `input[name=password]`: password}, `button[type=submit]`)
		p.b.waitFor(`!!document.querySelector("#composer-body")`, 10*time.Second)
	}

	t.Run("preview card appears live", func(t *testing.T) {
		ada.t, bea.t = t, t
		srv.bind(t)
		link := site.URL + "/article"
		ada.send("read " + link)
		ada.waitFor(messageWithBody("read "+link), 5*time.Second)
		cardSel := messageWithBody("read "+link) + `?.querySelector(".link-card:not([hidden])")`
		bea.waitFor(cardSel+`?.querySelector(".link-card__title")?.textContent === "The Article"`, 20*time.Second)
		got := eval[map[string]any](bea, `(() => { const c = `+cardSel+`; const img = c.querySelector(".link-card__image");
			return {href: c.href, site: c.querySelector(".link-card__site").textContent,
				desc: c.querySelector(".link-card__description").textContent, src: img.getAttribute("src") || "", hidden: img.hidden}; })()`)
		if got["href"] != link || got["site"] != "Example News" || got["desc"] != "All about <it>." || got["hidden"] != false {
			t.Fatalf("card %v", got)
		}
		if src, _ := got["src"].(string); len(src) < 20 || src[:17] != "/api/v1/messages/" {
			t.Fatalf("card image %q is not served by campfire", src)
		}
		bea.waitFor(cardSel+`.querySelector(".link-card__image").naturalWidth > 0`, 10*time.Second)
		// The first paint renders the same card on the server.
		bea.open("/rooms/1")
		bea.waitFor(cardSel+`?.querySelector(".link-card__title")?.textContent === "The Article"`, 10*time.Second)
	})

	t.Run("uploaded avatar replaces the initials live", func(t *testing.T) {
		ada.t, bea.t = t, t
		srv.bind(t)
		// Bea sees Ada's initials beside her message.
		adaImgs := `[...document.querySelectorAll("img.avatar")].filter((i) => /^\/api\/v1\/users\/1\/avatar/.test(i.getAttribute("src")))`
		bea.waitFor(adaImgs+`.length > 0`, 5*time.Second)

		pic := filepath.Join(t.TempDir(), "ada.png")
		img := image.NewRGBA(image.Rect(0, 0, 300, 200))
		for x := range 300 {
			for y := range 200 {
				img.Set(x, y, color.RGBA{uint8(x), 40, 160, 255})
			}
		}
		f, err := os.Create(pic)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()

		ada.open("/profile")
		// A file that is no picture: the API's lowercase message shows as a
		// sentence.
		notPic := filepath.Join(t.TempDir(), "notes.txt")
		if err := os.WriteFile(notPic, []byte("just text"), 0o644); err != nil {
			t.Fatal(err)
		}
		ada.run(chromedp.SetUploadFiles(chromedp.CSS(`form[data-picture-form] input[type=file]`), []string{notPic}))
		ada.waitFor(`(() => { const e = document.querySelector(".picture-form__error"); return !e.hidden && e.textContent === "The file is not a JPEG, PNG, GIF or WebP image."; })()`, 10*time.Second)
		// Choosing the file is enough: there is no separate Upload button
		// to forget before "Save profile".
		ada.run(chromedp.SetUploadFiles(chromedp.CSS(`form[data-picture-form] input[type=file]`), []string{pic}))
		ada.waitFor(`(document.getElementById("toast") || {}).textContent === "Picture updated."`, 20*time.Second)
		var url string
		deadline := time.Now().Add(20 * time.Second)
		for {
			url, _ = srv.api("GET", "/api/v1/users/1", adaToken, nil)["avatar_url"].(string)
			if len(url) > 0 && !isInitials(srv, adaToken, url) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the upload did not land: %q", url)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// Every picture of Ada in Bea's window now shows the upload.
		bea.waitFor(adaImgs+`.length > 0 && `+adaImgs+`.every((i) => i.getAttribute("src") === `+jsString(url)+` && i.complete && i.naturalWidth === 512)`, 20*time.Second)
		// And in Ada's own window.
		ada.waitFor(adaImgs+`.every((i) => i.getAttribute("src") === `+jsString(url)+`)`, 10*time.Second)
	})
}

// isInitials reports whether an avatar URL still serves the generated SVG.
func isInitials(srv *server, token, url string) bool {
	req, _ := http.NewRequest("GET", srv.Base+url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return true
	}
	res.Body.Close()
	return res.Header.Get("Content-Type") == "image/svg+xml"
}
