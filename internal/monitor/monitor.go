package monitor

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"
)

// Source is what the monitor reads at each sample. Nil functions read as
// zero, except the system ones, which default to this process's.
type Source struct {
	// Connections is the number of open WebSockets.
	Connections func() int64
	// Messages is the number of messages stored since start.
	Messages func() uint64
	// Memory, MemoryLimit, CPUTime and CPUs default to MemoryInUse,
	// MemoryLimit, CPUTime and CPUs.
	Memory      func() uint64
	MemoryLimit func() uint64
	CPUTime     func() time.Duration
	CPUs        func() float64
}

// Options configure a Monitor.
type Options struct {
	Preset string // the preset Thresholds came from, for the status
	// Instance names this server in the status: with several instances
	// each watches only itself, and an admin must know which one answered.
	Instance   string
	Thresholds Thresholds
	// Interval between samples; default 5 s.
	Interval time.Duration
	// Window is how far back p99 and the success rate look; default 1 min.
	Window time.Duration
	// MinRequests is how many requests the window needs before response
	// time and success rate are judged; default 20. Fewer say too little
	// (one slow sign-in would be "the p99").
	MinRequests int
	// Exclude lists routes (ServeMux patterns) left out of response time
	// and success rate: the WebSocket upgrade lives as long as the socket.
	Exclude []string
	Logger  *slog.Logger
	Now     func() time.Time
}

// Sample is what one sampling saw.
type Sample struct {
	At          time.Time
	Connections int64
	// PostsPerSecond is messages stored per second since the last sample.
	PostsPerSecond float64
	// P99 is the 99th percentile response time over the window; Requests
	// and SuccessRate (non-5xx share, 1 with no requests) too.
	P99         time.Duration
	Requests    uint64
	SuccessRate float64
	MemoryBytes uint64
	// MemoryLimitBytes is 0 when unknown; MemoryRatio is then 0.
	MemoryLimitBytes uint64
	MemoryRatio      float64
	// CPU is the share of the CPUs this process used since the last
	// sample.
	CPU float64
}

// MarshalJSON writes times in milliseconds and memory as numbers.
func (s Sample) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		At               time.Time `json:"at"`
		Connections      int64     `json:"connections"`
		PostsPerSecond   float64   `json:"posts_per_second"`
		P99MS            float64   `json:"p99_ms"`
		Requests         uint64    `json:"requests"`
		SuccessRate      float64   `json:"success_rate"`
		MemoryBytes      uint64    `json:"memory_bytes"`
		MemoryLimitBytes uint64    `json:"memory_limit_bytes"`
		MemoryRatio      float64   `json:"memory_ratio"`
		CPU              float64   `json:"cpu"`
	}{s.At.UTC(), s.Connections, round(s.PostsPerSecond), round(ms(s.P99)), s.Requests, round(s.SuccessRate),
		s.MemoryBytes, s.MemoryLimitBytes, round(s.MemoryRatio), round(s.CPU)})
}

// round keeps four decimals: plenty for charts, and the JSON stays short.
func round(f float64) float64 { return float64(int64(f*1e4+0.5)) / 1e4 }

// Alert is one alert's state.
type Alert struct {
	Name   string     `json:"name"`
	Active bool       `json:"active"`
	Since  *time.Time `json:"since"` // when it started; nil when not active
	// Value and Threshold are what was compared at the last sample, in
	// the units of the thresholds (shares, connections, milliseconds).
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
}

// Status is what the admin API and page show.
type Status struct {
	Instance   string     `json:"instance"`
	Preset     string     `json:"preset"`
	Thresholds Thresholds `json:"thresholds"`
	IntervalMS int64      `json:"interval_ms"`
	WindowMS   int64      `json:"window_ms"`
	Latest     *Sample    `json:"latest"` // nil before the first sample
	Alerts     []Alert    `json:"alerts"` // all five, in AlertNames order
	History    []Sample   `json:"history"`
}

// Monitor samples, evaluates and remembers. Build it with New and run it
// with Run; the other methods are safe from any goroutine.
type Monitor struct {
	opts    Options
	src     Source
	log     *slog.Logger
	reqs    *requests
	exclude map[string]bool

	sampling sync.Mutex // one Sample at a time (Run, or a test calling it)
	mu       sync.Mutex
	history  []Sample // ring, oldest at head once full
	head     int
	latest   *Sample
	alerts   map[string]*Alert
	lastCPU  time.Duration
	// lastJudged is when the window last held enough requests to judge.
	lastJudged time.Time
	lastMsgs   uint64
	lastAt     time.Time
}

// HistoryLength bounds the history: an hour at the default 5 s interval.
// Shorter intervals (tests) keep this many samples, so less than an hour.
const HistoryLength = 720

// New builds a monitor; opts.Thresholds must be valid.
func New(opts Options, src Source) *Monitor {
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.Window < opts.Interval {
		opts.Window = max(time.Minute, opts.Interval)
	}
	if opts.MinRequests <= 0 {
		opts.MinRequests = 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Preset == "" {
		opts.Preset = "custom"
	}
	if src.Memory == nil {
		src.Memory = MemoryInUse
	}
	if src.MemoryLimit == nil {
		src.MemoryLimit = MemoryLimit
	}
	if src.CPUTime == nil {
		src.CPUTime = CPUTime
	}
	if src.CPUs == nil {
		src.CPUs = CPUs
	}
	slots := int((opts.Window + opts.Interval - 1) / opts.Interval)
	m := &Monitor{
		opts: opts, src: src, log: opts.Logger,
		reqs:    newRequests(min(slots, 720)),
		exclude: map[string]bool{},
		history: make([]Sample, 0, HistoryLength),
		alerts:  map[string]*Alert{},
	}
	for _, r := range opts.Exclude {
		m.exclude[r] = true
	}
	for _, n := range AlertNames {
		m.alerts[n] = &Alert{Name: n}
	}
	return m
}

// ObserveRequest counts one finished HTTP request (route is the ServeMux
// pattern). It never blocks.
func (m *Monitor) ObserveRequest(route string, status int, d time.Duration) {
	if m == nil || m.exclude[route] {
		return
	}
	m.reqs.observe(status, d)
}

// Thresholds are the thresholds in force.
func (m *Monitor) Thresholds() Thresholds { return m.opts.Thresholds }

// Active reports whether an alert is active.
func (m *Monitor) Active(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.alerts[name]
	return ok && a.Active
}

// Run samples every interval until ctx ends.
func (m *Monitor) Run(ctx context.Context) error {
	m.Sample()
	t := time.NewTicker(m.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			m.Sample()
		}
	}
}

