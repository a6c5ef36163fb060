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
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/metrics"
	"github.com/campfire-go/campfire/internal/monitor"
	"github.com/campfire-go/campfire/internal/realtime"
	"github.com/campfire-go/campfire/internal/store"
)

// cableRoute is left out of response time and success rate: the upgrade's
// request lives as long as the socket.
const cableRoute = "GET /api/v1/cable"

// slowByDesign are routes whose time is not the server's responsiveness:
// the cable's upgrade lives as long as the socket, a sign-in spends
// bcrypt's quarter second on purpose, and an upload takes as long as the
// file takes to arrive. Counted in the p99, a quiet team's few sign-ins
// raised slow_response alerts with nobody waiting on anything.
var slowByDesign = []string{
	cableRoute,
	"POST /api/v1/setup", "POST /api/v1/session", "POST /api/v1/join/{join_code}",
	"POST /first_run", "POST /session", "POST /join/{code}", "POST /signin/{token}",
	"POST /api/v1/rooms/{id}/attachments",
	"PUT /api/v1/users/me/avatar", "POST /api/v1/users/me/avatar",
	"PUT /api/v1/users/{id}/avatar", "POST /api/v1/users/{id}/avatar",
	"PUT /api/v1/account/logo", "POST /api/v1/account/logo",
}

// newMonitor builds the capacity monitor on the hub and the metrics, and
// exports its alerts and thresholds and the pools' state.
func newMonitor(cfg config.Config, log *slog.Logger, m *metrics.Metrics, h *realtime.Hub, e *engine.Engine) *monitor.Monitor {
	mon := monitor.New(monitor.Options{
		Instance:   cfg.InstanceID,
		Preset:     cfg.Monitor.PresetName(),
		Thresholds: cfg.Monitor.Thresholds(),
		Interval:   cfg.Monitor.SampleInterval(),
		Window:     cfg.Monitor.AlertWindow(),
		Exclude:    slowByDesign,
		Logger:     log.With("component", "monitor"),
	}, monitor.Source{
		Connections: func() int64 { return h.Stats().Connections },
		Messages:    m.Messages,
	})
	m.AddLabeledGauge("campfire_alert_active", "1 while a capacity alert is active (see docs/operations.md, Monitoring).",
		"alert", monitor.AlertNames, func(a string) float64 {
			if mon.Active(a) {
				return 1
			}
			return 0
		})
	th := mon.Thresholds()
	values := map[string]float64{
		"max_cpu":                   th.MaxCPU,
		"max_memory":                th.MaxMemory,
		"max_connections":           float64(th.MaxConnections),
		"max_response_time_seconds": th.MaxResponseTime.Seconds(),
		"min_success_rate":          th.MinSuccessRate,
	}
	m.AddLabeledGauge("campfire_capacity_threshold", "Capacity thresholds in force (CAPACITY_PRESET and ALERT_*).",
		"threshold", []string{"max_cpu", "max_memory", "max_connections", "max_response_time_seconds", "min_success_rate"},
		func(t string) float64 { return values[t] })
	limit := monitor.MemoryLimit()
	m.AddGauge("campfire_memory_limit_bytes", "Memory this instance may use (cgroup limit, else host memory; 0 if unknown).",
		func() float64 { return float64(limit) })

	st := e.Store
	if u, ok := st.(interface{ Unwrap() store.Store }); ok {
		st = u.Unwrap()
	}
	if p, ok := st.(store.PoolStatser); ok {
		m.AddPool("campfire_db_pool", "Database", func() metrics.Pool {
			s := p.PoolStats()
			return metrics.Pool{InUse: s.InUse, Idle: s.Idle, Max: s.Max, Waits: s.Waits, Timeouts: s.Timeouts, WaitTime: s.WaitTime}
		}, true)
	}
	if c := e.Redis; c != nil {
		m.AddPool("campfire_redis_pool", "Redis", func() metrics.Pool {
			s := c.PoolStats()
			return metrics.Pool{InUse: int(s.TotalConns) - int(s.IdleConns), Idle: int(s.IdleConns),
				Waits: int64(s.WaitCount), Timeouts: int64(s.Timeouts), WaitTime: time.Duration(s.WaitDurationNs)}
		}, false)
	}
	return mon
}

// serveMetrics serves /metrics on METRICS_ADDR, when set, until the
// returned stop is called (Serve defers it). The listener opens here, so a
// taken port fails start-up with one line.
func serveMetrics(cfg config.Config, g *Graph, log *slog.Logger) (stop func(), err error) {
	addr := cfg.Monitor.MetricsAddr
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: listening on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", g.Metrics.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serving metrics", "addr", addr, "err", err)
		}
	})
	log.Info("metrics listening", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		wg.Wait()
	}, nil
}
