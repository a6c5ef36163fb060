package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake is a Source under the test's control and a clock.
type fake struct {
	mu         sync.Mutex
	conns      int64
	msgs       uint64
	mem, limit uint64
	cpu        time.Duration
	now        time.Time
	logs       bytes.Buffer
	logMu      sync.Mutex
}

func (f *fake) Write(p []byte) (int, error) {
	f.logMu.Lock()
	defer f.logMu.Unlock()
	return f.logs.Write(p)
}

func (f *fake) log() string {
	f.logMu.Lock()
	defer f.logMu.Unlock()
	return f.logs.String()
}

func newFake(t *testing.T, th Thresholds) (*Monitor, *fake) {
	t.Helper()
	f := &fake{mem: 100, limit: 1000, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	m := New(Options{
		Preset: "small", Thresholds: th, Interval: 5 * time.Second, Window: 15 * time.Second,
		MinRequests: 10, Exclude: []string{"GET /api/v1/cable"},
		Logger: slog.New(slog.NewTextHandler(f, nil)),
		Now: func() time.Time {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.now
		},
	}, Source{
		Connections: func() int64 { f.mu.Lock(); defer f.mu.Unlock(); return f.conns },
		Messages:    func() uint64 { f.mu.Lock(); defer f.mu.Unlock(); return f.msgs },
		Memory:      func() uint64 { f.mu.Lock(); defer f.mu.Unlock(); return f.mem },
		MemoryLimit: func() uint64 { f.mu.Lock(); defer f.mu.Unlock(); return f.limit },
		CPUTime:     func() time.Duration { f.mu.Lock(); defer f.mu.Unlock(); return f.cpu },
		CPUs:        func() float64 { return 2 },
	})
	return m, f
}

func (f *fake) step(fn func(f *fake)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(5 * time.Second)
	if fn != nil {
		fn(f)
	}
}

func small(t *testing.T) Thresholds {
	th, ok := Preset("small")
	if !ok {
		t.Fatal("no small preset")
	}
	return th
}

func TestPresetsMatchTheGuide(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Thresholds
	}{
		{"small", Thresholds{0.8, 0.85, 100, 100 * time.Millisecond, 0.99}},
		{"medium", Thresholds{0.75, 0.80, 1000, 50 * time.Millisecond, 0.995}},
		{"large", Thresholds{0.70, 0.75, 5000, 25 * time.Millisecond, 0.999}},
	} {
		got, ok := Preset(tc.name)
		if !ok || got != tc.want {
			t.Errorf("Preset(%q) = %+v, %v; want %+v", tc.name, got, ok, tc.want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("preset %s invalid: %v", tc.name, err)
		}
	}
	if _, ok := Preset("huge"); ok {
		t.Error("unknown preset accepted")
	}
}

func TestAlertsStartAndEndOnceEach(t *testing.T) {
	m, f := newFake(t, small(t))
	m.Sample()
	f.step(func(f *fake) { f.conns = 101 })
	m.Sample()
	f.step(func(f *fake) { f.conns = 150 })
	m.Sample() // still over: no second log line
	st := m.Status()
	a := st.Alerts[2]
	if a.Name != TooManyConnections || !a.Active || a.Since == nil || !m.Active(TooManyConnections) {
		t.Fatalf("after 150 connections: %+v", a)
	}
	if want := time.Date(2026, 1, 2, 3, 4, 10, 0, time.UTC); !a.Since.Equal(want) {
		t.Errorf("since %v, want %v (the first sample over)", a.Since, want)
	}
	if a.Value != 150 || a.Threshold != 100 {
		t.Errorf("value %v threshold %v", a.Value, a.Threshold)
	}
	f.step(func(f *fake) { f.conns = 100 }) // at the threshold is not over it
	m.Sample()
	if m.Active(TooManyConnections) {
		t.Fatal("still active at 100")
	}
	logs := f.log()
	if n := strings.Count(logs, "capacity alert started"); n != 1 {
		t.Errorf("%d start lines, want 1:\n%s", n, logs)
	}
	if n := strings.Count(logs, "capacity alert ended"); n != 1 {
		t.Errorf("%d end lines, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs, "level=WARN msg=\"capacity alert started\" alert=too_many_connections") ||
		!strings.Contains(logs, "level=INFO msg=\"capacity alert ended\" alert=too_many_connections") || !strings.Contains(logs, "lasted=10s") {
		t.Errorf("log lines:\n%s", logs)
	}
}

func TestCPUAndMemory(t *testing.T) {
	m, f := newFake(t, small(t))
	m.Sample()
	// 9 s of CPU in 5 s on 2 CPUs: 90%.
	f.step(func(f *fake) { f.cpu += 9 * time.Second; f.mem = 900 })
	s := m.Sample()
	if s.CPU < 0.89 || s.CPU > 0.91 || s.MemoryRatio != 0.9 {
		t.Fatalf("sample %+v", s)
	}
	if !m.Active(HighCPU) || !m.Active(HighMemory) {
		t.Fatalf("alerts: %+v", m.Status().Alerts)
	}
	// Without a known memory limit the memory alert is off.
	f.step(func(f *fake) { f.limit = 0 })
	m.Sample()
	if m.Active(HighMemory) || m.Active(HighCPU) {
		t.Fatalf("alerts after: %+v", m.Status().Alerts)
	}
}

func TestResponseTimeAndSuccessRate(t *testing.T) {
	m, f := newFake(t, small(t))
	m.Sample()
	// Too few requests to judge, however slow.
	for range 5 {
		m.ObserveRequest("GET /api/v1/rooms", 500, time.Second)
	}
	f.step(nil)
	if s := m.Sample(); m.Active(SlowResponse) || m.Active(LowSuccessRate) || s.Requests != 5 || s.SuccessRate != 0 {
		t.Fatalf("judged on 5 requests: %+v %+v", s, m.Status().Alerts)
	}
	// The cable's upgrade is never counted.
	for range 50 {
		m.ObserveRequest("GET /api/v1/cable", 101, time.Hour)
	}
	for range 95 {
		m.ObserveRequest("GET /api/v1/rooms", 200, 2*time.Millisecond)
	}
	f.step(nil)
	s := m.Sample()
	if s.Requests != 100 || s.SuccessRate != 0.95 || s.P99 < time.Second || s.P99 > 1100*time.Millisecond {
		t.Fatalf("sample %+v", s)
	}
	if !m.Active(SlowResponse) || !m.Active(LowSuccessRate) {
		t.Fatalf("alerts %+v", m.Status().Alerts)
	}
	// The window is 15 s (3 intervals): the slow ones age out.
	for range 4 {
		for range 20 {
			m.ObserveRequest("GET /api/v1/rooms", 200, 3*time.Millisecond)
		}
		f.step(nil)
		s = m.Sample()
	}
	if m.Active(SlowResponse) || m.Active(LowSuccessRate) || s.P99 > 4*time.Millisecond || s.SuccessRate != 1 {
		t.Fatalf("after the window: %+v %+v", s, m.Status().Alerts)
	}
}

// A slow spell followed by silence: the alert ends once a whole window
// has passed with too few requests to judge, instead of paging all night.
func TestQuietServerEndsResponseAlerts(t *testing.T) {
	m, f := newFake(t, small(t))
	m.Sample()
	for range 100 {
		m.ObserveRequest("GET /api/v1/rooms", 500, time.Second)
	}
	f.step(nil)
	m.Sample()
	if !m.Active(SlowResponse) || !m.Active(LowSuccessRate) {
		t.Fatalf("alerts %+v", m.Status().Alerts)
	}
	// The window is 15 s (3 intervals of 5 s): the slow requests age out
	// and the window holds too few to judge; for one window the state holds.
	for range 3 {
		f.step(nil)
		m.Sample()
	}
	if s := m.Sample(); s.Requests != 0 || !m.Active(SlowResponse) {
		t.Fatalf("ended before a whole quiet window: %+v %+v", s, m.Status().Alerts)
	}
	for range 3 {
		f.step(nil)
		m.Sample()
	}
	if m.Active(SlowResponse) || m.Active(LowSuccessRate) {
		t.Fatalf("still firing after a quiet window: %+v", m.Status().Alerts)
	}
}

func TestPostsPerSecondAndHistory(t *testing.T) {
	m, f := newFake(t, small(t))
	m.Sample()
	f.step(func(f *fake) { f.msgs = 50 })
	if s := m.Sample(); s.PostsPerSecond != 10 {
		t.Fatalf("posts/s = %v, want 10", s.PostsPerSecond)
	}
	for range HistoryLength + 10 {
		f.step(func(f *fake) { f.conns++ })
		m.Sample()
	}
	st := m.Status()
	if len(st.History) != HistoryLength {
		t.Fatalf("history %d, want %d", len(st.History), HistoryLength)
	}
	for i := 1; i < len(st.History); i++ {
		if !st.History[i].At.After(st.History[i-1].At) {
			t.Fatalf("history out of order at %d", i)
		}
	}
	if st.Latest == nil || st.Latest.Connections != st.History[len(st.History)-1].Connections {
		t.Fatalf("latest %+v", st.Latest)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"preset":"small"`, `"max_response_time_ms":100`, `"p99_ms":`, `"posts_per_second":`, `"since":null`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
}

func TestBuckets(t *testing.T) {
	for _, d := range []time.Duration{0, 50 * time.Microsecond, time.Millisecond, 25 * time.Millisecond, 100 * time.Millisecond, time.Second, time.Hour} {
		i := bucketOf(d)
		if i < 0 || i >= bucketCount {
			t.Fatalf("bucketOf(%v) = %d", d, i)
		}
		if d <= bucketBound(bucketCount-1) && (bucketBound(i) < d || (i > 0 && bucketBound(i-1) >= d)) {
			t.Errorf("bucketOf(%v) = %d: bounds %v..%v", d, i, bucketBound(i-1), bucketBound(i))
		}
		if d > bucketBase && d < time.Minute && float64(bucketBound(i)) > 1.1*float64(d)+1 {
			t.Errorf("bucket bound %v more than 10%% above %v", bucketBound(i), d)
		}
	}
}

func TestRunStopsWithContext(t *testing.T) {
	m := New(Options{Thresholds: small(t), Interval: 10 * time.Millisecond}, Source{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m.Status().Latest == nil {
		t.Fatal("no first sample")
	}
}

// TestStatusNamesTheInstance: with several instances each watches only
// itself, so the status says which one answered.
func TestStatusNamesTheInstance(t *testing.T) {
	th, _ := Preset("small")
	m := New(Options{Instance: "web-2", Thresholds: th}, Source{})
	if got := m.Status().Instance; got != "web-2" {
		t.Errorf("instance %q, want web-2", got)
	}
	b, err := json.Marshal(m.Status())
	if err != nil || !strings.Contains(string(b), `"instance":"web-2"`) {
		t.Errorf("JSON %s, %v", b, err)
	}
}
