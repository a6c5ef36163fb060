// Package metrics owns Campfire's Prometheus collectors. One Registry per
// process (built by the composition root, never global), so tests can build
// as many servers as they like.
package metrics

import (
	"net/http"
	"runtime/metrics"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors the rest of the code updates.
type Metrics struct {
	reg *prometheus.Registry

	// MessagesProcessed counts messages stored (API, cable and bots alike).
	MessagesProcessed prometheus.Counter
	// MessageProcessing times a post from validation to commit.
	MessageProcessing prometheus.Histogram
	// HTTPRequests counts requests by route pattern, method and status class.
	HTTPRequests *prometheus.CounterVec
	// HTTPDuration times requests by route pattern.
	HTTPDuration *prometheus.HistogramVec
	// Errors counts error responses by code.
	Errors *prometheus.CounterVec
}

// New builds the registry with Go runtime and process collectors and the
// guide's campfire_* names. gauges are read at scrape time (active
// connections, queue depths) and may be added with AddGauge.
func New(instance string) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		reg: reg,
		MessagesProcessed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "campfire_messages_processed_total", Help: "Messages stored.",
		}),
		MessageProcessing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "campfire_message_processing_seconds", Help: "Time from receiving a post to its commit.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "campfire_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "campfire_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "campfire_http_errors_total", Help: "Error responses by stable error code.",
		}, []string{"code"}),
	}
	reg.MustRegister(m.MessagesProcessed, m.MessageProcessing, m.HTTPRequests, m.HTTPDuration, m.Errors)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "campfire_memory_usage_bytes", Help: "Memory the Go runtime holds from the OS.",
	}, memoryInUse))
	start := time.Now()
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "campfire_uptime_seconds", Help: "Seconds since this instance started.",
		ConstLabels: prometheus.Labels{"instance_id": instance},
	}, func() float64 { return time.Since(start).Seconds() }))
	return m
}

// AddGauge registers a gauge read at scrape time.
func (m *Metrics) AddGauge(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// AddCounter registers a counter read at scrape time (from an atomic kept
// by the package that owns it).
func (m *Metrics) AddCounter(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
}

// Register adds collectors owned elsewhere (e.g. database histograms).
func (m *Metrics) Register(cs ...prometheus.Collector) { m.reg.MustRegister(cs...) }

// Handler serves the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

func memoryInUse() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64() - s[1].Value.Uint64())
}

// MessageStored records one stored message and how long it took.
func (m *Metrics) MessageStored(d time.Duration) {
	m.MessagesProcessed.Inc()
	m.MessageProcessing.Observe(d.Seconds())
}

// ObserveRequest records one finished HTTP request. Route is the ServeMux
// pattern (bounded), never the raw path.
func (m *Metrics) ObserveRequest(method, route string, status int, code string, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.HTTPRequests.WithLabelValues(route, method, strconv.Itoa(status/100)+"xx").Inc()
	m.HTTPDuration.WithLabelValues(route).Observe(d.Seconds())
	if code != "" {
		m.Errors.WithLabelValues(code).Inc()
	}
}
