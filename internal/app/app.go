package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/campfire-go/campfire/internal/app/engine"
	"github.com/campfire-go/campfire/internal/broker"
	redisbroker "github.com/campfire-go/campfire/internal/broker/redis"
	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/metrics"
	"github.com/campfire-go/campfire/internal/monitor"
	"github.com/campfire-go/campfire/internal/realtime"
	"github.com/campfire-go/campfire/internal/ui"
	"github.com/campfire-go/campfire/internal/web"
)

// systemAdmin is the actor for command-line administration, which is
// trusted because it runs with access to the database.
var systemAdmin = chat.User{Role: chat.RoleAdmin}

// Options adjust the graph beyond what configuration says; the zero value
// is production's. Tests use them to lift limits, tap events and mount
// routes of their own.
type Options struct {
	// Core is the core's options (rate limits, webhooks); OnMessage is
	// chained after the metrics hook.
	Core campfire.Options
	// Web, when set, changes the API's dependencies before it is built.
	Web func(*web.Deps)
	// Mount, when set, adds routes to the same mux after the app's own;
	// g is complete but for its Handler.
	Mount func(mux *http.ServeMux, g *Graph)
	// Tap, when set, sees every event the broker hands this instance's
	// hub, before the hub does. It must not block.
	Tap func(broker.Event)
	// NoUI leaves the web UI's pages out (API-only tests).
	NoUI bool
}

// Graph is the built application: the engine (backends and core), the
// hub, the HTTP API and pages, and metrics.
type Graph struct {
	Config  config.Config
	Engine  *engine.Engine
	Hub     *realtime.Hub
	API     *web.API
	Handler http.Handler
	Metrics *metrics.Metrics
	// Monitor samples capacity and raises the guide's alerts (monitor.go).
	Monitor *monitor.Monitor

	log *slog.Logger
}

// Build turns a configuration into the running graph's parts, in
// dependency order. It is the one composition root: the server, the
// end-to-end and API tests and the bench tools all build through it, so
// they all run on the backends the configuration names.
func Build(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*Graph, error) {
	log = slog.New(web.RequestIDHandler(log.Handler())) // lines about a request carry its id
	m := metrics.New(cfg.InstanceID)
	co := coreLimits(cfg.Limits, opts.Core)
	if next := co.OnMessage; next != nil {
		co.OnMessage = func(d time.Duration) { m.MessageStored(d); next(d) }
	} else {
		co.OnMessage = m.MessageStored
	}
	e, err := engine.Open(ctx, cfg, log, engine.Options{Core: co, ObserveQuery: m.ObserveQuery, ObservePublish: m.ObservePublish})
	if err != nil {
		return nil, err
	}
	g := &Graph{Config: cfg, Engine: e, Metrics: m, log: log}
	var b broker.Broker = e.Broker
	if opts.Tap != nil {
		b = tapBroker{Broker: b, tap: opts.Tap}
	}
	g.Hub = realtime.New(hubLimits(realtime.Config{AllowedOrigins: cfg.AllowedOrigins, InstanceID: cfg.InstanceID, TrustProxy: cfg.TrustProxy}, cfg.Limits, co),
		e.Core, b, e.Presence, log)
	e.Core.SetLocalControl(g.Hub.Handle)
	registerHubMetrics(m, g.Hub)
	registerRedisMetrics(m, e)
	registerPushMetrics(m, e)
	g.Monitor = newMonitor(cfg, log, m, g.Hub, e)

	var ready []web.ReadyCheck
	for _, c := range e.Checks {
		ready = append(ready, web.ReadyCheck{Name: c.Name, Check: c.Check})
	}
	deps := web.Deps{
		Core:           e.Core,
		Cable:          g.Hub,
		Ready:          ready,
		Version:        version(),
		InstanceID:     cfg.InstanceID,
		StartTime:      time.Now(),
		Logger:         log,
		TrustProxy:     cfg.TrustProxy,
		AllowedOrigins: cfg.AllowedOrigins,
		Observe: func(rs web.RequestStats) {
			m.ObserveRequest(rs.Method, rs.Route, rs.Status, rs.Code, rs.Duration)
			g.Monitor.ObserveRequest(rs.Route, rs.Status, rs.Duration)
		},
		Monitor: g.Monitor,
	}
	if opts.Web != nil {
		opts.Web(&deps)
	}
	mux := http.NewServeMux()
	g.API = web.New(deps)
	g.API.Register(mux)
	if !opts.NoUI {
		ui.New(ui.Deps{
			Core: e.Core, API: g.API, Logger: log,
			AllowedOrigins: cfg.AllowedOrigins,
		}).Register(mux)
	}
	if cfg.Monitor.MetricsAddr == "" { // else only on its own listener (Serve)
		mux.Handle("GET /metrics", m.Handler())
	}
	if opts.Mount != nil {
		opts.Mount(mux, g)
	}
	g.Handler = g.API.Wrap(mux)
	return g, nil
}

