package ui

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
)

func TestClockFormatsAsTheBrowserDoes(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: clockCookie, Value: "Europe%2FBerlin%3Bh23"})
	c := clockFrom(r)
	at := time.Date(2026, 3, 9, 22, 5, 0, 0, time.UTC) // 23:05 in Berlin
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if got := c.Time(at); got != "23:05" {
		t.Errorf("Time = %q", got)
	}
	if got := c.Day(at, now); got != "Monday, March 9" {
		t.Errorf("Day = %q", got)
	}
	if got := c.Day(at, now.AddDate(1, 0, 0)); got != "Monday, March 9, 2026" {
		t.Errorf("Day in another year = %q", got)
	}

	for _, v := range []string{"", "garbage", "..%2F..%2Fetc%3Bh12", "Nowhere%2FAtAll%3Bh12"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: clockCookie, Value: v})
		c := clockFrom(r)
		if c.loc != time.UTC || !c.hour12 {
			t.Errorf("cookie %q: clock %v hour12=%v, want UTC 12-hour", v, c.loc, c.hour12)
		}
		if got := c.Time(at); got != "10:05 PM" {
			t.Errorf("cookie %q: Time = %q", v, got)
		}
	}
}

func TestMessageLayout(t *testing.T) {
	base := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	me := chat.User{ID: 1}
	ms := []chat.Message{
		{ID: 1, CreatorID: 1, CreatedAt: base, Body: "hi"},
		{ID: 2, CreatorID: 1, CreatedAt: base.Add(time.Minute), Body: "🎉", Mentions: []int64{1}},
		{ID: 3, CreatorID: 2, CreatedAt: base.Add(2 * time.Minute), Body: "yo"},
		{ID: 4, CreatorID: 2, CreatedAt: base.Add(8 * time.Minute), Body: "later"},
		{ID: 5, CreatorID: 2, CreatedAt: base.Add(24 * time.Hour), Body: "next day"},
	}
	vs := messageViews(ms, me, clock{loc: time.UTC, hour12: true}, base, 3)
	type want struct {
		sep             string
		cont, mine, men bool
		emoji, hl, edit bool
	}
	wants := []want{
		{sep: "Monday, March 9", mine: true, edit: true},
		{cont: true, mine: true, men: true, emoji: true, edit: true},
		{hl: true},
		{},
		{sep: "Tuesday, March 10"},
	}
	for i, w := range wants {
		v := vs[i]
		got := want{v.DaySeparator, v.Continued, v.Mine, v.MentionsMe, v.EmojiOnly, v.Highlight, v.CanEdit}
		if got != w {
			t.Errorf("message %d: %+v, want %+v", i+1, got, w)
		}
	}
}

func TestAcceptsEncoding(t *testing.T) {
	for _, c := range []struct {
		header, coding string
		want           bool
	}{
		{"gzip, deflate, br", "br", true},
		{"gzip;q=1.0, br;q=0", "br", false},
		{"GZIP", "gzip", true},
		{"identity", "gzip", false},
		{"br;q=0.5", "br", true},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", c.header)
		if got := accepts(r, c.coding); got != c.want {
			t.Errorf("accepts(%q, %q) = %v", c.header, c.coding, got)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/rooms/1": "/rooms/1", "": "/", "https://evil.example/": "/", "//evil.example": "/",
		"/\\evil.example": "/", "rooms": "/", "/a\r\nb": "/",
		"/\t/evil.example": "/", "/\v/evil.example": "/", "/ /evil.example": "/", "/\u00a0/evil": "/",
		"/rooms/1/@5?x=1#m": "/rooms/1/@5?x=1#m", "/search?q=a%20b": "/search?q=a%20b",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
