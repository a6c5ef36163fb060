package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/unfurl"
	"github.com/campfire-go/campfire/internal/web/webtest"
	"github.com/campfire-go/campfire/internal/wire"
)

// previewServer is a stack whose link preview fetcher may reach the test's
// own loopback pages (production refuses loopback).
func previewServer(t *testing.T) *webtest.Server {
	t.Helper()
	s := webtest.New(t, webtest.Options{Register: func(_ *http.ServeMux, s *webtest.Server) {
		s.Core.SetPreviews(campfire.PreviewConfig{Fetcher: unfurl.New(unfurl.Config{
			AllowForTests: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		})})
	}})
	s.Setup(t)
	return s
}

// linkedSite serves an HTML page with OpenGraph tags and its image.
func linkedSite(t *testing.T) *httptest.Server {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1200, 630))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, img); err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/card.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(pngBytes.Bytes())
		case "/plain":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<title>Plain page</title><meta name="description" content="Just a page.">`)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<html><head><title>fallback</title>
				<meta property="og:title" content="The &lt;b&gt;Article&lt;/b&gt;">
				<meta property="og:description" content="All about it.">
				<meta property="og:site_name" content="Example News">
				<meta property="og:image" content="/card.png"></head><body>hi</body></html>`)
		}
	}))
	t.Cleanup(site.Close)
	return site
}

// cable is a raw socket subscribed to a room.
func cable(t *testing.T, s *webtest.Server, token string, roomID int64) *websocket.Conn {
	t.Helper()
	url := "ws" + strings.TrimPrefix(s.URL, "http") + "/api/v1/cable"
	ws, _, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial(url, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if roomID != 0 {
		if err := ws.WriteJSON(map[string]any{"type": "subscribe", "room_id": roomID}); err != nil {
			t.Fatal(err)
		}
		nextFrame(t, ws, "subscribed", nil)
	}
	return ws
}

type frame struct {
	Type    string       `json:"type"`
	Message wire.Message `json:"message"`
	User    wire.User    `json:"user"`
}

// nextFrame reads frames until one of type typ for which match (nil: any)
// holds.
func nextFrame(t *testing.T, ws *websocket.Conn, typ string, match func(frame) bool) frame {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("frame %s: %v", b, err)
		}
		if f.Type == typ && (match == nil || match(f)) {
			return f
		}
	}
}

