package ui

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

const (
	flashCookie = "flash"
	// clockCookie is written by app.js: "<IANA zone>;h12|h23", so the
	// server renders times the way the browser's JavaScript would.
	clockCookie = "clock"
	// searchesCookie holds recent searches, sent only to /search.
	searchesCookie = "recent_searches"
)

func (u *UI) setSession(w http.ResponseWriter, r *http.Request, token string) {
	u.api.SetSessionCookie(w, r, token)
}

// flash is a one-time notice shown on the next page.
type flash struct {
	Notice string
	Alert  string
}

// redirect sends the browser to path with a notice to show there.
func (u *UI) redirect(w http.ResponseWriter, r *http.Request, path, notice string) {
	if notice != "" {
		http.SetCookie(w, &http.Cookie{
			Name: flashCookie, Value: url.QueryEscape(notice), Path: "/", MaxAge: 60,
			HttpOnly: true, Secure: u.secure(r), SameSite: http.SameSiteLaxMode,
		})
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// takeFlash reads and clears the notice left by the last redirect.
func (u *UI) takeFlash(w http.ResponseWriter, r *http.Request) flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return flash{}
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: u.secure(r), SameSite: http.SameSiteLaxMode})
	msg, err := url.QueryUnescape(c.Value)
	if err != nil || len(msg) > 300 {
		return flash{}
	}
	return flash{Notice: msg}
}

// clock formats times as the browser does: in its zone, 12- or 24-hour.
type clock struct {
	loc    *time.Location
	hour12 bool
}

var locations sync.Map // zone name → *time.Location; a handful per server

func clockFrom(r *http.Request) clock {
	c := clock{loc: time.UTC, hour12: true}
	ck, err := r.Cookie(clockCookie)
	if err != nil {
		return c
	}
	v, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return c
	}
	zone, cycle, _ := strings.Cut(v, ";")
	c.hour12 = cycle != "h23"
	if zone == "" || len(zone) > 64 || strings.ContainsAny(zone, ". \\") {
		return c
	}
	if l, ok := locations.Load(zone); ok {
		c.loc = l.(*time.Location)
		return c
	}
	if l, err := time.LoadLocation(zone); err == nil {
		locations.Store(zone, l)
		c.loc = l
	}
	return c
}

// Time is "3:04 PM" or "15:04", as static/messages.js formats it.
func (c clock) Time(t time.Time) string {
	t = t.In(c.loc)
	if c.hour12 {
		return t.Format("3:04 PM")
	}
	return t.Format("15:04")
}

// Day is a day separator's label, as static/messages.js formats it.
func (c clock) Day(t, now time.Time) string {
	t = t.In(c.loc)
	if t.Year() != now.In(c.loc).Year() {
		return t.Format("Monday, January 2, 2006")
	}
	return t.Format("Monday, January 2")
}

// DayKey identifies the local day of t.
func (c clock) DayKey(t time.Time) string { return t.In(c.loc).Format("2006-01-02") }

// DateTime is a full local timestamp for titles and search results.
func (c clock) DateTime(t time.Time, now time.Time) string {
	return c.Day(t, now) + " at " + c.Time(t)
}
