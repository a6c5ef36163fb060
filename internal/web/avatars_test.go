package web_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/web/webtest"
	"github.com/campfire-go/campfire/internal/wire"
)

// stripes is a w×h PNG in three vertical bands, red, green and blue, so a
// centre crop of a wide one is all green.
func stripes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		c := color.RGBA{0, 200, 0, 255}
		switch {
		case x < w/3:
			c = color.RGBA{200, 0, 0, 255}
		case x >= 2*w/3:
			c = color.RGBA{0, 0, 200, 255}
		}
		for y := range h {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bomb is a valid 1×1 PNG whose header claims w×h pixels.
func bomb(t *testing.T, w, h uint32) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	p := b.Bytes()
	// Signature (8), length (4), "IHDR" (4), then width and height.
	binary.BigEndian.PutUint32(p[16:], w)
	binary.BigEndian.PutUint32(p[20:], h)
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	return p
}

// multipartFile is a form with data in a "file" field.
func multipartFile(t *testing.T, data []byte) webtest.Raw {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", "me.png")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return webtest.Raw{ContentType: mw.FormDataContentType(), Body: b.String()}
}

func TestAvatarUpload(t *testing.T) {
	s := newServer(t)
	bobToken, bob := s.Join(t, "Bob Stone")
	before := bob.AvatarURL
	if !strings.HasPrefix(before, fmt.Sprintf("/api/v1/users/%d/avatar?v=", bob.ID)) {
		t.Fatalf("avatar_url %q", before)
	}
	// The initials, revalidated at the plain URL and immutable at the
	// versioned one.
	res := s.Must(t, http.StatusOK, "GET", before, nil, bobToken)
	if ct := res.Header.Get("Content-Type"); ct != "image/svg+xml" || !strings.Contains(string(res.Body), ">BS<") {
		t.Fatalf("initials: %s %s", ct, res.Body)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Fatalf("versioned initials Cache-Control %q", cc)
	}

	var up wire.User
	s.Must(t, http.StatusOK, "PUT", "/api/v1/users/me/avatar", multipartFile(t, stripes(t, 900, 300)), bobToken).JSON(t, &up)
	if up.ID != bob.ID || up.AvatarURL == before || !strings.HasPrefix(up.AvatarURL, fmt.Sprintf("/api/v1/users/%d/avatar?v=", bob.ID)) {
		t.Fatalf("after upload: %+v (was %q)", up, before)
	}
	s.Events.Wait(t, 20*time.Second, wire.TypeUserUpdated, nil)
	// Everyone sees the new URL wherever the user appears.
	var seen wire.User
	s.Must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/users/%d", bob.ID), nil, s.AdminToken).JSON(t, &seen)
	if seen.AvatarURL != up.AvatarURL {
		t.Fatalf("others see %q, want %q", seen.AvatarURL, up.AvatarURL)
	}
	m := post(t, s, bobToken, allTalk(t, s), "hello")
	if m.Creator.AvatarURL != up.AvatarURL {
		t.Fatalf("message creator avatar_url %q", m.Creator.AvatarURL)
	}

	res = s.Must(t, http.StatusOK, "GET", up.AvatarURL, nil, s.AdminToken)
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("headers %v", res.Header)
	}
	img, format, err := image.Decode(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 512 || b.Dy() != 512 || res.Header.Get("Content-Type") != "image/"+format {
		t.Fatalf("stored avatar %s %v, served as %s", format, b, res.Header.Get("Content-Type"))
	}
	// A centre crop of red|green|blue is green from edge to edge.
	for _, pt := range []image.Point{{2, 2}, {509, 2}, {256, 256}, {2, 509}, {509, 509}} {
		r, g, b, _ := img.At(pt.X, pt.Y).RGBA()
		if g>>8 < 150 || r>>8 > 60 || b>>8 > 60 {
			t.Fatalf("pixel %v is %d,%d,%d: not a centre crop", pt, r>>8, g>>8, b>>8)
		}
	}
	// The plain URL (pages) revalidates.
	res = s.Must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/users/%d/avatar", bob.ID), nil, s.AdminToken)
	if cc := res.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Fatalf("plain URL Cache-Control %q", cc)
	}

	// A second, different picture is a new URL; the same one again the same.
	var up2 wire.User
	s.Must(t, http.StatusOK, "POST", "/api/v1/users/me/avatar", webtest.Raw{ContentType: "image/png", Body: string(stripes(t, 300, 900))}, bobToken).JSON(t, &up2)
	if up2.AvatarURL == up.AvatarURL {
		t.Fatal("a new picture kept the URL")
	}
	// The old picture is gone from storage: its URL now shows the new one.
	s.Must(t, http.StatusOK, "GET", up.AvatarURL, nil, s.AdminToken)

	var back wire.User
	s.Must(t, http.StatusOK, "DELETE", "/api/v1/users/me/avatar", nil, bobToken).JSON(t, &back)
	if back.AvatarURL != before {
		t.Fatalf("after removal %q, want the initials' %q", back.AvatarURL, before)
	}
	res = s.Must(t, http.StatusOK, "GET", back.AvatarURL, nil, bobToken)
	if res.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("after removal: %s", res.Header.Get("Content-Type"))
	}
}

