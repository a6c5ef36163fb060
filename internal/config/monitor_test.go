package config

import (
	"strings"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/monitor"
)

func TestMonitorDefaults(t *testing.T) {
	c, err := Load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	small, _ := monitor.Preset("small")
	if c.Monitor.PresetName() != "small" || c.Monitor.Thresholds() != small {
		t.Errorf("preset %q thresholds %+v, want small", c.Monitor.PresetName(), c.Monitor.Thresholds())
	}
	if c.Monitor.MetricsAddr != "" || c.Monitor.SampleInterval() != 5*time.Second || c.Monitor.AlertWindow() != time.Minute {
		t.Errorf("monitor = %+v", c.Monitor)
	}
}

func TestMonitorPresetAndOverrides(t *testing.T) {
	c, err := Load([]string{"-metrics-addr", "127.0.0.1:9090"}, []string{
		"CAPACITY_PRESET=large", "ALERT_MAX_CPU=0.9", "ALERT_MAX_RESPONSE_TIME=50ms",
		"ALERT_MAX_CONNECTIONS=20000", "METRICS_ADDR=:1", "MONITOR_INTERVAL=2s", "ALERT_WINDOW=30s",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := monitor.Thresholds{MaxCPU: 0.9, MaxMemory: 0.75, MaxConnections: 20000, MaxResponseTime: 50 * time.Millisecond, MinSuccessRate: 0.999}
	if got := c.Monitor.Thresholds(); got != want {
		t.Errorf("thresholds %+v, want %+v", got, want)
	}
	if c.Monitor.MetricsAddr != "127.0.0.1:9090" || c.Monitor.SampleInterval() != 2*time.Second || c.Monitor.AlertWindow() != 30*time.Second {
		t.Errorf("monitor = %+v (the flag wins over METRICS_ADDR)", c.Monitor)
	}
	c, err = Load([]string{"-capacity-preset", "medium"}, nil)
	if err != nil || c.Monitor.Thresholds().MaxConnections != 1000 {
		t.Errorf("-capacity-preset medium: %+v, %v", c.Monitor.Thresholds(), err)
	}
}

func TestMonitorInvalid(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown preset", nil, []string{"CAPACITY_PRESET=huge"}, "CAPACITY_PRESET=\"huge\": use small, medium, large"},
		{"unknown preset flag", []string{"-capacity-preset", "tiny"}, nil, "CAPACITY_PRESET"},
		{"cpu over 1", nil, []string{"ALERT_MAX_CPU=1.5"}, "ALERT_MAX_CPU"},
		{"cpu percent", nil, []string{"ALERT_MAX_CPU=80%"}, "ALERT_MAX_CPU"},
		{"memory zero", nil, []string{"ALERT_MAX_MEMORY=0"}, "ALERT_MAX_MEMORY"},
		{"success rate", nil, []string{"ALERT_MIN_SUCCESS_RATE=99"}, "ALERT_MIN_SUCCESS_RATE"},
		{"connections", nil, []string{"ALERT_MAX_CONNECTIONS=0"}, "ALERT_MAX_CONNECTIONS"},
		{"connections word", nil, []string{"ALERT_MAX_CONNECTIONS=many"}, "ALERT_MAX_CONNECTIONS"},
		{"response time unit", nil, []string{"ALERT_MAX_RESPONSE_TIME=50"}, "ALERT_MAX_RESPONSE_TIME"},
		{"response time tiny", nil, []string{"ALERT_MAX_RESPONSE_TIME=1us"}, "ALERT_MAX_RESPONSE_TIME"},
		{"interval", nil, []string{"MONITOR_INTERVAL=1ms"}, "MONITOR_INTERVAL"},
		{"window shorter", nil, []string{"MONITOR_INTERVAL=10s", "ALERT_WINDOW=5s"}, "ALERT_WINDOW"},
		{"window too many samples", nil, []string{"MONITOR_INTERVAL=10ms", "ALERT_WINDOW=1h"}, "720 samples"},
		{"metrics addr no port", nil, []string{"METRICS_ADDR=localhost"}, "METRICS_ADDR"},
		{"metrics addr bad port", nil, []string{"METRICS_ADDR=:http"}, "METRICS_ADDR"},
		{"metrics addr bad host", []string{"-metrics-addr", "example.com:9090"}, nil, "METRICS_ADDR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestMetricsAddrNeedsItsOwnPort(t *testing.T) {
	_, err := Load(nil, []string{"PORT=3000", "METRICS_ADDR=127.0.0.1:3000"})
	if err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		t.Fatalf("err = %v, want METRICS_ADDR named", err)
	}
	if _, err := Load(nil, []string{"PORT=3000", "METRICS_ADDR=127.0.0.1:9090"}); err != nil {
		t.Fatal(err)
	}
}
