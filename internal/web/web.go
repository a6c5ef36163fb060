// Package web is Campfire's HTTP API (/api/v1/…), the Campfire-compatible
// bot API (/rooms/{room_id}/{bot_key}/messages), the operations endpoints
// (/health, /up, /ready) and the door to the cable (/api/v1/cable).
//
// Handlers are thin: decode, call the core (internal/campfire, which owns
// every rule and every authorization), encode through internal/wire. They
// return an error; writeError is the one place that turns an error into a
// status, a JSON body, a log line and a metric label.
//
// Wiring, as the composition root does it:
//
//	api := web.New(web.Deps{Core: core, Cable: hub, …})
//	mux := http.NewServeMux()
//	api.Register(mux)        // the API's routes
//	ui.Register(mux, api)    // pages reuse api.Authenticate, UserFrom, …
//	srv := &http.Server{Handler: api.Wrap(mux), …}
//
// Wrap must wrap the whole mux: it recovers panics, sets the security
// headers, assigns the request id, resolves the client address (see
// ClientFrom), refuses writes from banned addresses and writes the one
// request log line.
//
// Server timeouts are the composition root's; this package expects:
// ReadHeaderTimeout ≈ 10 s (slow headers); ReadTimeout and WriteTimeout of
// 30 s or more, or 0 (the cable's WebSocket library clears them when it
// hijacks the connection; request bodies get their own 30 s read deadline
// in decode and are capped by http.MaxBytesReader); IdleTimeout ≈ 120 s;
// MaxHeaderBytes ≈ 64 KiB.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/monitor"
)

// Cable serves the WebSocket at /api/v1/cable for an authenticated user.
// The realtime hub implements it; it owns the upgrade, the Origin check of
// the handshake and the connection's whole life.
type Cable interface {
	ServeCable(w http.ResponseWriter, r *http.Request, u chat.User)
}

// ReadyCheck is one dependency /ready asks: the database, later Redis.
type ReadyCheck struct {
	Name  string // "database", "redis": named in the 503 body
	Check func(ctx context.Context) error
}

// RequestStats describes one finished request for a metrics hook.
type RequestStats struct {
	Method string
	// Route is the ServeMux pattern that matched ("" when none did). It is
	// a bounded label: never the raw path, which may hold a bot key.
	Route    string
	Status   int
	Code     string // error code for 4xx/5xx answers, "" otherwise
	Bytes    int64
	Duration time.Duration
}

// Deps is what the API needs. Core is required; the rest has defaults.
type Deps struct {
	Core *campfire.Core
	// Cable serves /api/v1/cable; nil answers 503 until the hub exists.
	Cable Cable
	// Ready lists what /ready checks, each with a 2 s budget.
	Ready      []ReadyCheck
	Version    string
	InstanceID string
	StartTime  time.Time
	Logger     *slog.Logger
	// TrustProxy takes the client IP from the rightmost X-Forwarded-For
	// entry, the scheme from X-Forwarded-Proto and the request id from
	// X-Request-Id. Only behind a proxy that sets them.
	TrustProxy bool
	// AllowedOrigins are extra origins (scheme://host[:port]) trusted for
	// cookie-authenticated writes; the server's own origin always is.
	AllowedOrigins []string
	// Limits defaults to Core.Limits().
	Limits chat.Limits
	// Observe, when set, is called once per request after it finished (the
	// seam for Prometheus metrics). It must not block.
	Observe func(RequestStats)
	// RequestTimeout bounds one request's work; past it the request's
	// context ends and the answer is 503 unavailable. Default 20 s.
	RequestTimeout time.Duration
	// Monitor is the capacity monitor GET /api/v1/admin/status shows; nil
	// answers 404.
	Monitor *monitor.Monitor
}

// API serves the HTTP API. Build it with New; it is safe for concurrent use.
type API struct {
	core       *campfire.Core
	cable      Cable
	ready      []ReadyCheck
	version    string
	instance   string
	start      time.Time
	log        *slog.Logger
	trustProxy bool
	csrf       *http.CrossOriginProtection
	limits     chat.Limits
	observe    func(RequestStats)
	timeout    time.Duration
	monitor    *monitor.Monitor
	// maxJSON caps a JSON request body: a maximal message may double when
	// JSON-escaped (quotes, backslashes, newlines), plus room for the rest.
	maxJSON int64
}

// New builds the API from its dependencies.
func New(d Deps) *API {
	a := &API{
		core: d.Core, cable: d.Cable, ready: d.Ready,
		version: d.Version, instance: d.InstanceID, start: d.StartTime,
		log: d.Logger, trustProxy: d.TrustProxy, limits: d.Limits, observe: d.Observe,
		timeout: d.RequestTimeout, csrf: http.NewCrossOriginProtection(),
		monitor: d.Monitor,
	}
	if a.timeout <= 0 {
		a.timeout = 20 * time.Second
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.start.IsZero() {
		a.start = time.Now()
	}
	if a.limits == (chat.Limits{}) {
		a.limits = d.Core.Limits()
	}
	if a.version == "" {
		a.version = "dev"
	}
	for _, o := range d.AllowedOrigins {
		// config.Validate already refused malformed origins; one slipping
		// through is only less trusted, not a reason to fail start-up.
		if err := a.csrf.AddTrustedOrigin(o); err != nil {
			a.log.Warn("ignoring allowed origin", "origin", o, "err", err)
		}
	}
	a.maxJSON = 2*int64(a.limits.MessageBytes) + 16<<10
	return a
}

// Handler is the API alone on its own mux, wrapped by Wrap: for
// tests and for a binary without the UI.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	a.Register(mux)
	return a.Wrap(mux)
}