func TestAvatarRefusals(t *testing.T) {
	s := newServer(t)
	bobToken, bob := s.Join(t, "Bob")
	eveToken, eve := s.Join(t, "Eve")
	good := stripes(t, 64, 64)
	run(t, s, []scenario{
		{"not an image", "PUT", "/api/v1/users/me/avatar", multipartFile(t, []byte("hello, not a picture")), bobToken, 415, "unsupported_image"},
		{"svg", "PUT", "/api/v1/users/me/avatar", multipartFile(t, []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)), bobToken, 415, "unsupported_image"},
		{"decompression bomb", "PUT", "/api/v1/users/me/avatar", multipartFile(t, bomb(t, 100_000, 100_000)), bobToken, 422, "image_too_large"},
		{"too many pixels", "PUT", "/api/v1/users/me/avatar", multipartFile(t, bomb(t, 10_000, 10_000)), bobToken, 422, "image_too_large"},
		{"corrupt", "PUT", "/api/v1/users/me/avatar", multipartFile(t, good[:len(good)/2]), bobToken, 422, "invalid_image"},
		{"zero size", "PUT", "/api/v1/users/me/avatar", multipartFile(t, bomb(t, 0, 5)), bobToken, 422, "invalid_image"},
		{"too large", "PUT", "/api/v1/users/me/avatar", webtest.Raw{ContentType: "image/png", Body: string(good) + strings.Repeat("x", 11<<20)}, bobToken, 413, "too_large"},
		{"no file field", "PUT", "/api/v1/users/me/avatar", webtest.Raw{ContentType: "application/json", Body: "{}"}, bobToken, 400, ""},
		{"member for another", "PUT", fmt.Sprintf("/api/v1/users/%d/avatar", eve.ID), multipartFile(t, good), bobToken, 403, ""},
		{"member removes another's", "DELETE", fmt.Sprintf("/api/v1/users/%d/avatar", eve.ID), nil, bobToken, 403, ""},
		{"signed out", "PUT", "/api/v1/users/me/avatar", multipartFile(t, good), "", 401, ""},
		{"admin for a missing user", "PUT", "/api/v1/users/999999/avatar", multipartFile(t, good), s.AdminToken, 404, ""},
		{"member sets the logo", "PUT", "/api/v1/account/logo", multipartFile(t, good), bobToken, 403, ""},
		{"member removes the logo", "DELETE", "/api/v1/account/logo", nil, bobToken, 403, ""},
		{"no logo yet", "GET", "/logo", nil, "", 404, ""},
		{"admin for another", "PUT", fmt.Sprintf("/api/v1/users/%d/avatar", bob.ID), multipartFile(t, good), s.AdminToken, 200, ""},
		{"myself by id", "PUT", fmt.Sprintf("/api/v1/users/%d/avatar", eve.ID), multipartFile(t, good), eveToken, 200, ""},
	})
}

// A rename changes the initials, so avatar_url changes and user.updated
// tells everyone.
func TestRenameChangesInitials(t *testing.T) {
	s := newServer(t)
	bobToken, bob := s.Join(t, "Bob Stone")
	var renamed wire.User
	s.Must(t, http.StatusOK, "PATCH", "/api/v1/users/me", map[string]string{"name": "Robert Stone"}, bobToken).JSON(t, &renamed)
	if renamed.AvatarURL == bob.AvatarURL {
		t.Fatalf("avatar_url %q did not change with the name", renamed.AvatarURL)
	}
	s.Events.Wait(t, 20*time.Second, wire.TypeUserUpdated, nil)
	if svg := string(s.Must(t, http.StatusOK, "GET", renamed.AvatarURL, nil, bobToken).Body); !strings.Contains(svg, ">RS<") {
		t.Fatalf("initials %s", svg)
	}
}

// Someone with a photo keeps it across a rename, and everyone still
// learns the new name live.
func TestRenameWithPhotoIsLive(t *testing.T) {
	s := newServer(t)
	bobToken, _ := s.Join(t, "Bob Stone")
	s.Must(t, http.StatusOK, "PUT", "/api/v1/users/me/avatar", multipartFile(t, stripes(t, 300, 300)), bobToken)
	s.Must(t, http.StatusOK, "PATCH", "/api/v1/users/me", map[string]string{"name": "Robert Stone"}, bobToken)
	s.Events.Wait(t, 20*time.Second, wire.TypeUserUpdated, func(e broker.Event) bool {
		return strings.Contains(string(e.Frame), `"Robert Stone"`)
	})
}

func TestBotAvatarGlyph(t *testing.T) {
	s := newServer(t)
	var bot struct {
		ID        int64  `json:"id"`
		AvatarURL string `json:"avatar_url"`
	}
	s.Must(t, http.StatusCreated, "POST", "/api/v1/bots", map[string]string{"name": "Deploy Bot"}, s.AdminToken).JSON(t, &bot)
	res := s.Must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/users/%d/avatar", bot.ID), nil, s.AdminToken)
	if res.Header.Get("Content-Type") != "image/svg+xml" || strings.Contains(string(res.Body), ">DB<") || !strings.Contains(string(res.Body), "<circle") {
		t.Fatalf("bot avatar: %s", res.Body)
	}
}

func TestAccountLogo(t *testing.T) {
	s := newServer(t)
	var up struct {
		LogoURL string `json:"logo_url"`
	}
	s.Must(t, http.StatusOK, "PUT", "/api/v1/account/logo", multipartFile(t, stripes(t, 200, 100)), s.AdminToken).JSON(t, &up)
	if !strings.HasPrefix(up.LogoURL, "/logo?v=") {
		t.Fatalf("logo_url %q", up.LogoURL)
	}
	res := s.Must(t, http.StatusOK, "GET", up.LogoURL, nil, "") // favicons come without credentials
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Fatalf("Cache-Control %q", cc)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(res.Body))
	if err != nil || cfg.Width != 512 || cfg.Height != 512 {
		t.Fatalf("logo %v %dx%d", err, cfg.Width, cfg.Height)
	}
	s.Must(t, http.StatusNoContent, "DELETE", "/api/v1/account/logo", nil, s.AdminToken)
	s.Must(t, http.StatusNotFound, "GET", up.LogoURL, nil, "")
}