// Run runs the graph's background work (broker delivery, the core's
// workers, the hub) until ctx is done or one of them fails.
func (g *Graph) Run(ctx context.Context) error {
	return engine.RunAll(ctx, g.Engine.Run,
		func(ctx context.Context) error { return engine.Named("hub", g.Hub.Run(ctx)) },
		func(ctx context.Context) error { return engine.Named("monitor", g.Monitor.Run(ctx)) })
}

// Close releases the backends (the broker, then the store). Shut the hub
// down and stop Run first.
func (g *Graph) Close() { g.Engine.Close() }

// tapBroker shows every event handed to the local hub to tap first.
type tapBroker struct {
	broker.Broker
	tap func(broker.Event)
}

func (t tapBroker) Subscribe(handle func(broker.Event)) {
	t.Broker.Subscribe(func(e broker.Event) { t.tap(e); handle(e) })
}

// Serve runs the server until ctx is done, then shuts down in order: stop
// accepting, close sockets with 1001, finish in-flight requests, stop
// background work, close the broker, close the store. If ln is nil it
// listens on cfg.Addr().
func Serve(ctx context.Context, cfg config.Config, log *slog.Logger, ln net.Listener) error {
	unlock, err := engine.LockServing(cfg)
	if err != nil {
		return err
	}
	defer unlock()
	g, err := Build(ctx, cfg, log, Options{})
	if err != nil {
		return err
	}
	defer g.Close()
	stopMetrics, err := serveMetrics(cfg, g, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr()); err != nil {
			return fmt.Errorf("listening on %s: %w", cfg.Addr(), err)
		}
	}
	srv := &http.Server{
		Handler:           g.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	// Background work gets its own context so it outlives ctx until the
	// HTTP side has drained.
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	wg.Go(func() { errc <- g.Run(bg) })
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	mode := "single instance (in-process fan-out)"
	if cfg.RedisURL != "" {
		mode = "multi-instance (Redis, prefix " + cfg.RedisPrefix + ")"
	}
	log.Info("campfire listening", "addr", ln.Addr().String(), "version", version(), "database", redactDB(cfg), "mode", mode)

	var runErr error
	for runErr == nil && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case err := <-serveErr:
			runErr = fmt.Errorf("serving: %w", err)
		case err := <-errc:
			// A task that ends cleanly before shutdown is fine; one that
			// fails takes the server down rather than run half-broken.
			runErr = err
		}
	}
	if runErr != nil {
		log.Error("stopping after failure", "err", runErr)
	} else {
		log.Info("shutting down")
	}

	sdCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Shutdown(sdCtx) }() // stops accepting at once
	if err := g.Hub.Shutdown(sdCtx); err != nil {
		log.Warn("closing sockets", "err", err)
	}
	if err := <-httpDone; err != nil {
		log.Warn("finishing requests", "err", err)
	}
	stopBG()
	wg.Wait()
	log.Info("stopped")
	return runErr
}

func redactDB(cfg config.Config) string {
	db, err := cfg.Database()
	if err != nil {
		return "?"
	}
	if db.Driver == "sqlite" {
		return "sqlite://" + db.Path
	}
	return db.Driver
}

func migrate(ctx context.Context, cfg config.Config) error {
	st, err := engine.OpenStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer st.Close()
	m, ok := st.(interface{ Migrate(context.Context) error })
	if !ok {
		return errors.New("this database has no migrations to run")
	}
	return m.Migrate(ctx)
}

