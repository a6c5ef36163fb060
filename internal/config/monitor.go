package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/campfire-go/campfire/internal/monitor"
)

// Monitor is what an operator sets for metrics and capacity thresholds.
type Monitor struct {
	// MetricsAddr, when set, serves /metrics on this address only
	// (METRICS_ADDR, -metrics-addr), e.g. 127.0.0.1:9090, so it need not be
	// public; unset, /metrics is on the main port.
	MetricsAddr string
	// Preset is the scale the thresholds start from (CAPACITY_PRESET,
	// -capacity-preset): small, medium or large; empty means
	// monitor.DefaultPreset.
	Preset string
	// Overrides of the preset's thresholds; zero keeps the preset's
	// (ALERT_MAX_CPU, ALERT_MAX_MEMORY, ALERT_MAX_CONNECTIONS,
	// ALERT_MAX_RESPONSE_TIME, ALERT_MIN_SUCCESS_RATE).
	MaxCPU, MaxMemory, MinSuccessRate float64
	MaxConnections                    int
	MaxResponseTime                   time.Duration
	// Interval between samples (MONITOR_INTERVAL); zero means 5s.
	Interval time.Duration
	// Window is how far back response time and success rate look
	// (ALERT_WINDOW); zero means 1m.
	Window time.Duration
}

// Defaults of the monitor's timing.
const (
	DefaultMonitorInterval = 5 * time.Second
	DefaultAlertWindow     = time.Minute
)

// PresetName is the preset in force.
func (m Monitor) PresetName() string {
	if m.Preset == "" {
		return monitor.DefaultPreset
	}
	return m.Preset
}

// Thresholds are the preset's thresholds with the overrides applied.
func (m Monitor) Thresholds() monitor.Thresholds {
	t, _ := monitor.Preset(m.PresetName())
	if m.MaxCPU != 0 {
		t.MaxCPU = m.MaxCPU
	}
	if m.MaxMemory != 0 {
		t.MaxMemory = m.MaxMemory
	}
	if m.MaxConnections != 0 {
		t.MaxConnections = m.MaxConnections
	}
	if m.MaxResponseTime != 0 {
		t.MaxResponseTime = m.MaxResponseTime
	}
	if m.MinSuccessRate != 0 {
		t.MinSuccessRate = m.MinSuccessRate
	}
	return t
}

// SampleInterval and AlertWindow are the timings in force.
func (m Monitor) SampleInterval() time.Duration {
	if m.Interval == 0 {
		return DefaultMonitorInterval
	}
	return m.Interval
}

func (m Monitor) AlertWindow() time.Duration {
	if m.Window == 0 {
		return DefaultAlertWindow
	}
	return m.Window
}

func (m *Monitor) fromEnv(env map[string]string) error {
	if v := env["METRICS_ADDR"]; v != "" {
		m.MetricsAddr = v
	}
	if v := env["CAPACITY_PRESET"]; v != "" {
		m.Preset = v
	}
	// An override of 0 would silently mean "the preset's", so it is
	// refused here rather than ignored.
	for _, f := range []struct {
		key, example string
		dst          *float64
	}{
		{"ALERT_MAX_CPU", "0.8", &m.MaxCPU},
		{"ALERT_MAX_MEMORY", "0.85", &m.MaxMemory},
		{"ALERT_MIN_SUCCESS_RATE", "0.99", &m.MinSuccessRate},
	} {
		if v := env[f.key]; v != "" {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || !(x > 0 && x <= 1) {
				return fmt.Errorf("%s=%q must be a share above 0 and at most 1 (e.g. %s)", f.key, v, f.example)
			}
			*f.dst = x
		}
	}
	if v := env["ALERT_MAX_CONNECTIONS"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("ALERT_MAX_CONNECTIONS=%q must be a whole number of at least 1", v)
		}
		m.MaxConnections = n
	}
	for _, d := range []struct {
		key, example string
		dst          *time.Duration
	}{
		{"ALERT_MAX_RESPONSE_TIME", "100ms", &m.MaxResponseTime},
		{"MONITOR_INTERVAL", "5s", &m.Interval},
		{"ALERT_WINDOW", "1m", &m.Window},
	} {
		if v := env[d.key]; v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x <= 0 {
				return fmt.Errorf("%s=%q is not a positive duration (e.g. %s)", d.key, v, d.example)
			}
			*d.dst = x
		}
	}
	return nil
}

func (m *Monitor) flags(fs *flag.FlagSet) {
	fs.StringVar(&m.MetricsAddr, "metrics-addr", m.MetricsAddr, "serve /metrics on this address only (host:port)")
	fs.StringVar(&m.Preset, "capacity-preset", m.Preset, "capacity thresholds: small, medium or large")
}

func (m Monitor) validate() []error {
	var errs []error
	if m.MetricsAddr != "" {
		host, port, err := net.SplitHostPort(m.MetricsAddr)
		p, perr := strconv.Atoi(port)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("METRICS_ADDR=%q is not host:port (e.g. 127.0.0.1:9090 or :9090)", m.MetricsAddr))
		case perr != nil || p < 0 || p > 65535:
			errs = append(errs, fmt.Errorf("METRICS_ADDR=%q: port %q is not a number 0-65535", m.MetricsAddr, port))
		case host != "" && host != "localhost" && net.ParseIP(host) == nil:
			errs = append(errs, fmt.Errorf("METRICS_ADDR=%q: host %q is not an IP address", m.MetricsAddr, host))
		}
	}
	if m.Preset != "" && !slices.Contains(monitor.PresetNames, m.Preset) {
		errs = append(errs, fmt.Errorf("CAPACITY_PRESET=%q: use %s", m.Preset, strings.Join(monitor.PresetNames, ", ")))
		return errs // the thresholds below would be meaningless
	}
	if m.MaxCPU < 0 || m.MaxMemory < 0 || m.MinSuccessRate < 0 || m.MaxConnections < 0 || m.MaxResponseTime < 0 {
		errs = append(errs, errors.New("ALERT_* thresholds must not be negative"))
	} else if err := m.Thresholds().Validate(); err != nil {
		errs = append(errs, err)
	}
	iv, w := m.SampleInterval(), m.AlertWindow()
	switch {
	case iv < 10*time.Millisecond || iv > 5*time.Minute:
		errs = append(errs, fmt.Errorf("MONITOR_INTERVAL=%s must be between 10ms and 5m", iv))
	case w < iv || w > time.Hour:
		errs = append(errs, fmt.Errorf("ALERT_WINDOW=%s must be at least MONITOR_INTERVAL (%s) and at most 1h", w, iv))
	case w/iv > 720:
		errs = append(errs, fmt.Errorf("ALERT_WINDOW=%s holds more than 720 samples of MONITOR_INTERVAL=%s: lengthen the interval", w, iv))
	}
	return errs
}
