// Package ui serves Campfire's web pages: server-rendered HTML for the first
// paint (html/template), plus a few committed ES modules that keep a page
// live over the cable and talk to the JSON API. Nothing here needs Node: the
// JavaScript and CSS in static/ are embedded as they are, served at
// content-hash URLs, precompressed once at start.
//
// Every page route is in the table in routes.go; each handler lives in a
// file named after its noun and verb (room_show.go, session_create.go…).
// Handlers return an error; fail (errors.go) turns it into a readable page.
//
// Untrusted text reaches a page three ways, each escaped: html/template for
// server-rendered pages, textContent/attributes for what the JavaScript
// renders, and a message's body_html, which is sanitized by internal/render
// before it is stored and is the one piece of HTML inserted as HTML.
package ui

import (
	"log/slog"
	"net/http"
	"time"

	_ "time/tzdata" // local times for any zone a browser names, even without system zoneinfo

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/web"
)

// Deps is what the UI needs from the composition root.
type Deps struct {
	Core *campfire.Core
	// API authenticates requests (session cookie), sets and clears the
	// session cookie and knows the client's address; the pages share the
	// API's sessions rather than keep their own.
	API    *web.API
	Logger *slog.Logger
	// AllowedOrigins are extra origins whose browsers may submit forms,
	// as for the API (the server's own origin is always allowed).
	AllowedOrigins []string
	// Now replaces time.Now (tests).
	Now func() time.Time
}

// UI serves the pages and assets. Build it with New.
type UI struct {
	core *campfire.Core
	api  *web.API
	log  *slog.Logger
	now  func() time.Time

	assets    *assets
	pages     *pages
	crossSite *http.CrossOriginProtection
}

// New builds the UI: it parses the templates and hashes and compresses the
// static files once. A broken embedded template is a bug, so it panics.
func New(d Deps) *UI {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Core == nil || d.API == nil {
		panic("ui: Deps.Core and Deps.API are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	u := &UI{core: d.Core, api: d.API, log: d.Logger, now: d.Now}
	var err error
	if u.assets, err = sharedAssets(); err != nil {
		panic("ui: " + err.Error())
	}
	if u.pages, err = parsePages(u.assets); err != nil {
		panic("ui: " + err.Error())
	}
	u.crossSite = http.NewCrossOriginProtection()
	for _, o := range d.AllowedOrigins {
		if err := u.crossSite.AddTrustedOrigin(o); err != nil {
			u.log.Warn("ignoring allowed origin", "origin", o, "err", err)
		}
	}
	return u
}
