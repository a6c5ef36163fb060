package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

//go:embed static
var staticFS embed.FS

// asset is one static file, ready to serve in each encoding.
type asset struct {
	url         string // /assets/app-3f2a1b9c04de.js
	etag        string // the content hash, quoted; each encoding adds a suffix
	contentType string
	raw, gzip   []byte
	brotli      []byte   // nil when it would not be smaller
	imports     []string // the modules a module imports, by public name
}

// assets are the static files by public name ("app.js") and by hashed file
// name ("app-3f2a1b9c04de.js").
type assets struct {
	byName map[string]*asset
	byFile map[string]*asset
}

// importRE finds a module's relative imports: `from "./x.js"`,
// `import "./x.js"` and `import("./x.js")`. (CSS url() references are not
// rewritten; the stylesheet has none.)
var importRE = regexp.MustCompile(`(\bfrom\s*|\bimport\s*\(?\s*)"\./([a-z0-9_-]+\.js)"`)

// loadAssets hashes every file under static/ and compresses it once. A
// module's relative imports are rewritten to the hashed names of what they
// import, so a change to any module changes the URL of every module that
// depends on it, and the whole graph can be cached forever.
func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]*asset{}, byFile: map[string]*asset{}}
	src := map[string][]byte{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		src[strings.TrimPrefix(p, "static/")] = b
		return err
	})
	if err != nil {
		return nil, err
	}
	visiting := map[string]bool{}
	var build func(name string) (*asset, error)
	build = func(name string) (*asset, error) {
		if as, ok := a.byName[name]; ok {
			return as, nil
		}
		b, ok := src[name]
		if !ok {
			return nil, fmt.Errorf("static file %q not found", name)
		}
		if visiting[name] {
			return nil, fmt.Errorf("static modules import each other in a cycle through %q", name)
		}
		visiting[name] = true
		var imports []string
		if strings.HasSuffix(name, ".js") {
			var buildErr error
			b = importRE.ReplaceAllFunc(b, func(m []byte) []byte {
				sub := importRE.FindSubmatch(m)
				dep, err := build(string(sub[2]))
				if err != nil {
					buildErr = err
					return m
				}
				imports = append(imports, string(sub[2]))
				return []byte(string(sub[1]) + `"./` + path.Base(dep.url) + `"`)
			})
			if buildErr != nil {
				return nil, buildErr
			}
		}
		as, err := newAsset(name, b)
		if err != nil {
			return nil, err
		}
		as.imports = imports
		a.byName[name] = as
		a.byFile[path.Base(as.url)] = as
		return as, nil
	}
	for name := range src {
		if _, err := build(name); err != nil {
			return nil, err
		}
	}
	// Brotli at its best level takes a while per file; do them at once.
	var wg sync.WaitGroup
	errs := make([]error, 0, len(a.byName))
	var mu sync.Mutex
	for _, as := range a.byName {
		wg.Go(func() {
			if err := as.compress(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return a, errors.Join(errs...)
}

// sharedAssets builds the assets once per process: they derive from the
// embedded files alone, so every UI (tests start many) can share them.
var sharedAssets = sync.OnceValues(loadAssets)

func newAsset(name string, b []byte) (*asset, error) {
	sum := sha256.Sum256(b)
	ext := path.Ext(name)
	hashed := strings.TrimSuffix(name, ext) + "-" + hex.EncodeToString(sum[:6]) + ext
	ct := mime.TypeByExtension(ext)
	switch ext { // not every system's MIME table knows these
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".svg":
		ct = "image/svg+xml"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	return &asset{url: "/assets/" + hashed, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, contentType: ct, raw: b}, nil
}

// compress makes the gzip and brotli variants worth serving.
func (as *asset) compress() error {
	if strings.HasPrefix(as.contentType, "image/png") {
		return nil // already compressed
	}
	b := as.raw
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := zw.Write(b); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if gz.Len() < len(b) {
		as.gzip = gz.Bytes()
	}
	var br bytes.Buffer
	// A window of 64 KiB covers every asset (the largest is under 32 KiB);
	// the default 4 MiB window made start-up allocate about 380 MB of
	// hash tables, kept mapped by the runtime long after.
	bw := brotli.NewWriterOptions(&br, brotli.WriterOptions{Quality: brotli.BestCompression, LGWin: 16})
	if _, err := bw.Write(b); err != nil {
		return err
	}
	if err := bw.Close(); err != nil {
		return err
	}
	if br.Len() < len(b) && (as.gzip == nil || br.Len() < len(as.gzip)) {
		as.brotli = br.Bytes()
	}
	return nil
}

// url is the hashed URL of a static file, for templates; an unknown name
// is a bug caught when the templates first render in tests.
func (a *assets) url(name string) (string, error) {
	as, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return as.url, nil
}

// modulePreloads lists the URLs of every module a page's entry module
// imports, directly or not, for <link rel="modulepreload">: the browser
// then fetches the whole graph at once instead of discovering it one
// import level per round trip.
func (a *assets) modulePreloads(entry string) ([]string, error) {
	root, ok := a.byName[entry]
	if !ok {
		return nil, fmt.Errorf("no static file %q", entry)
	}
	var urls []string
	seen := map[string]bool{entry: true}
	var walk func(as *asset)
	walk = func(as *asset) {
		for _, dep := range as.imports {
			if seen[dep] {
				continue
			}
			seen[dep] = true
			d := a.byName[dep]
			urls = append(urls, d.url)
			walk(d)
		}
	}
	walk(root)
	return urls, nil
}

// assetShow serves a static file forever-cached, in the best encoding the
// browser accepts.
func (u *UI) assetShow(w http.ResponseWriter, r *http.Request) {
	as, ok := u.assets.byFile[r.PathValue("file")]
	if !ok {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	u.serveAsset(w, r, as)
}

// faviconShow answers browsers that ask for /favicon.ico regardless. The
// redirect is temporary: the hashed URL changes with the icon.
func (u *UI) faviconShow(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	http.Redirect(w, r, u.assets.byName["icon.svg"].url, http.StatusFound)
}

func (u *UI) serveAsset(w http.ResponseWriter, r *http.Request, as *asset) {
	h := w.Header()
	h.Set("Content-Type", as.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	body, etag := as.raw, as.etag
	switch {
	case as.brotli != nil && accepts(r, "br"):
		h.Set("Content-Encoding", "br")
		body, etag = as.brotli, strings.TrimSuffix(etag, `"`)+`-br"`
	case as.gzip != nil && accepts(r, "gzip"):
		h.Set("Content-Encoding", "gzip")
		body, etag = as.gzip, strings.TrimSuffix(etag, `"`)+`-gz"`
	}
	// Each encoding is its own representation, so its own ETag; a browser
	// that revalidates anyway (a reload) gets a 304 without the body.
	h.Set("ETag", etag)
	if noneMatch(r, etag) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// noneMatch reports whether If-None-Match names etag (weakly, as RFC 9110
// asks for GET), or is "*".
func noneMatch(r *http.Request, etag string) bool {
	for _, v := range r.Header.Values("If-None-Match") {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
			if part == "*" || part == strings.TrimPrefix(etag, "W/") {
				return true
			}
		}
	}
	return false
}

// accepts reports whether Accept-Encoding names coding with a non-zero q.
func accepts(r *http.Request, coding string) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(name), coding) {
				continue
			}
			params = strings.ReplaceAll(params, " ", "")
			if q, ok := strings.CutPrefix(params, "q="); ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					return false
				}
			}
			return true
		}
	}
	return false
}