func backup(ctx context.Context, cfg config.Config, dest string) error {
	st, err := engine.OpenStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()
	b, ok := st.(interface {
		Backup(context.Context, string) error
	})
	if !ok {
		return errors.New("backup works for SQLite only; back up PostgreSQL with pg_dump")
	}
	return b.Backup(ctx, dest)
}

// registerHubMetrics exposes the hub's counters under the guide's names.
func registerHubMetrics(m *metrics.Metrics, h *realtime.Hub) {
	m.AddGauge("campfire_active_connections", "Open WebSocket connections.",
		func() float64 { return float64(h.Stats().Connections) })
	m.AddGauge("campfire_active_subscriptions", "Room subscriptions of open WebSocket connections.",
		func() float64 { return float64(h.Stats().Subscriptions) })
	m.AddCounter("campfire_ws_frames_sent_total", "Frames written to WebSockets.",
		func() float64 { return float64(h.Stats().Frames) })
	m.AddCounter("campfire_ws_flushes_total", "Socket writes that carried those frames (frames/flushes is the batching).",
		func() float64 { return float64(h.Stats().Flushes) })
	m.AddCounter("campfire_ws_slow_closed_total", "WebSockets closed with 4008 because they fell behind.",
		func() float64 { return float64(h.Stats().SlowClosed) })
	m.AddCounter("campfire_deliveries_total", "Live message events queued to subscribed WebSockets (one per socket per message).",
		func() float64 { return float64(h.Stats().Deliveries) })
	m.AddCounter("campfire_ws_gap_fills_total", "Per-room seq gaps filled from the database.",
		func() float64 { return float64(h.Stats().GapFills) })
	m.AddCounter("campfire_ws_busy_closed_total", "WebSockets closed with 1013 because a subscribe could not be served.",
		func() float64 { return float64(h.Stats().BusyClosed) })
	m.AddCounter("campfire_ws_resyncs_total", "Catch-ups from the database and socket re-checks after a broker reconnect.",
		func() float64 { return float64(h.Stats().Resyncs) })
}

// registerRedisMetrics exposes the Redis broker's counters and the shared
// rate limits' health, when Redis is configured.
func registerRedisMetrics(m *metrics.Metrics, e *engine.Engine) {
	if b := e.RedisBroker; b != nil {
		for _, c := range []struct {
			name, help string
			v          func(s redisbroker.Stats) uint64
		}{
			{"campfire_broker_published_total", "Events this instance published to Redis.", func(s redisbroker.Stats) uint64 { return s.Published }},
			{"campfire_broker_received_total", "Events from other instances handed to this hub.", func(s redisbroker.Stats) uint64 { return s.Received }},
			{"campfire_broker_dropped_total", "Events dropped because this hub's queue was full (recovered by seq).", func(s redisbroker.Stats) uint64 { return s.Dropped }},
			{"campfire_broker_malformed_total", "Payloads from Redis that did not decode.", func(s redisbroker.Stats) uint64 { return s.Malformed }},
			{"campfire_broker_resyncs_total", "Reconnects of the Redis subscriber (each followed by a catch-up from the database).", func(s redisbroker.Stats) uint64 { return s.Resyncs }},
			{"campfire_broker_remote_resyncs_total", "Catch-ups another instance asked for after it lost a publish.", func(s redisbroker.Stats) uint64 { return s.RemoteResyncs }},
			{"campfire_broker_repairs_total", "Resync requests this instance sent after it lost a publish.", func(s redisbroker.Stats) uint64 { return s.Repairs }},
		} {
			m.AddCounter(c.name, c.help, func() float64 { return float64(c.v(b.Stats())) })
		}
	}
	if l := e.Limits; l != nil {
		m.AddCounter("campfire_ratelimit_fallbacks_total", "Rate-limit decisions taken per instance because Redis failed.",
			func() float64 { return float64(l.Fallbacks()) })
		m.AddGauge("campfire_ratelimit_degraded", "1 while shared rate limits are falling back to per-instance ones.",
			func() float64 {
				if l.Degraded() {
					return 1
				}
				return 0
			})
	}
}
