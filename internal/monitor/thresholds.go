// Package monitor is Campfire's capacity watch: it samples CPU, memory,
// connections, response time and success rate every few seconds, compares
// them with the scaling guide's thresholds (small, medium and large
// presets, each value overridable), logs each alert once when it starts and
// once when it ends, and keeps the last hour of samples for the admin page.
//
// It depends on nothing of Campfire's but what its Source reads, so the
// composition root wires it to the hub, the metrics and the HTTP layer.
package monitor

import (
	"encoding/json"
	"fmt"
	"time"
)

// Thresholds are the limits alerts compare against.
type Thresholds struct {
	// MaxCPU is the share of the CPUs this process may use (GOMAXPROCS,
	// which follows a container's CPU limit) above which high_cpu fires.
	MaxCPU float64
	// MaxMemory is the share of the memory limit (the cgroup's, else the
	// host's) above which high_memory fires.
	MaxMemory float64
	// MaxConnections is the number of open WebSockets above which
	// too_many_connections fires.
	MaxConnections int
	// MaxResponseTime is the p99 of HTTP requests over the window above
	// which slow_response fires.
	MaxResponseTime time.Duration
	// MinSuccessRate is the share of non-5xx answers over the window below
	// which low_success_rate fires.
	MinSuccessRate float64
}

// MarshalJSON writes the response time in milliseconds, like the samples.
func (t Thresholds) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		MaxCPU            float64 `json:"max_cpu"`
		MaxMemory         float64 `json:"max_memory"`
		MaxConnections    int     `json:"max_connections"`
		MaxResponseTimeMS float64 `json:"max_response_time_ms"`
		MinSuccessRate    float64 `json:"min_success_rate"`
	}{t.MaxCPU, t.MaxMemory, t.MaxConnections, ms(t.MaxResponseTime), t.MinSuccessRate})
}

// Validate says what is out of range.
func (t Thresholds) Validate() error {
	switch {
	case !(t.MaxCPU > 0 && t.MaxCPU <= 1):
		return fmt.Errorf("ALERT_MAX_CPU=%g must be a share above 0 and at most 1 (e.g. 0.8)", t.MaxCPU)
	case !(t.MaxMemory > 0 && t.MaxMemory <= 1):
		return fmt.Errorf("ALERT_MAX_MEMORY=%g must be a share above 0 and at most 1 (e.g. 0.85)", t.MaxMemory)
	case t.MaxConnections < 1:
		return fmt.Errorf("ALERT_MAX_CONNECTIONS=%d must be at least 1", t.MaxConnections)
	case t.MaxResponseTime < time.Millisecond || t.MaxResponseTime > time.Minute:
		return fmt.Errorf("ALERT_MAX_RESPONSE_TIME=%s must be between 1ms and 1m (e.g. 100ms)", t.MaxResponseTime)
	case !(t.MinSuccessRate > 0 && t.MinSuccessRate <= 1):
		return fmt.Errorf("ALERT_MIN_SUCCESS_RATE=%g must be a share above 0 and at most 1 (e.g. 0.99)", t.MinSuccessRate)
	}
	return nil
}

// PresetNames are the guide's scales, smallest first.
var PresetNames = []string{"small", "medium", "large"}

// DefaultPreset is used when CAPACITY_PRESET is unset: the guide's small
// scale (1-100 users) is what one binary on SQLite is built for, and its
// thresholds are the loosest on CPU, memory and latency, so a default
// install warns only when something is really wrong for its size.
const DefaultPreset = "small"

// Preset returns the guide's thresholds for a scale.
func Preset(name string) (Thresholds, bool) {
	switch name {
	case "small":
		return Thresholds{0.80, 0.85, 100, 100 * time.Millisecond, 0.99}, true
	case "medium":
		return Thresholds{0.75, 0.80, 1000, 50 * time.Millisecond, 0.995}, true
	case "large":
		return Thresholds{0.70, 0.75, 5000, 25 * time.Millisecond, 0.999}, true
	}
	return Thresholds{}, false
}

// The alerts, by their stable names (metric labels, log lines, the API).
const (
	HighCPU            = "high_cpu"
	HighMemory         = "high_memory"
	TooManyConnections = "too_many_connections"
	SlowResponse       = "slow_response"
	LowSuccessRate     = "low_success_rate"
)

// AlertNames lists every alert, in the order they are reported.
var AlertNames = []string{HighCPU, HighMemory, TooManyConnections, SlowResponse, LowSuccessRate}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
