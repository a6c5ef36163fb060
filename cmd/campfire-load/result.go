package main

import (
	"fmt"
	"runtime"
	"strconv"
	"time"
)

// result is what a run measured; its JSON is the -json file.
type result struct {
	Scenario         string   `json:"scenario"`
	Targets          []string `json:"targets"`
	Instances        []string `json:"instances"`
	Started          string   `json:"started"`
	Seed             uint64   `json:"seed"`
	Connections      int      `json:"connections"`
	Rooms            int      `json:"rooms"`
	RoomSize         int      `json:"room_size"`
	People           int      `json:"people"`
	Bots             int      `json:"bots"`
	SocketsPerPerson int      `json:"sockets_per_person"`
	WorldReused      bool     `json:"world_reused"`
	PostVia          string   `json:"post_via"`
	Posting          string   `json:"posting"`
	RateRequested    float64  `json:"rate_requested"`

	Posts       int64   `json:"posts"`
	PostsFailed int64   `json:"posts_failed"`
	PostsPerS   float64 `json:"posts_per_s"`
	PostsLate   int64   `json:"posts_late"`
	PostRetries int64   `json:"post_retries,omitempty"` // -restart-cmd: retries while the server was away
	PostAckP50  float64 `json:"post_ack_p50_ms"`
	PostAckP99  float64 `json:"post_ack_p99_ms"`

	Expected   int64 `json:"expected"`
	Delivered  int64 `json:"delivered"`
	Lost       int64 `json:"lost"`
	Duplicated int64 `json:"duplicated"`
	OutOfOrder int64 `json:"out_of_order"`
	Stale      int64 `json:"stale"`
	Extra      int64 `json:"extra"`
	Incomplete int   `json:"incomplete_sockets"`

	P50            float64 `json:"p50_ms"`
	P90            float64 `json:"p90_ms"`
	P99            float64 `json:"p99_ms"`
	P999           float64 `json:"p999_ms"`
	Max            float64 `json:"max_ms"`
	Mean           float64 `json:"mean_ms"`
	MeasuredS      float64 `json:"measured_s"`
	DeliveriesPerS float64 `json:"deliveries_per_s"`

	ConnectS      float64 `json:"connect_s"`
	ConnectRate   float64 `json:"connects_per_s"`
	ConnectP50    float64 `json:"connect_p50_ms"`
	ConnectP99    float64 `json:"connect_p99_ms"`
	ConnectFailed int     `json:"connect_failed"`

	ServerOK               bool          `json:"server_metrics_ok"`
	ServerBefore           []serverStats `json:"server_before"`
	ServerAfter            []serverStats `json:"server_after"`
	ServerRSSBefore        float64       `json:"server_rss_before_bytes"`
	ServerRSSAfter         float64       `json:"server_rss_after_bytes"`
	ServerRSSPerSocketKB   float64       `json:"server_rss_per_socket_kb,omitempty"`
	ServerHeapPerSocketKB  float64       `json:"server_heap_per_socket_kb,omitempty"`
	ServerCPUS             float64       `json:"server_cpu_s"`
	ServerCPUPerDeliveryUs float64       `json:"server_cpu_us_per_delivery"`
	ServerCores            float64       `json:"server_cores"`
	ServerGCs              float64       `json:"server_gcs"`
	FramesPerWrite         float64       `json:"frames_per_write"`
	ToolCPUS               float64       `json:"tool_cpu_s"`
	ToolCPUPerDeliveryUs   float64       `json:"tool_cpu_us_per_delivery"`
	ToolCores              float64       `json:"tool_cores"`
	ToolCPUs               string        `json:"tool_cpus"`
	ToolGOMAXPROCS         int           `json:"tool_gomaxprocs"`
	MachineBusyPct         float64       `json:"machine_busy_pct"`

	Errors     map[string]int64 `json:"errors"`
	Storm      *stormResult     `json:"storm,omitempty"`
	Thresholds []threshold      `json:"thresholds"`
	Pass       bool             `json:"pass"`

	DeliveriesPerSecond []int64    `json:"deliveries_per_second"`
	PostsPerSecond      []int64    `json:"posts_per_second"`
	Histogram           [][3]int64 `json:"latency_histogram_us"` // [low, high, count] of non-empty buckets

	cfg         *config
	measureFrom time.Time
	measureTo   time.Time
	hist        *hist
}

