package ui_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// raw fetches a path with the browser's cookies and exactly the headers
// given: no transparent decompression, so the test sees the bytes sent.
func (b *browser) raw(method, path string, header map[string]string) (*http.Response, []byte) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.srv.URL+path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{Jar: b.http.Jar, Transport: &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return res, body
}

func gzipLen(b []byte) int {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Len()
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("broken gzip: %v", err)
	}
	return out
}

// TestPagesAreCompressed: a page is gzipped for a browser that asks, sent
// as is to one that does not, and says it varies by Accept-Encoding.
func TestPagesAreCompressed(t *testing.T) {
	srv := newServer(t)
	b := setUp(t, srv)
	// A full first page of messages (40), mine so each may be edited.
	for i := range 40 {
		b.post("/rooms/1/messages", url.Values{"body": {fmt.Sprintf("message %d with `code` and a [link](https://example.com)", i)}})
	}
	plainRes, plain := b.raw("GET", "/rooms/1", nil)
	t.Logf("room page with 40 messages: %d bytes, %d gzipped (level 6)", len(plain), gzipLen(plain))
	if plainRes.StatusCode != http.StatusOK || plainRes.Header.Get("Content-Encoding") != "" {
		t.Fatalf("without Accept-Encoding: %d, Content-Encoding %q", plainRes.StatusCode, plainRes.Header.Get("Content-Encoding"))
	}
	res, body := b.raw("GET", "/rooms/1", map[string]string{"Accept-Encoding": "gzip, deflate, br"})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("room page with Accept-Encoding gzip: Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") || !strings.Contains(plainRes.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("Vary %q / %q lacks Accept-Encoding", res.Header.Get("Vary"), plainRes.Header.Get("Vary"))
	}
	if res.Header.Get("Content-Length") != "" && res.ContentLength != int64(len(body)) {
		t.Fatalf("Content-Length %d for %d bytes", res.ContentLength, len(body))
	}
	page := gunzip(t, body)
	if !bytes.Contains(page, []byte(`id="composer"`)) || !bytes.HasSuffix(bytes.TrimSpace(page), []byte("</html>")) {
		t.Fatalf("the gzipped page does not decode to the page:\n%s", page)
	}
	if len(body)*4 > len(plain) {
		t.Errorf("gzipped %d of %d bytes: compression did little", len(body), len(plain))
	}
	// q=0 refuses gzip.
	if res, _ := b.raw("GET", "/rooms/1", map[string]string{"Accept-Encoding": "gzip;q=0"}); res.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 still got %q", res.Header.Get("Content-Encoding"))
	}
	// Redirects and HEAD are untouched by it.
	if res, body := b.raw("HEAD", "/rooms/1", map[string]string{"Accept-Encoding": "gzip"}); res.StatusCode != http.StatusOK || len(body) != 0 {
		t.Errorf("HEAD: %d with %d bytes", res.StatusCode, len(body))
	}
	if res, _ := b.raw("GET", "/", map[string]string{"Accept-Encoding": "gzip"}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Content-Encoding") != "" {
		t.Errorf("redirect: %d, Content-Encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
}

var (
	moduleRE  = regexp.MustCompile(`<script type="module" src="(/assets/[^"]+)"`)
	preloadRE = regexp.MustCompile(`<link rel="modulepreload" href="(/assets/[^"]+)"`)
	importsRE = regexp.MustCompile(`(?:from\s*|import\s*\(?\s*)"\./([^"]+\.js)"`)
)

// TestModulesArePreloaded: every module the page's scripts import,
// however deep, is named in the page head (the scripts themselves are
// there already), so the browser fetches the graph in one round instead of
// one round per level of imports.
func TestModulesArePreloaded(t *testing.T) {
	srv := newServer(t)
	b := setUp(t, srv)
	p := b.follow("/rooms/1")
	var queue []string
	for _, m := range moduleRE.FindAllStringSubmatch(p.body, -1) {
		queue = append(queue, m[1])
	}
	if len(queue) == 0 {
		t.Fatal("no module script in the page")
	}
	preloaded := map[string]bool{}
	for _, m := range preloadRE.FindAllStringSubmatch(p.body, -1) {
		preloaded[m[1]] = true
	}
	// Walk the real import graph, as the browser would.
	seen := map[string]bool{}
	for _, u := range queue {
		seen[u], preloaded[u] = true, true
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		res, src := b.raw("GET", u, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", u, res.StatusCode)
		}
		for _, m := range importsRE.FindAllStringSubmatch(string(src), -1) {
			dep := "/assets/" + m[1]
			if seen[dep] {
				continue
			}
			seen[dep] = true
			queue = append(queue, dep)
			if !preloaded[dep] {
				t.Errorf("%s is imported (by %s) but not preloaded", dep, u)
			}
		}
	}
	if len(seen) < 5 {
		t.Fatalf("only %d modules found in the graph", len(seen))
	}
}

// TestAssetRevalidation: a static file has an ETag per encoding, and
// revalidating answers 304 with no body; compression does not break it.
func TestAssetRevalidation(t *testing.T) {
	srv := newServer(t)
	b := setUp(t, srv)
	p := b.follow("/rooms/1")
	m := regexp.MustCompile(`href="(/assets/style-[^"]+\.css)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("no stylesheet in the page")
	}
	for _, enc := range []string{"", "gzip", "br"} {
		h := map[string]string{}
		if enc != "" {
			h["Accept-Encoding"] = enc
		}
		res, body := b.raw("GET", m[1], h)
		etag := res.Header.Get("ETag")
		if res.StatusCode != http.StatusOK || etag == "" || res.Header.Get("Content-Encoding") != enc {
			t.Fatalf("%q: %d, ETag %q, Content-Encoding %q", enc, res.StatusCode, etag, res.Header.Get("Content-Encoding"))
		}
		if enc == "gzip" {
			gunzip(t, body)
		}
		h["If-None-Match"] = etag
		res, body = b.raw("GET", m[1], h)
		if res.StatusCode != http.StatusNotModified || len(body) != 0 || res.Header.Get("ETag") != etag {
			t.Fatalf("%q revalidated: %d with %d bytes, ETag %q", enc, res.StatusCode, len(body), res.Header.Get("ETag"))
		}
		h["If-None-Match"] = `"something-else"`
		if res, _ := b.raw("GET", m[1], h); res.StatusCode != http.StatusOK {
			t.Fatalf("%q with another ETag: %d", enc, res.StatusCode)
		}
	}
	// The avatars' ETag (the API's) still revalidates through the same
	// server.
	res, _ := b.raw("GET", "/api/v1/users/1/avatar", map[string]string{"Accept-Encoding": "gzip"})
	etag := res.Header.Get("ETag")
	if res.StatusCode != http.StatusOK || etag == "" {
		t.Fatalf("avatar: %d, ETag %q", res.StatusCode, etag)
	}
	if res, _ := b.raw("GET", "/api/v1/users/1/avatar", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
		t.Fatalf("avatar revalidated: %d", res.StatusCode)
	}
}
