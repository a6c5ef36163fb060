package ui

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/web"
)

// visit is what a page handler knows about the request beyond *http.Request.
type visit struct {
	me       chat.User // zero when signed out
	signedIn bool
	clock    clock // the browser's time zone and hour cycle, from its cookie
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, v *visit) error

// contentSecurityPolicy allows only our own scripts, styles, images and
// connections (the cable's ws:// to the same host included): no inline
// script or style, no framing, no plugins, forms post only to us.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// maxFormBytes bounds a form post: a message body (64 KiB) and change.
const maxFormBytes = 256 << 10

func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}

// wrap turns a route into a handler: page headers, cross-origin refusal for
// unsafe methods, authentication, the route's access rule, then the
// handler, whose error becomes a page.
func (u *UI) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w = &pageWriter{ResponseWriter: w, gzip: accepts(r, "gzip"), head: r.Method == http.MethodHead}
		setPageHeaders(w.Header())
		v := &visit{clock: clockFrom(r)}
		unsafe := r.Method != http.MethodGet && r.Method != http.MethodHead
		if unsafe {
			// The session cookie is SameSite=Lax, and this refuses what a
			// browser marks as cross-site anyway (Sec-Fetch-Site/Origin).
			// It covers the signed-out forms too (sign-in, join), which
			// carry no session for web.Authenticate to check.
			if err := u.crossSite.Check(r); err != nil {
				u.fail(w, r, v, chat.Forbidden("this form was sent from another site; reload the page and try again"))
				return
			}
			// Writes from banned addresses were refused by web's Wrap.
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		r, err := u.authenticate(r, v)
		if err != nil {
			u.fail(w, r, v, err)
			return
		}
		if rt.who != anyone && !v.signedIn {
			u.toSignIn(w, r)
			return
		}
		if rt.who == admin && !v.me.IsAdmin() {
			u.fail(w, r, v, chat.Forbidden("Only an administrator can see this page."))
			return
		}
		if err := rt.handle(w, r, v); err != nil {
			u.fail(w, r, v, err)
		}
	})
}

// authenticate asks the API who the session cookie belongs to. No cookie,
// or one for a revoked session, leaves the visit signed out; an outage is
// an error.
func (u *UI) authenticate(r *http.Request, v *visit) (*http.Request, error) {
	r2, err := u.api.Authenticate(r)
	if err != nil {
		if e, ok := chat.AsError(err); ok && e.Kind == chat.KindUnauthorized {
			return r, nil
		}
		return r, err
	}
	me, ok := web.UserFrom(r2.Context())
	if !ok {
		return r, nil
	}
	v.me, v.signedIn = me, true
	return r2, nil
}

// toSignIn sends a signed-out visitor to sign in (or to first run before
// the account exists), coming back here afterwards.
func (u *UI) toSignIn(w http.ResponseWriter, r *http.Request) {
	if ok, err := u.core.IsSetUp(r.Context()); err == nil && !ok {
		http.Redirect(w, r, "/first_run", http.StatusSeeOther)
		return
	}
	target := "/session/new"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?return_to=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localPath accepts a return_to only when it is a path on this site.
// Browsers drop tabs and newlines from URLs and read "\\" as "/", so any of
// them, or any other control or space character, could turn "/\t/evil" into
// "//evil": such values are refused outright, and what is left must parse
// as a bare path.
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") ||
		strings.ContainsFunc(p, func(r rune) bool { return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return "/"
	}
	if u, err := url.Parse(p); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return p
}

func (u *UI) client(r *http.Request) campfire.Client { return web.ClientFrom(r) }

func (u *UI) secure(r *http.Request) bool { return u.api.Secure(r) }

// parseForm reads a posted form, turning an oversized body into a clear
// error rather than a truncated form.
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return chat.Errorf(chat.KindTooLarge, "too_large", "that form is too large")
		}
		return chat.Errorf(chat.KindBadRequest, "bad_form", "that form could not be read")
	}
	return nil
}

// pageWriter carries what writePage needs to know about the request to a
// handler's ResponseWriter. Anything else a handler writes (a redirect, a
// QR code) passes through untouched.
type pageWriter struct {
	http.ResponseWriter
	gzip, head bool // the browser accepts gzip; the request is a HEAD
}

// Unwrap lets http.ResponseController reach the real writer.
func (pw *pageWriter) Unwrap() http.ResponseWriter { return pw.ResponseWriter }

// minGzip is the smallest page worth compressing: below about a packet,
// gzip saves no round trip and its header eats the gain.
const minGzip = 1400

var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return zw
}}

// writePage sends a whole rendered page, gzipped when the browser accepts
// it (a room page shrinks about tenfold). Pages are rendered into a buffer
// before a byte is sent, and are never streamed, ranged or cached
// (no-store, no ETag), so compressing the buffer breaks none of those; the
// WebSocket, the API and the static files (precompressed in assets.go)
// never come through here.
func writePage(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Add("Vary", "Accept-Encoding")
	pw, _ := w.(*pageWriter)
	if pw != nil && pw.gzip && len(body) >= minGzip && h.Get("Content-Encoding") == "" {
		var buf bytes.Buffer
		buf.Grow(len(body) / 4)
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		_, err := zw.Write(body)
		if err == nil {
			err = zw.Close()
		}
		gzipWriters.Put(zw)
		if err == nil && buf.Len() < len(body) {
			h.Set("Content-Encoding", "gzip")
			body = buf.Bytes()
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if pw == nil || !pw.head {
		_, _ = w.Write(body)
	}
}