type threshold struct {
	Name  string  `json:"name"`
	Limit float64 `json:"limit"`
	Value float64 `json:"value"`
	OK    bool    `json:"ok"`
}

type cpuWindow struct {
	server      float64
	self        time.Duration
	busy, total int64
}

func newResult(cfg *config, w *world, pp postPlan) *result {
	return &result{cfg: cfg, Scenario: cfg.scenario, Targets: cfg.targets, Started: time.Now().UTC().Format(time.RFC3339), Seed: cfg.seed,
		Connections: cfg.connections, Rooms: len(w.rooms), RoomSize: cfg.roomSize, People: len(w.people), Bots: len(w.bots),
		SocketsPerPerson: cfg.socketsPerPerson, WorldReused: w.reused, PostVia: cfg.postVia, Posting: pp.note, RateRequested: cfg.rate,
		ToolCPUs: cpusAllowed(), ToolGOMAXPROCS: runtime.GOMAXPROCS(0)}
}

func (r *result) setConnect(l *load, took time.Duration, failed int) {
	h := l.connectLat.snapshot()
	r.ConnectS = took.Seconds()
	r.ConnectRate = float64(r.Connections-failed) / max(took.Seconds(), 1e-9)
	r.ConnectP50, r.ConnectP99 = ms(h.quantile(0.5)), ms(h.quantile(0.99))
	r.ConnectFailed = failed
}

func (r *result) setServer(before, after []serverStats, w *cpuWindow) {
	r.ServerBefore, r.ServerAfter = before, after
	rss0, _, ok0 := sumStats(before)
	rss1, _, ok1 := sumStats(after)
	r.ServerOK = ok0 && ok1
	r.ServerRSSBefore, r.ServerRSSAfter = rss0, rss1
	if w == nil {
		return
	}
	secs := max(r.measureTo.Sub(r.measureFrom).Seconds(), 1e-9)
	r.ServerCPUS = w.server
	var frames, flushes float64
	for i := range min(len(before), len(after)) {
		frames += after[i].Frames - before[i].Frames
		flushes += after[i].Flushes - before[i].Flushes
		r.ServerGCs += after[i].GCs - before[i].GCs
	}
	if flushes > 0 {
		// The hub coalesces frames into one write per socket while a
		// socket is busy: this says how much.
		r.FramesPerWrite = frames / flushes
	}
	r.ServerCores = w.server / secs
	r.ToolCPUS = w.self.Seconds()
	r.ToolCores = w.self.Seconds() / secs
	if w.total > 0 {
		r.MachineBusyPct = 100 * float64(w.busy) / float64(w.total)
	}
}

func (r *result) setIdle(before, after []serverStats, sockets int) {
	if sockets <= 0 {
		return
	}
	var h0, h1 float64
	for _, s := range before {
		h0 += s.HeapBytes
	}
	for _, s := range after {
		h1 += s.HeapBytes
	}
	r.ServerRSSPerSocketKB = (r.ServerRSSAfter - r.ServerRSSBefore) / 1024 / float64(sockets)
	r.ServerHeapPerSocketKB = (h1 - h0) / 1024 / float64(sockets)
}

