package web_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/campfire-go/campfire/internal/sounds"
	"github.com/campfire-go/campfire/internal/wire"
)

func TestSoundsListAndServe(t *testing.T) {
	s := newServer(t)
	var res wire.Sounds
	// Public: a bot has only its key, and the sounds are no secret.
	s.Must(t, http.StatusOK, "GET", "/api/v1/sounds", nil, "").JSON(t, &res)
	if len(res.Sounds) != len(sounds.All()) || len(res.Sounds) < 8 {
		t.Fatalf("sounds = %+v", res.Sounds)
	}
	for _, snd := range res.Sounds {
		if snd.Name == "" || !strings.HasPrefix(snd.URL, "/api/v1/sounds/"+snd.Name+"-") || !strings.HasSuffix(snd.URL, ".wav") {
			t.Fatalf("sound %+v", snd)
		}
		got := s.Must(t, http.StatusOK, "GET", snd.URL, nil, "")
		want, _ := sounds.Lookup(snd.Name)
		if !bytes.Equal(got.Body, want.Data) {
			t.Fatalf("%s: served bytes differ from the embedded file", snd.Name)
		}
		if ct := got.Header.Get("Content-Type"); ct != "audio/wav" {
			t.Fatalf("%s: Content-Type %q", snd.Name, ct)
		}
		if cc := got.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
			t.Fatalf("%s: Cache-Control %q", snd.Name, cc)
		}
	}
	// Ranges, as media elements ask.
	req := s.NewRequest(t, "GET", res.Sounds[0].URL, nil, "")
	req.Header.Set("Range", "bytes=0-3")
	if r := s.Send(t, req); r.Status != http.StatusPartialContent || string(r.Body) != "RIFF" {
		t.Fatalf("range: %d %q", r.Status, r.Body)
	}
	run(t, s, []scenario{
		{"unknown file", "GET", "/api/v1/sounds/tada.wav", nil, "", 404, "not_found"},
		{"traversal", "GET", "/api/v1/sounds/..%2Fsounds.go", nil, "", 404, "not_found"},
		{"post to list", "POST", "/api/v1/sounds", nil, s.AdminToken, 405, ""},
	})
}

func TestSoundsMessages(t *testing.T) {
	s := newServer(t)
	bea, _ := s.Join(t, "Bea Member")
	room := allTalk(t, s)
	tada, _ := sounds.Lookup("tada")

	m := post(t, s, bea, room, "  /PLAY Tada ")
	if m.Sound == nil || m.Sound.Name != "tada" || m.Sound.URL != tada.URL() {
		t.Fatalf("posted /play tada: sound %+v", m.Sound)
	}
	if m.Body != "/PLAY Tada" && m.Body != "  /PLAY Tada " {
		t.Fatalf("body %q: kept as typed", m.Body)
	}
	// Anything else is plain text, as in Campfire.
	for _, body := range []string{"/play nosuch", "/play", "/playtada", "/play tada please", "play tada"} {
		if m := post(t, s, bea, room, body); m.Sound != nil {
			t.Fatalf("%q: sound %+v, want none", body, m.Sound)
		}
	}
	// Read back: the sound is derived from the body on every read.
	var got wire.Message
	s.Must(t, http.StatusOK, "GET", "/api/v1/messages/"+itoa(m.ID), nil, bea).JSON(t, &got)
	if got.Sound == nil || got.Sound.Name != "tada" {
		t.Fatalf("GET the message: sound %+v", got.Sound)
	}
	ms := list(t, s, s.AdminToken, room, "")
	found := false
	for _, x := range ms {
		if x.Sound != nil && x.Sound.Name == "tada" {
			found = true
		}
	}
	if !found {
		t.Fatal("the list does not carry the sound")
	}

	// The bot API gets the same.
	b := createBot(t, s, "Band Bot", "")
	var bm wire.Message
	s.Must(t, http.StatusCreated, "POST", botPath(room, b.BotKey), text("/play trombone"), "").JSON(t, &bm)
	if bm.Sound == nil || bm.Sound.Name != "trombone" {
		t.Fatalf("bot posted /play trombone: sound %+v", bm.Sound)
	}
	var bl messageList
	s.Must(t, http.StatusOK, "GET", botPath(room, b.BotKey), nil, "").JSON(t, &bl)
	if n := len(bl.Messages); n == 0 || bl.Messages[n-1].Sound == nil || bl.Messages[n-1].Sound.Name != "trombone" {
		t.Fatalf("bot list: last message %+v", bl.Messages)
	}

	// An edit changes what it plays (the sound follows the body).
	var ed wire.Message
	s.Must(t, http.StatusOK, "PATCH", "/api/v1/messages/"+itoa(m.ID), map[string]string{"body": "/play bell"}, bea).JSON(t, &ed)
	if ed.Sound == nil || ed.Sound.Name != "bell" {
		t.Fatalf("edited to /play bell: sound %+v", ed.Sound)
	}
	ed = wire.Message{}
	s.Must(t, http.StatusOK, "PATCH", "/api/v1/messages/"+itoa(m.ID), map[string]string{"body": "a bell"}, bea).JSON(t, &ed)
	if ed.Sound != nil {
		t.Fatalf("edited to text: sound %+v", ed.Sound)
	}
}
