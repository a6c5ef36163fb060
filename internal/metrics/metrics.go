// Package metrics owns Campfire's Prometheus collectors. One Registry per
// process (built by the composition root, never global), so tests can build
// as many servers as they like.
package metrics

import (
	"net/http"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
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
	// HTTPDuration times requests by route pattern and status class.
	HTTPDuration *prometheus.HistogramVec
	// Errors counts error responses by code.
	Errors *prometheus.CounterVec
	// DBQuery times store calls by operation (the store method's name).
	DBQuery *prometheus.HistogramVec
	// BrokerPublish times publishing one event to the broker.
	BrokerPublish prometheus.Histogram

	messages atomic.Uint64
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
			Name: "campfire_http_request_duration_seconds", Help: "HTTP request latency by route and status class.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "status"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "campfire_http_errors_total", Help: "Error responses by stable error code.",
		}, []string{"code"}),
	}
	// Store calls run from tens of microseconds (an indexed SQLite read)
	// to a slow PostgreSQL write: finer low buckets than DefBuckets.
	m.DBQuery = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "campfire_database_query_seconds", Help: "Database calls by operation (store method).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"operation"})
	m.BrokerPublish = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "campfire_broker_publish_seconds", Help: "Time to publish one event to the broker (in-process or Redis).",
		Buckets: []float64{.00001, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .5},
	})
	reg.MustRegister(m.MessagesProcessed, m.MessageProcessing, m.HTTPRequests, m.HTTPDuration, m.Errors, m.DBQuery, m.BrokerPublish)
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
	m.messages.Add(1)
	m.MessagesProcessed.Inc()
	m.MessageProcessing.Observe(d.Seconds())
}

// ObserveRequest records one finished HTTP request. Route is the ServeMux
// pattern (bounded), never the raw path.
func (m *Metrics) ObserveRequest(method, route string, status int, code string, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "other" // a client may send any token here
	}
	class := strconv.Itoa(status/100) + "xx"
	m.HTTPRequests.WithLabelValues(route, method, class).Inc()
	m.HTTPDuration.WithLabelValues(route, class).Observe(d.Seconds())
	if code != "" {
		m.Errors.WithLabelValues(code).Inc()
	}
}

// Messages is the number of messages stored since start (what
// campfire_messages_processed_total counts), for the capacity monitor.
func (m *Metrics) Messages() uint64 { return m.messages.Load() }

// ObserveQuery records one store call.
func (m *Metrics) ObserveQuery(operation string, d time.Duration) {
	m.DBQuery.WithLabelValues(operation).Observe(d.Seconds())
}

// ObservePublish records one broker publish.
func (m *Metrics) ObservePublish(d time.Duration) { m.BrokerPublish.Observe(d.Seconds()) }

// AddLabeledGauge registers one gauge family whose series, one per value
// of label, are read at scrape time. The values are fixed here, so the
// label set is bounded.
func (m *Metrics) AddLabeledGauge(name, help, label string, values []string, read func(value string) float64) {
	m.reg.MustRegister(&labeledGauge{desc: prometheus.NewDesc(name, help, []string{label}, nil), values: values, read: read})
}

type labeledGauge struct {
	desc   *prometheus.Desc
	values []string
	read   func(string) float64
}

func (g *labeledGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *labeledGauge) Collect(ch chan<- prometheus.Metric) {
	for _, v := range g.values {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, g.read(v), v)
	}
}

// Pool is a connection pool's state: the database's or Redis's.
type Pool struct {
	InUse, Idle, Max int // Max is 0 when unknown (not exported then)
	// Waits counts acquisitions that waited for a connection; WaitTime is
	// their total wait; Timeouts those that gave up (Redis).
	Waits, Timeouts int64
	WaitTime        time.Duration
}

// AddPool exports a pool under prefix (campfire_db_pool,
// campfire_redis_pool): _in_use, _idle and _max gauges, and _waits_total,
// _wait_seconds_total and _timeouts_total counters.
func (m *Metrics) AddPool(prefix, what string, read func() Pool, withMax bool) {
	m.AddGauge(prefix+"_in_use", what+" connections in use.", func() float64 { return float64(read().InUse) })
	m.AddGauge(prefix+"_idle", what+" connections idle in the pool.", func() float64 { return float64(read().Idle) })
	if withMax {
		m.AddGauge(prefix+"_max", "Most "+what+" connections the pool opens.", func() float64 { return float64(read().Max) })
	}
	m.AddCounter(prefix+"_waits_total", "Acquisitions of a "+what+" connection that had to wait.", func() float64 { return float64(read().Waits) })
	m.AddCounter(prefix+"_wait_seconds_total", "Time spent waiting for a "+what+" connection.", func() float64 { return read().WaitTime.Seconds() })
	m.AddCounter(prefix+"_timeouts_total", "Acquisitions of a "+what+" connection that timed out.", func() float64 { return float64(read().Timeouts) })
}
