package web

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
)

type ctxKey int

const (
	infoKey ctxKey = iota
	authKey
)

// requestInfo is what Wrap learns about a request, shared with the
// handlers below it through the context so the one log line can say who
// asked and how it ended.
type requestInfo struct {
	id     string
	client campfire.Client
	userID int64  // set once authenticated
	code   string // error code, set by WriteError
}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey).(*requestInfo)
	return info
}

// errBanned refuses writes from a banned address.
var errBanned = chat.Errorf(chat.KindRateLimited, "banned", "writes from your network address are blocked")

// Wrap is the middleware around the whole server (API and UI routes): request id,
// security headers, client address, the banned-address gate for writes,
// panic recovery, and one log line per request.
func (a *API) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: a.requestID(r), client: a.clientOf(r)}
		// Every request's work is bounded: a database or Redis that stops
		// answering without closing the connection would otherwise hold it
		// for as long as the outage (75 s seen), past the server's write
		// deadline; past this one it answers 503 unavailable.
		// (Not a WebSocket's life: the cable's goroutines do not use it.)
		ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
		defer cancel()
		r = r.WithContext(context.WithValue(ctx, infoKey, info))
		rw := &responseWriter{ResponseWriter: w}
		h := rw.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Request-Id", info.id)

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				err := fmt.Errorf("panic: %v\n%s", p, debug.Stack())
				if rw.status != 0 {
					// Too late for an answer: log, then let the server cut
					// the connection so the client sees a broken response.
					a.log.Error("panic after the answer started", "request_id", info.id,
						"method", r.Method, "route", routeLabel(r), "err", err)
					a.finish(r, rw, info, start)
					panic(http.ErrAbortHandler)
				}
				a.WriteError(rw, r, err)
			}
			a.finish(r, rw, info, start)
		}()

		if !isSafeMethod(r.Method) && a.core.IPBanned(info.client.IP) {
			a.WriteError(rw, r, errBanned)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// finish writes the request's log line and reports it to the metrics hook.
// It logs the route pattern and the path with its secrets redacted
// (loggedPath): bot keys live in paths. Never the query (tokens can hide
// there), headers (Authorization, cookies) or bodies (passwords).
func (a *API) finish(r *http.Request, rw *responseWriter, info *requestInfo, start time.Time) {
	status := rw.status
	if status == 0 {
		status = http.StatusOK // the handler wrote nothing
	}
	d := time.Since(start)
	if a.observe != nil {
		a.observe(RequestStats{Method: r.Method, Route: r.Pattern, Status: status, Code: info.code, Bytes: rw.bytes, Duration: d})
	}
	level := slog.LevelInfo
	switch r.Pattern {
	case "GET /health", "GET /up", "GET /ready":
		level = slog.LevelDebug // load balancers ask every few seconds
	}
	if !a.log.Enabled(r.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", info.id),
		slog.String("method", r.Method),
		slog.String("route", routeLabel(r)),
		slog.String("path", loggedPath(r)),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.Int64("bytes", rw.bytes),
		slog.String("ip", info.client.IP),
	}
	if info.userID != 0 {
		attrs = append(attrs, slog.Int64("user", info.userID))
	}
	if info.code != "" {
		attrs = append(attrs, slog.String("code", info.code))
	}
	a.log.LogAttrs(r.Context(), level, "request", attrs...)
}

func routeLabel(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	return r.Pattern
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// maxRequestID bounds a request id taken from X-Request-Id (a UUID is 36,
// HAProxy's unique-id format about 50).
const maxRequestID = 128

// requestID reuses the caller's X-Request-Id (nginx's $request_id, a
// client's own) when it is sane, so one id follows a request through the
// proxy's, the client's and our logs; otherwise it makes one. Sane is
// printable ASCII without spaces or quotes, at most maxRequestID bytes: it
// goes into log lines and a response header as is.
func (a *API) requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); len(id) > 0 && len(id) <= maxRequestID && !strings.ContainsFunc(id, notIDRune) {
		return id
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func notIDRune(r rune) bool {
	return r <= ' ' || r > '~' || r == '"' || r == '\\' || r == '\''
}

// RequestIDHandler adds the request id to every record logged with a
// request's context (slog's *Context methods, LogAttrs) that does not
// carry one already, so the core's and the pages' lines about a request
// can be found by the id in its access line and X-Request-Id header.
func RequestIDHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(requestIDHandler); ok {
		return h
	}
	return requestIDHandler{h}
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if info := infoFrom(ctx); info != nil {
		has := false
		r.Attrs(func(a slog.Attr) bool {
			has = a.Key == "request_id"
			return !has
		})
		if !has {
			r = r.Clone()
			r.AddAttrs(slog.String("request_id", info.id))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// loggedPath is the request's path for the log with every wildcard that is
// not a plain number replaced: bot keys ({bot_key}), join codes and file
// names never reach the log, room and message ids do. An unmatched request
// logs no path (it may be a mistyped URL holding a key).
func loggedPath(r *http.Request) string {
	if r.Pattern == "" {
		return ""
	}
	pat := r.Pattern
	if _, p, ok := strings.Cut(pat, " "); ok {
		pat = p
	}
	if i := strings.IndexByte(pat, '/'); i > 0 {
		pat = pat[i:] // a host in the pattern
	}
	segs := strings.Split(pat, "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "}") {
			continue
		}
		name := strings.TrimSuffix(strings.Trim(seg, "{}"), "...")
		if name == "$" {
			segs[i] = ""
			continue
		}
		v := r.PathValue(name)
		if v == "" || len(v) > 20 || strings.ContainsFunc(v, func(c rune) bool { return c < '0' || c > '9' }) {
			v = "[redacted]"
		}
		segs[i] = v
	}
	// A subtree pattern ("/", "/api/") matched more than itself: say so
	// rather than log a path nobody asked for (the rest may hold a key).
	if last := len(segs) - 1; strings.HasSuffix(pat, "/") {
		if ps := strings.Split(r.URL.Path, "/"); len(ps) > len(segs) || (len(ps) == len(segs) && ps[last] != "") {
			segs[last] = "[redacted]"
		}
	}
	return strings.Join(segs, "/")
}

// ClientFrom returns where r came from, for sessions, rate limits and bans:
// the address Wrap resolved (the rightmost X-Forwarded-For entry when
// the proxy is trusted), else the connection's peer address.
func ClientFrom(r *http.Request) campfire.Client {
	if info := infoFrom(r.Context()); info != nil {
		return info.client
	}
	return campfire.Client{IP: peerIP(r.RemoteAddr), UserAgent: r.UserAgent()}
}

func (a *API) clientOf(r *http.Request) campfire.Client {
	c := campfire.Client{IP: peerIP(r.RemoteAddr), UserAgent: r.UserAgent()}
	if ck, err := r.Cookie(DeviceCookie); err == nil && len(ck.Value) <= 128 {
		c.Device = ck.Value
	}
	if a.trustProxy {
		// The rightmost entry is the one our proxy appended; entries to its
		// left were written by the client and prove nothing.
		if v := r.Header.Values("X-Forwarded-For"); len(v) > 0 {
			last := v[len(v)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
				c.IP = ip.Unmap().String()
			}
		}
	}
	return c
}

func peerIP(remoteAddr string) string {
	if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		return ap.Addr().Unmap().WithZone("").String()
	}
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}

// secure reports whether the browser reached us over TLS, directly or
// through a trusted proxy.
// Secure reports whether the browser reached us over TLS (directly, or
// through a trusted proxy's last hop), so cookies should be Secure.
func (a *API) Secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !a.trustProxy {
		return false
	}
	proto := r.Header.Get("X-Forwarded-Proto")
	if i := strings.LastIndexByte(proto, ','); i >= 0 {
		proto = proto[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// responseWriter records the status and size for the log line. It unwraps
// for http.ResponseController and hijacks for the cable.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return conn, brw, err
}