// finish computes the verdict of every socket and the thresholds. The
// Cables are closed, so their checkers are no longer written.
func (r *result) finish(l *load) {
	for _, m := range l.members {
		if m.cable == nil {
			continue
		}
		exp, lost, extra := m.chk.verdict(m.room.final)
		r.Expected += exp
		r.Delivered += exp - lost
		r.Lost += lost
		r.Extra += extra
		r.Duplicated += m.chk.dups
		r.OutOfOrder += m.chk.ooo
		r.Stale += m.chk.stale
		if lost > 0 {
			r.Incomplete++
		}
	}
	h := l.latency.snapshot()
	r.hist = h
	r.P50, r.P90, r.P99, r.P999, r.Max, r.Mean = ms(h.quantile(0.5)), ms(h.quantile(0.9)), ms(h.quantile(0.99)), ms(h.quantile(0.999)), ms(h.MaxUs), h.meanUs()/1000
	for b, n := range h.Counts {
		if n > 0 {
			lo, hi := bucketBounds(b)
			r.Histogram = append(r.Histogram, [3]int64{lo, hi, n})
		}
	}
	ph := l.postLat.snapshot()
	r.Posts, r.PostsFailed, r.PostsLate, r.PostRetries = l.posted.Load(), l.postFailed.Load(), l.late.Load(), l.postRetried.Load()
	r.PostAckP50, r.PostAckP99 = ms(ph.quantile(0.5)), ms(ph.quantile(0.99))
	if !r.measureFrom.IsZero() && r.measureTo.After(r.measureFrom) {
		secs := r.measureTo.Sub(r.measureFrom).Seconds()
		r.MeasuredS = secs
		r.DeliveriesPerS = float64(r.Delivered) / secs
		r.PostsPerS = float64(r.Posts) / secs
	}
	if r.Delivered > 0 {
		r.ServerCPUPerDeliveryUs = r.ServerCPUS * 1e6 / float64(r.Delivered)
		r.ToolCPUPerDeliveryUs = r.ToolCPUS * 1e6 / float64(r.Delivered)
	}
	r.Errors = l.errs.snapshot()
	seconds := int(time.Since(l.timeline.start)/time.Second) + 1
	r.DeliveriesPerSecond, r.PostsPerSecond = l.timeline.points(seconds)
	r.thresholds()
}

func (r *result) thresholds() {
	c := r.cfg
	var errs int64
	for _, n := range r.Errors {
		errs += n
	}
	add := func(name string, limit, value float64, ok bool) {
		r.Thresholds = append(r.Thresholds, threshold{Name: name, Limit: limit, Value: value, OK: ok})
	}
	add("lost", 0, float64(r.Lost), r.Lost == 0)
	add("duplicated", 0, float64(r.Duplicated), r.Duplicated == 0)
	add("errors", float64(c.maxErrors), float64(errs), errs <= c.maxErrors)
	if c.postVia != "none" {
		add("delivered", 1, float64(r.Delivered), r.Delivered > 0 || r.Expected == 0 && r.Posts == 0 && errs == 0)
	}
	if c.maxP99 > 0 && c.postVia != "none" {
		limit := float64(c.maxP99) / float64(time.Millisecond)
		add("p99_ms", limit, r.P99, r.P99 <= limit)
	}
	if c.idle && c.maxRSSPerSocket > 0 && r.ServerOK {
		add("server_rss_per_socket_kb", c.maxRSSPerSocket, r.ServerRSSPerSocketKB, r.ServerRSSPerSocketKB <= c.maxRSSPerSocket)
	}
	if r.Storm != nil && c.maxReconnect > 0 {
		limit := c.maxReconnect.Seconds()
		ok := r.Storm.NotReconnected == 0 && r.Storm.NotCaughtUp == 0 && r.Storm.CaughtUpS <= limit
		add("storm_caught_up_s", limit, r.Storm.CaughtUpS, ok)
	}
	r.Pass = true
	for _, t := range r.Thresholds {
		r.Pass = r.Pass && t.OK
	}
}

func (t threshold) String() string {
	verdict := "ok"
	if !t.OK {
		verdict = "FAIL"
	}
	return fmt.Sprintf("%s %s (limit %s) %s", t.Name, strconv.FormatFloat(t.Value, 'f', -1, 64), strconv.FormatFloat(t.Limit, 'f', -1, 64), verdict)
}
