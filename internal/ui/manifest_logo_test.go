package ui_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/campfire-go/campfire/internal/web/webtest"
)

// The account logo becomes the installed app's icon, as the account page
// promises; without one the built-in icons stay.
func TestManifestUsesTheLogo(t *testing.T) {
	srv := newServer(t)
	icons := func() []map[string]string {
		t.Helper()
		var m struct {
			Icons []map[string]string `json:"icons"`
		}
		res := srv.Must(t, http.StatusOK, "GET", "/manifest.webmanifest", nil, "")
		if err := json.Unmarshal(res.Body, &m); err != nil {
			t.Fatal(err)
		}
		return m.Icons
	}
	if got := icons(); len(got) < 2 || !strings.HasPrefix(got[0]["src"], "/assets/") {
		t.Fatalf("built-in icons: %v", got)
	}
	srv.Setup(t)
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	var pic, body bytes.Buffer
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "logo.png")
	fw.Write(pic.Bytes())
	mw.Close()
	var up struct {
		LogoURL string `json:"logo_url"`
	}
	srv.Must(t, http.StatusOK, "PUT", "/api/v1/account/logo", webtest.Raw{ContentType: mw.FormDataContentType(), Body: body.String()}, srv.AdminToken).JSON(t, &up)
	got := icons()
	if len(got) != 1 || got[0]["src"] != up.LogoURL || got[0]["sizes"] != "512x512" {
		t.Fatalf("icons after the logo: %v (logo %q)", got, up.LogoURL)
	}
}
