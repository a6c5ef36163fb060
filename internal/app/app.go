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

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/broker/memory"
	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/metrics"
	"github.com/campfire-go/campfire/internal/presence"
	"github.com/campfire-go/campfire/internal/realtime"
	"github.com/campfire-go/campfire/internal/render"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/sqlite"
	"github.com/campfire-go/campfire/internal/ui"
	"github.com/campfire-go/campfire/internal/web"
)

// systemAdmin is the actor for command-line administration, which is
// trusted because it runs with access to the database.
var systemAdmin = chat.User{Role: chat.RoleAdmin}

// graph is the built application.
type graph struct {
	cfg      config.Config
	log      *slog.Logger
	store    store.Store
	broker   broker.Broker
	presence presence.Presence
	core     *campfire.Core
	hub      *realtime.Hub
	handler  http.Handler
}

// openStore chooses the store backend: the one switch on DATABASE_URL.
func openStore(ctx context.Context, cfg config.Config, opts sqlite.Options) (store.Store, error) {
	db, err := cfg.Database()
	if err != nil {
		return nil, err
	}
	switch db.Driver {
	case "sqlite":
		st, err := sqlite.Open(ctx, db.Path, opts)
		if err != nil {
			return nil, fmt.Errorf("opening SQLite database %s: %w", db.Path, err)
		}
		return st, nil
	default:
		return nil, fmt.Errorf("DATABASE_URL: %s is not supported by this build yet; use sqlite://", db.Driver)
	}
}

// openBroker chooses the cross-instance transport.
func openBroker(cfg config.Config) (broker.Broker, error) {
	if cfg.RedisURL != "" {
		return nil, errors.New("REDIS_URL: multi-instance mode is not supported by this build yet")
	}
	return memory.New(0), nil
}

func build(ctx context.Context, cfg config.Config, log *slog.Logger) (*graph, error) {
	st, err := openStore(ctx, cfg, sqlite.Options{})
	if err != nil {
		return nil, err
	}
	g := &graph{cfg: cfg, log: log, store: st}
	fail := func(err error) (*graph, error) {
		g.close()
		return nil, err
	}
	if _, err := cfg.LoadOrCreateSecret(); err != nil {
		return fail(err)
	}
	if g.broker, err = openBroker(cfg); err != nil {
		return fail(err)
	}
	g.presence = presence.NewMemory(presence.DefaultTTL)
	m := metrics.New(cfg.InstanceID)
	g.core = campfire.New(st, &session.DB{Store: st}, g.broker, render.New(),
		campfire.Options{BcryptCost: cfg.BcryptCost, OnMessage: m.MessageStored}, log)
	g.core.SetPresence(g.presence)
	g.hub = realtime.New(realtime.Config{AllowedOrigins: cfg.AllowedOrigins, InstanceID: cfg.InstanceID},
		g.core, g.broker, g.presence, log)
	g.core.SetLocalControl(g.hub.Handle)
	registerHubMetrics(m, g.hub)

	mux := http.NewServeMux()
	api := web.New(web.Deps{
		Core:           g.core,
		Cable:          g.hub,
		Ready:          []web.ReadyCheck{{Name: "database", Check: st.Ping}},
		Version:        version(),
		InstanceID:     cfg.InstanceID,
		StartTime:      time.Now(),
		Logger:         log,
		TrustProxy:     cfg.TrustProxy,
		AllowedOrigins: cfg.AllowedOrigins,
		Observe: func(rs web.RequestStats) {
			m.ObserveRequest(rs.Method, rs.Route, rs.Status, rs.Code, rs.Duration)
		},
	})
	api.Register(mux)
	ui.New(ui.Deps{
		Core: g.core, API: api, Logger: log,
		AllowedOrigins: cfg.AllowedOrigins,
	}).Register(mux)
	mux.Handle("GET /metrics", m.Handler())
	g.handler = api.Wrap(mux)
	return g, nil
}

func (g *graph) close() {
	if g.broker != nil {
		if err := g.broker.Close(); err != nil {
			g.log.Warn("closing broker", "err", err)
		}
	}
	if g.store != nil {
		if err := g.store.Close(); err != nil {
			g.log.Warn("closing store", "err", err)
		}
	}
}

// Serve runs the server until ctx is done, then shuts down in order: stop
// accepting, close sockets with 1001, finish in-flight requests, stop
// background work, close the broker, close the store. If ln is nil it
// listens on cfg.Addr().
func Serve(ctx context.Context, cfg config.Config, log *slog.Logger, ln net.Listener) error {
	g, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer g.close()
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr()); err != nil {
			return fmt.Errorf("listening on %s: %w", cfg.Addr(), err)
		}
	}
	srv := &http.Server{
		Handler:           g.handler,
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
	errc := make(chan error, 4)
	wg.Go(func() { errc <- named("broker", g.broker.Run(bg)) })
	wg.Go(func() { errc <- named("core", g.core.Run(bg)) })
	wg.Go(func() { errc <- named("hub", g.hub.Run(bg)) })
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("campfire listening", "addr", ln.Addr().String(), "version", version(), "database", redactDB(cfg))

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
	if err := g.hub.Shutdown(sdCtx); err != nil {
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

func named(what string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
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
	st, err := openStore(ctx, cfg, sqlite.Options{NoMigrate: true})
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
	st, err := openStore(ctx, cfg, sqlite.Options{})
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
	m.AddCounter("campfire_ws_gap_fills_total", "Per-room seq gaps filled from the database.",
		func() float64 { return float64(h.Stats().GapFills) })
}
