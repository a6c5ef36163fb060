package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/campfire-go/campfire/client"
)

// serverStats is what one instance's /metrics says about its process.
type serverStats struct {
	Instance   string  `json:"instance"`
	RSSBytes   float64 `json:"rss_bytes"`
	CPUSeconds float64 `json:"cpu_seconds"`
	HeapBytes  float64 `json:"heap_inuse_bytes"`
	Goroutines float64 `json:"goroutines"`
	GCs        float64 `json:"gcs"`
	Frames     float64 `json:"ws_frames_sent"`
	Flushes    float64 `json:"ws_flushes"`
	OK         bool    `json:"ok"`
}

// scrape reads one instance's /metrics (and /health for its name). A
// failure leaves OK false: the run goes on without server figures.
func scrape(ctx context.Context, hc *http.Client, base string) serverStats {
	var s serverStats
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if c, err := client.New(base, client.WithHTTPClient(hc)); err == nil {
		if h, err := c.Health(ctx); err == nil {
			s.Instance = h.Instance
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/metrics", nil)
	if err != nil {
		return s
	}
	resp, err := hc.Do(req)
	if err != nil {
		return s
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || math.IsNaN(f) {
			continue
		}
		switch name {
		case "process_resident_memory_bytes":
			s.RSSBytes, s.OK = f, true
		case "process_cpu_seconds_total":
			s.CPUSeconds = f
		case "go_memstats_heap_inuse_bytes":
			s.HeapBytes = f
		case "go_goroutines":
			s.Goroutines = f
		case "go_gc_duration_seconds_count":
			s.GCs = f
		case "campfire_ws_frames_sent_total":
			s.Frames = f
		case "campfire_ws_flushes_total":
			s.Flushes = f
		}
	}
	return s
}

// scrapeAll reads every instance; sums are over those that answered.
func scrapeAll(ctx context.Context, hc *http.Client, bases []string) []serverStats {
	out := make([]serverStats, len(bases))
	for i, b := range bases {
		out[i] = scrape(ctx, hc, b)
	}
	return out
}

func sumStats(ss []serverStats) (rss, cpu float64, ok bool) {
	ok = len(ss) > 0
	for _, s := range ss {
		rss += s.RSSBytes
		cpu += s.CPUSeconds
		ok = ok && s.OK
	}
	return rss, cpu, ok
}

// selfCPU is this process's CPU time, user and system.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU is the "cpu" line of /proc/stat in ticks: busy and total,
// so a run can say how busy the whole machine was (other work included).
func machineCPU() (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:min(len(f), 9)] {
		n, _ := strconv.ParseInt(v, 10, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

// cpusAllowed is this process's CPU affinity as the kernel lists it.
func cpusAllowed() string {
	b, _ := os.ReadFile("/proc/self/status")
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(rest)
		}
	}
	return "?"
}

// raiseFileLimit lifts the soft limit on open files to the hard one: every
// socket is a file.
func raiseFileLimit() (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			return 0, fmt.Errorf("setrlimit: %w", err)
		}
	}
	return rl.Cur, nil
}