// Sample takes one sample now and evaluates it (Run calls it; tests may).
func (m *Monitor) Sample() Sample {
	m.sampling.Lock()
	defer m.sampling.Unlock()
	now := m.opts.Now()
	w := m.reqs.rotate()
	s := Sample{
		At:               now,
		P99:              w.p99,
		Requests:         w.total,
		SuccessRate:      1,
		MemoryBytes:      m.src.Memory(),
		MemoryLimitBytes: m.src.MemoryLimit(),
	}
	if m.src.Connections != nil {
		s.Connections = m.src.Connections()
	}
	if w.total > 0 {
		s.SuccessRate = float64(w.total-w.failed) / float64(w.total)
	}
	if s.MemoryLimitBytes > 0 {
		s.MemoryRatio = float64(s.MemoryBytes) / float64(s.MemoryLimitBytes)
	}
	cpu := m.src.CPUTime()
	var msgs uint64
	if m.src.Messages != nil {
		msgs = m.src.Messages()
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.lastAt.IsZero() {
		if el := now.Sub(m.lastAt); el > 0 {
			if n := m.src.CPUs(); n > 0 {
				s.CPU = max(0, float64(cpu-m.lastCPU)/(float64(el)*n))
			}
			if msgs >= m.lastMsgs {
				s.PostsPerSecond = float64(msgs-m.lastMsgs) / el.Seconds()
			}
		}
	}
	m.lastCPU, m.lastMsgs, m.lastAt = cpu, msgs, now
	m.evaluate(s, int(w.total) >= m.opts.MinRequests)
	if len(m.history) < cap(m.history) {
		m.history = append(m.history, s)
	} else {
		m.history[m.head] = s
		m.head = (m.head + 1) % len(m.history)
	}
	m.latest = &s
	return s
}

// evaluate compares s with the thresholds and logs each change of state.
// Response time and success rate keep their state when the window holds
// too few requests to judge, but for one window at most: a server gone
// quiet after a slow spell (chat traffic is mostly on the cable, which is
// not counted) must not stay in alert all night.
func (m *Monitor) evaluate(s Sample, enough bool) {
	th := m.opts.Thresholds
	quiet := false
	if enough {
		m.lastJudged = s.At
	} else if s.At.Sub(m.lastJudged) >= m.opts.Window {
		quiet = true
	}
	type check struct {
		name             string
		value, threshold float64
		firing, judged   bool
	}
	checks := []check{
		{HighCPU, s.CPU, th.MaxCPU, s.CPU > th.MaxCPU, true},
		{HighMemory, s.MemoryRatio, th.MaxMemory, s.MemoryRatio > th.MaxMemory, s.MemoryLimitBytes > 0},
		{TooManyConnections, float64(s.Connections), float64(th.MaxConnections), s.Connections > int64(th.MaxConnections), true},
		{SlowResponse, ms(s.P99), ms(th.MaxResponseTime), s.P99 > th.MaxResponseTime, enough},
		{LowSuccessRate, s.SuccessRate, th.MinSuccessRate, s.SuccessRate < th.MinSuccessRate, enough},
	}
	for _, c := range checks {
		a := m.alerts[c.name]
		a.Value, a.Threshold = round(c.value), c.threshold
		if !c.judged {
			if c.name == HighMemory || quiet {
				c.firing = false // no limit known, or too quiet to judge for a window: off
			} else {
				continue
			}
		}
		switch {
		case c.firing && !a.Active:
			at := s.At
			a.Active, a.Since = true, &at
			m.log.Warn("capacity alert started", "alert", c.name, "value", a.Value, "threshold", c.threshold)
		case !c.firing && a.Active:
			m.log.Info("capacity alert ended", "alert", c.name, "value", a.Value, "threshold", c.threshold,
				"lasted", s.At.Sub(*a.Since).Round(time.Second).String())
			a.Active, a.Since = false, nil
		}
	}
}

// Status returns the thresholds, the latest sample, every alert's state and
// the history, oldest first.
func (m *Monitor) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := Status{
		Instance:   m.opts.Instance,
		Preset:     m.opts.Preset,
		Thresholds: m.opts.Thresholds,
		IntervalMS: m.opts.Interval.Milliseconds(),
		WindowMS:   m.opts.Window.Milliseconds(),
		History:    make([]Sample, 0, len(m.history)),
	}
	if m.latest != nil {
		l := *m.latest
		st.Latest = &l
	}
	for _, n := range AlertNames {
		a := *m.alerts[n]
		if a.Since != nil {
			since := a.Since.UTC()
			a.Since = &since
		}
		st.Alerts = append(st.Alerts, a)
	}
	st.History = append(st.History, m.history[m.head:]...)
	st.History = append(st.History, m.history[:m.head]...)
	return st
}