// A message with a link gets its card, live as message.updated; the image is
// proxied to room members only; an edit without the link removes it.
func TestLinkPreview(t *testing.T) {
	s := previewServer(t)
	site := linkedSite(t)
	room := allTalk(t, s)
	bobToken, _ := s.Join(t, "Bob")
	ws := cable(t, s, bobToken, room)

	m := post(t, s, s.AdminToken, room, "read this: "+site.URL+"/article.")
	if m.Preview != nil {
		t.Fatalf("a card before fetching: %+v", m.Preview)
	}
	f := nextFrame(t, ws, "message.updated", func(f frame) bool { return f.Message.ID == m.ID && f.Message.Preview != nil })
	p := f.Message.Preview
	if p.URL != site.URL+"/article" || p.Title != "The <b>Article</b>" || p.Description != "All about it." ||
		p.SiteName != "Example News" || !strings.HasPrefix(p.ImageURL, fmt.Sprintf("/api/v1/messages/%d/preview_image?v=", m.ID)) {
		t.Fatalf("card %+v", p)
	}
	// Stored: every read has it.
	var got wire.Message
	s.Must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/messages/%d", m.ID), nil, bobToken).JSON(t, &got)
	if got.Preview == nil || *got.Preview != *p {
		t.Fatalf("stored card %+v, want %+v", got.Preview, p)
	}

	// The image, re-encoded and scaled down, from this server.
	res := s.Must(t, http.StatusOK, "GET", p.ImageURL, nil, bobToken)
	if ct := res.Header.Get("Content-Type"); ct != "image/jpeg" && ct != "image/png" {
		t.Fatalf("image Content-Type %q", ct)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") ||
		!strings.HasPrefix(res.Header.Get("Cache-Control"), "private") {
		t.Fatalf("image headers %v", res.Header)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(res.Body))
	if err != nil || cfg.Width != 600 || cfg.Height != 315 {
		t.Fatalf("image %v %dx%d, want 600x315", err, cfg.Width, cfg.Height)
	}

	// A closed room's preview image is not served to others.
	closed := createRoom(t, s, s.AdminToken, "Secret", "closed")
	secret := post(t, s, s.AdminToken, closed.ID, site.URL+"/secret")
	adminWS := cable(t, s, s.AdminToken, closed.ID)
	sf := nextFrame(t, adminWS, "message.updated", func(f frame) bool { return f.Message.ID == secret.ID && f.Message.Preview != nil })
	s.Must(t, http.StatusOK, "GET", sf.Message.Preview.ImageURL, nil, s.AdminToken)
	if res := s.Do(t, "GET", sf.Message.Preview.ImageURL, nil, bobToken); res.Status != http.StatusNotFound {
		t.Fatalf("non-member got the preview image: %d", res.Status)
	}
	if res := s.Do(t, "GET", sf.Message.Preview.ImageURL, nil, ""); res.Status != http.StatusUnauthorized {
		t.Fatalf("signed out got the preview image: %d", res.Status)
	}
	// No image for a message without a preview.
	plain := post(t, s, s.AdminToken, room, "no link")
	s.Must(t, http.StatusNotFound, "GET", fmt.Sprintf("/api/v1/messages/%d/preview_image", plain.ID), nil, s.AdminToken)

	// An edit to another link replaces the card (fallback title); an edit
	// without a link removes it.
	s.Must(t, http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/messages/%d", m.ID), map[string]string{"body": "now " + site.URL + "/plain"}, s.AdminToken)
	f = nextFrame(t, ws, "message.updated", func(f frame) bool {
		return f.Message.ID == m.ID && f.Message.Preview != nil && f.Message.Preview.Title == "Plain page"
	})
	if f.Message.Preview.Description != "Just a page." || f.Message.Preview.ImageURL != "" {
		t.Fatalf("replaced card %+v", f.Message.Preview)
	}
	s.Must(t, http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/messages/%d", m.ID), map[string]string{"body": "never mind"}, s.AdminToken)
	nextFrame(t, ws, "message.updated", func(f frame) bool {
		return f.Message.ID == m.ID && f.Message.Preview == nil && f.Message.Body == "never mind"
	})
	// The update after the edit's own may carry the removal; wait for the
	// stored state rather than for a count of frames.
	eventually(t, "the card to go", func() bool {
		var got wire.Message
		s.Must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/messages/%d", m.ID), nil, bobToken).JSON(t, &got)
		return got.Preview == nil
	})
	// The old image went with it.
	if res := s.Do(t, "GET", p.ImageURL, nil, bobToken); res.Status != http.StatusNotFound {
		t.Fatalf("old preview image: %d", res.Status)
	}
}

// The production fetcher refuses the server's own loopback: a link to it
// gets no card, while a later message with a permitted one does.
func TestLinkPreviewRefusesLoopback(t *testing.T) {
	s := webtest.New(t, webtest.Options{}) // the engine's own fetcher
	s.Setup(t)
	site := linkedSite(t)
	room := allTalk(t, s)
	m := post(t, s, s.AdminToken, room, site.URL+"/article")
	eventually(t, "the refusal in the log", func() bool { return strings.Contains(s.Logs(), "not a public address") })
	var got wire.Message
	s.Must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/messages/%d", m.ID), nil, s.AdminToken).JSON(t, &got)
	if got.Preview != nil {
		t.Fatalf("a loopback page was previewed: %+v", got.Preview)
	}
}

// eventually polls cond until it holds, failing after 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An edit that removes the link while its page is still being fetched
// leaves no card: the fetch in flight must not store a preview for a link
// the message no longer has. One worker, so the second message's card
// proves the first message's job (and any rerun) is over.
func TestLinkPreviewEditDuringFetch(t *testing.T) {
	s := webtest.New(t, webtest.Options{Register: func(_ *http.ServeMux, s *webtest.Server) {
		s.Core.SetPreviews(campfire.PreviewConfig{Workers: 1, Fetcher: unfurl.New(unfurl.Config{
			AllowForTests: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		})})
	}})
	s.Setup(t)
	fetching, release := make(chan struct{}), make(chan struct{})
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(fetching)
			<-release
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<title>Page %s</title>`, r.URL.Path)
	}))
	t.Cleanup(site.Close)
	room := allTalk(t, s)
	ws := cable(t, s, s.AdminToken, room)

	m := post(t, s, s.AdminToken, room, "oops, private: "+site.URL+"/slow")
	select {
	case <-fetching:
	case <-time.After(20 * time.Second):
		t.Fatal("the page was never fetched")
	}
	s.Must(t, http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/messages/%d", m.ID), map[string]string{"body": "never mind"}, s.AdminToken)
	close(release)
	next := post(t, s, s.AdminToken, room, site.URL+"/next")
	nextFrame(t, ws, "message.updated", func(f frame) bool { return f.Message.ID == next.ID && f.Message.Preview != nil })
	var got wire.Message
	s.Must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/messages/%d", m.ID), nil, s.AdminToken).JSON(t, &got)
	if got.Preview != nil {
		t.Fatalf("a card for a link the message no longer has: %+v (body %q)", got.Preview, got.Body)
	}
}
