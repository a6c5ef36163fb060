package web

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/campfire-go/campfire/internal/chat"
)

// FuzzDecode feeds arbitrary bodies and content types to the one JSON
// decoder, for the request structs that carry the most user input. It must
// never panic, and every failure must be a client error (4xx).
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`{"body":"hello","client_message_id":"c-1"}`,
		`{"name":"Room","type":"open","user_ids":[1,2,3]}`,
		`{"email":"a@b.c","password":"secret"}`,
		`{"user_ids":null,"name":null}`,
		`{"user_ids":[1e400]}`,
		`{"user_ids":[-1, 9223372036854775808]}`,
		`{"type":5}`,
		`{"body":"\ud800"}`,
		"{\"body\":\"\xff\xfe\"}",
		`{"body":"x"} trailing`,
		`{"body":"x"}{"body":"y"}`,
		`[]`, `null`, `""`, `0`, ``, `{`, `}`,
		strings.Repeat("[", 20000),
		`{"a":` + strings.Repeat(`{"a":`, 100) + `1` + strings.Repeat("}", 101),
	}
	for _, s := range seeds {
		f.Add([]byte(s), "application/json")
	}
	f.Add([]byte(`{"body":"x"}`), "application/json; charset=utf-8")
	f.Add([]byte(`{"body":"x"}`), "text/plain")
	f.Add([]byte(`{"body":"x"}`), "application/json; charset")
	f.Add([]byte(`{"body":"x"}`), "")

	a := New(Deps{Limits: chat.DefaultLimits})
	a.maxJSON = 4 << 10 // small, so the fuzzer reaches the limit too
	targets := []func() any{
		func() any { return new(messageRequest) },
		func() any { return new(roomRequest) },
		func() any { return new(sessionRequest) },
		func() any { return new(profileRequest) },
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		for _, target := range targets {
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			r.Header.Set("Content-Type", contentType)
			err := a.decode(httptest.NewRecorder(), r, target())
			if err == nil {
				continue
			}
			status, detail := classify(context.Background(), err)
			if status < 400 || status >= 500 || detail.Code == "" || detail.Message == "" {
				t.Fatalf("decode %q (%q): %v → %d %+v", body, contentType, err, status, detail)
			}
		}
	})
}

func TestDecodeNamesTheField(t *testing.T) {
	a := New(Deps{Limits: chat.DefaultLimits})
	cases := map[string]string{
		`{"user_ids":"1"}`:    `field "user_ids" must be an array of integers`,
		`{"name":1}`:          `field "name" must be a string`,
		`{"user_ids":[true]}`: `"user_ids`,
	}
	for body, want := range cases {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		err := a.decode(httptest.NewRecorder(), r, new(roomRequest))
		status, detail := classify(context.Background(), err)
		if status != http.StatusBadRequest || detail.Code != "invalid_field" || !strings.Contains(detail.Message, want) {
			t.Errorf("%s: %d %+v, want a message with %q", body, status, detail, want)
		}
	}
}

func TestInitials(t *testing.T) {
	for name, want := range map[string]string{
		"Jason Fried":          "JF",
		"dhh":                  "D",
		"  ":                   "?",
		"Mary-Jane van Dyke":   "MD",
		"élodie":               "É",
		"<script> x":           "<X",
		"\U0001F525 fire team": "\U0001F525T",
	} {
		if got := initials(name); got != want {
			t.Errorf("initials(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestClientIP(t *testing.T) {
	cases := []struct {
		trust  bool
		remote string
		xff    []string
		want   string
	}{
		{false, "192.0.2.1:1234", []string{"203.0.113.9"}, "192.0.2.1"},
		{true, "192.0.2.1:1234", []string{"203.0.113.9"}, "203.0.113.9"},
		{true, "192.0.2.1:1234", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{true, "192.0.2.1:1234", []string{"1.1.1.1", "203.0.113.9 "}, "203.0.113.9"},
		{true, "192.0.2.1:1234", []string{"garbage"}, "192.0.2.1"},
		{true, "[::ffff:192.0.2.1]:1234", nil, "192.0.2.1"},
		{false, "[2001:db8::1]:80", nil, "2001:db8::1"},
	}
	for _, c := range cases {
		a := New(Deps{Limits: chat.DefaultLimits, TrustProxy: c.trust})
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := a.clientOf(r).IP; got != c.want {
			t.Errorf("%+v: %q", c, got)
		}
	}
}
