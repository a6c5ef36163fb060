package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/campfire-go/campfire/internal/wire"
)

// The installable app: the web manifest, the service worker and the
// offline shell it falls back to. All three are public (a manifest is
// fetched without cookies, a service worker script too) and carry nothing
// personal; the account's name is already on the sign-in page.

// themeColor is the app's colour in the title bar and on the splash
// screen: the icon's background.
const themeColor = "#2b2118"

type manifestIcon struct {
	Src     string `json:"src"`
	Sizes   string `json:"sizes"`
	Type    string `json:"type,omitempty"`
	Purpose string `json:"purpose"`
}

// manifestShow renders the web manifest with the account's name.
func (u *UI) manifestShow(w http.ResponseWriter, r *http.Request) {
	name, logo, err := u.core.AccountBrand(r.Context())
	if err != nil {
		u.log.Warn("manifest: account name", "err", err)
		name, logo = "Campfire", ""
	}
	icon := func(file, sizes, purpose string) manifestIcon {
		as := u.assets.byName[file]
		return manifestIcon{Src: as.url, Sizes: sizes, Type: as.contentType, Purpose: purpose}
	}
	icons := []manifestIcon{
		icon("app-icon-192.png", "192x192", "any"),
		icon("app-icon-512.png", "512x512", "any"),
		icon("app-icon-maskable-512.png", "512x512", "maskable"),
		icon("icon.svg", "any", "any"),
	}
	if logo != "" {
		// The account's logo is the app's icon: a 512 px square (stored
		// that way on upload). It has no safe zone for a mask, so it is
		// "any" only and the built-in maskable icon goes.
		icons = []manifestIcon{{Src: wire.LogoURL(logo), Sizes: "512x512", Purpose: "any"}}
	}
	b, _ := json.Marshal(struct {
		ID              string         `json:"id"`
		Name            string         `json:"name"`
		ShortName       string         `json:"short_name"`
		Description     string         `json:"description"`
		StartURL        string         `json:"start_url"`
		Scope           string         `json:"scope"`
		Display         string         `json:"display"`
		BackgroundColor string         `json:"background_color"`
		ThemeColor      string         `json:"theme_color"`
		Icons           []manifestIcon `json:"icons"`
	}{
		ID: "/", Name: name, ShortName: name, Description: "Group chat",
		StartURL: "/", Scope: "/", Display: "standalone",
		BackgroundColor: themeColor, ThemeColor: themeColor,
		Icons: icons,
	})
	h := w.Header()
	h.Set("Content-Type", "application/manifest+json")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}

// serviceWorker is sw.js with its constants, built once per process.
type serviceWorker struct {
	script  []byte
	version string
}

// buildServiceWorker prepends VERSION and SHELL to static/sw.js. SHELL is
// every static file but the worker itself; VERSION hashes their URLs (which
// hash their contents) and the worker, so any change installs a new cache.
func buildServiceWorker(a *assets) (serviceWorker, error) {
	src, err := staticFS.ReadFile("static/sw.js")
	if err != nil {
		return serviceWorker{}, err
	}
	var shell []string
	for name, as := range a.byName {
		if name != "sw.js" {
			shell = append(shell, as.url)
		}
	}
	slices.Sort(shell)
	sum := sha256.New()
	sum.Write(src)
	sum.Write([]byte(strings.Join(shell, "\n")))
	version := hex.EncodeToString(sum.Sum(nil)[:6])
	list, _ := json.Marshal(shell)
	var b bytes.Buffer
	b.WriteString(`const VERSION = "` + version + "\";\nconst SHELL = ")
	b.Write(list)
	b.WriteString(";\n")
	b.Write(src)
	return serviceWorker{script: b.Bytes(), version: version}, nil
}

// sharedWorker builds the worker once per process, like sharedAssets.
var sharedWorker = sync.OnceValues(func() (serviceWorker, error) {
	a, err := sharedAssets()
	if err != nil {
		return serviceWorker{}, err
	}
	return buildServiceWorker(a)
})

// serviceWorkerShow serves /sw.js. Browsers check it for updates on every
// navigation (at most daily when cached), so it is revalidated, never
// cached for long.
func (u *UI) serviceWorkerShow(w http.ResponseWriter, r *http.Request) {
	sw, err := sharedWorker()
	if err != nil {
		u.log.Error("service worker", "err", err)
		http.Error(w, "unavailable", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"sw-`+sw.version+`"`)
	if noneMatch(r, `"sw-`+sw.version+`"`) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(sw.script)
}

var offlinePage = template.Must(template.New("offline").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="light dark">
<meta name="theme-color" content="` + themeColor + `">
<title>Offline · {{.Name}}</title>
<link rel="icon" href="{{.Icon}}" type="image/svg+xml">
<link rel="manifest" href="/manifest.webmanifest">
<link rel="stylesheet" href="{{.Style}}">
<script type="module" src="{{.Script}}"></script>
</head>
<body data-page="offline">
<main id="main" class="bare" tabindex="-1">
<h1>{{.Name}}</h1>
<p class="offline" id="offline-notice" role="status">You're offline. Reconnecting… Messages can't be sent until then.</p>
<p>This page will load again as soon as the network is back. <a href="/">Try again</a></p>
</main>
</body>
</html>
`))

// offlineShow is the shell the service worker shows for a page it cannot
// reach. It names the account only.
func (u *UI) offlineShow(w http.ResponseWriter, r *http.Request) {
	name, err := u.core.AccountName(r.Context())
	if err != nil {
		name = "Campfire"
	}
	setPageHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = offlinePage.Execute(w, struct{ Name, Icon, Style, Script string }{
		name, u.assets.byName["icon.svg"].url, u.assets.byName["style.css"].url, u.assets.byName["push.js"].url,
	})
}
