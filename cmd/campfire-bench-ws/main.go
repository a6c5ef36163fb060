// Command campfire-bench-ws measures the cable across processes: server
// memory per idle WebSocket, and fan-out throughput and post-to-delivery
// latency to the subscribers of one room. The client is this process; the
// server is a child process, so their memory and CPU are counted apart.
//
// Two servers can be measured (-server):
//
//   - real (the default): the campfire binary, built from ./cmd/campfire
//     and started on a fresh SQLite database in a temporary directory
//     (BCRYPT_COST=4), or an existing server given with -url. The tool
//     uses the public API only: POST /api/v1/setup, people through the join
//     link, bots for posting, GET /api/v1/cable with a bearer token.
//     Messages are posted through the bot API, so each one takes the whole
//     path: HTTP, the core's checks and Markdown, the SQLite commit, the
//     broker, the hub, the sockets.
//     The server allows 32 sockets per account, so the sockets share the
//     tokens of enough people (-users); people join from their own loopback
//     addresses, ten each, under the sign-in limit. Posts are spread over
//     enough bots that none passes the post limit. No limit is changed.
//   - memory: this binary's own "serve" child, the real hub in front of an
//     in-memory core, posting over the cable. It isolates the cable from
//     the database, and can CPU-profile itself (-server-cpu-profile). For
//     experiments, -server-env BENCH_FLUSH_INTERVAL=5ms sets its hub's
//     FlushInterval (-1ns: none).
//
// Examples (from the repository root; ulimit -n must cover the sockets):
//
//	go build -o /tmp/bench ./cmd/campfire-bench-ws
//	/tmp/bench idle -n 10000
//	/tmp/bench fanout -subs 1000 -msgs 3000 -rate 150
//	taskset -c 1 /tmp/bench fanout -server-cpus 0 -subs 1000 -msgs 3000 -rate 150
//	/tmp/bench fanout -server memory -server-cpu-profile cpu.pprof
//	/tmp/bench fanout -server-perf perf.data   # then: perf report -i perf.data
//
// It is a measuring tool for docs/performance.md, not the load tool.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	log.SetFlags(0)
	if len(os.Args) < 2 {
		log.Fatal("usage: campfire-bench-ws idle|fanout [flags]  (-h for the flags)")
	}
	cmd, args := os.Args[1], os.Args[2:]
	go func() {
		// Interrupted: stop the server child first, so it is not left behind.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		if t := current.Load(); t != nil {
			(*t).stop()
		}
		os.Exit(130)
	}()
	switch cmd {
	case "serve":
		serve(args)
	case "idle":
		idle(args)
	case "fanout":
		fanout(args)
	default:
		log.Fatalf("unknown command %q", cmd)
	}
}

// ---- targets ----

type targetOpts struct {
	server        string
	lib           string
	url, token    string
	pid           int
	binary        string
	serverCPUs    string
	serverEnv     []string
	serverEnvFlag *string
	users         int
	sockets       int // how many the command opens (for -users 0)
	keep          bool
}

func addTargetFlags(fs *flag.FlagSet) *targetOpts {
	o := &targetOpts{}
	fs.StringVar(&o.server, "server", "real", "real (the campfire binary on SQLite) or memory (the hub on an in-memory core)")
	fs.StringVar(&o.lib, "lib", "gorilla", "memory server only: gorilla (the real hub) or coder (the same socket shape on coder/websocket)")
	fs.StringVar(&o.url, "url", "", "real server only: measure this running server (http://host:port) instead of starting one")
	fs.StringVar(&o.token, "token", "", "with -url: an admin's bearer token (otherwise the tool runs setup)")
	fs.IntVar(&o.pid, "pid", 0, "with -url: the server's process id, for its RSS")
	fs.StringVar(&o.binary, "campfire", "", "real server: this campfire binary instead of building ./cmd/campfire")
	fs.StringVar(&o.serverCPUs, "server-cpus", "", "pin the server to these CPUs with taskset, e.g. 0 (then run the tool under taskset -c 1)")
	env := fs.String("server-env", "", "extra environment for the server, comma separated (e.g. GOGC=200,GOMAXPROCS=1)")
	fs.IntVar(&o.users, "users", 0, "real server: people whose tokens the sockets share, round robin (0: enough that nobody holds more than 30, under the server's 32 per account)")
	fs.BoolVar(&o.keep, "keep", false, "real server: keep its temporary directory (database, server.log)")
	o.serverEnvFlag = env
	return o
}

type memStats struct {
	rssKB, anonKB, heapKB, stackKB, goroutines int64
	gcs                                        int64 // completed GC cycles (real server)
	frames, flushes                            int64 // the hub's counters: frames written, writes
	gcForced                                   bool  // heap and stacks are live memory
}

type target interface {
	name() string
	pid() int
	mem() memStats
	rooms(n int) []int64
	dial(i int) (*websocket.Conn, error)
	cableRequest(i int) cableRequest
	poster(room int64, msgs, bots int) poster
	stop()
}

type poster interface {
	// post posts message i; with wait it returns once the server has
	// stored it (the real poster always does).
	post(i int, body string, wait bool) error
	close()
}

func openTarget(o *targetOpts) target {
	if *o.serverEnvFlag != "" {
		o.serverEnv = strings.Split(*o.serverEnvFlag, ",")
	}
	if o.url != "" {
		o.server = "real"
	}
	if o.users <= 0 {
		o.users = max(1, (o.sockets+29)/30)
	}
	var t target
	switch o.server {
	case "real":
		t = startReal(o)
		log.Printf("%d sockets share the tokens of %d people", o.sockets, len(t.(*realTarget).tokens))
	case "memory":
		t = startMemory(o)
	default:
		fatalf("unknown -server %q: real or memory", o.server)
	}
	current.Store(&t)
	return t
}

// current is the target to stop when the tool is interrupted or fails.
var current atomic.Pointer[target]

// fatalf stops the server child, if there is one, and exits.
func fatalf(format string, args ...any) {
	if t := current.Load(); t != nil {
		(*t).stop()
	}
	log.Fatalf(format, args...)
}

// childCommand runs name, pinned to cpus when set. taskset execs the
// command, so the child's pid is the server's.
func childCommand(cpus, name string, args ...string) *exec.Cmd {
	if cpus != "" {
		return exec.Command("taskset", append([]string{"-c", cpus, name}, args...)...)
	}
	return exec.Command(name, args...)
}

// procRSS is VmRSS of pid in KB (0 when unknown).
func procRSS(pid int) int64 { return procStatus(pid, "VmRSS") }

// procStatus reads one "kB" field of /proc/pid/status.
func procStatus(pid int, field string) int64 {
	if pid <= 0 {
		return 0
	}
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// procCPU is the CPU time pid has used (user + system).
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
}

// cpuTimes is the machine's "cpu" line of /proc/stat: total and steal
// ticks (time the hypervisor gave this VM's CPUs to someone else) and idle.
func cpuTimes() (total, idle, steal int64) {
	b, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i < 8 { // user nice system idle iowait irq softirq steal
			total += n
		}
		switch i {
		case 3:
			idle = n
		case 7:
			steal = n
		}
	}
	return total, idle, steal
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// dialWS opens a socket, retrying briefly (a listen backlog overflows when
// thousands connect at once).
func dialWS(url string, h http.Header) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 16 << 10, WriteBufferSize: 1024}
	for attempt := 0; ; attempt++ {
		ws, resp, err := d.Dial(url, h)
		if err == nil {
			return ws, nil
		}
		if resp != nil && resp.StatusCode/100 == 4 {
			return nil, fmt.Errorf("dial: %s", resp.Status)
		}
		if attempt == 5 {
			return nil, fmt.Errorf("dial: %w", err)
		}
		time.Sleep(100 * time.Millisecond << attempt)
	}
}

// subscribe subscribes ws to room (live only) and returns the room's seq
// from the subscribed frame.
func subscribe(ws *websocket.Conn, room int64) (int64, error) {
	if err := ws.WriteJSON(map[string]any{"type": "subscribe", "room_id": room}); err != nil {
		return 0, err
	}
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	defer ws.SetReadDeadline(time.Time{})
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return 0, err
		}
		if bytes.Contains(data, []byte(`"error"`)) {
			return 0, fmt.Errorf("subscribe: %s", data)
		}
		if bytes.Contains(data, []byte(`"subscribed"`)) {
			return intAfter(data, `"seq":`), nil
		}
	}
}

// openAll runs open(i) for i in [0, n), 64 at a time, stopping at the
// first failure, which ends the run.
func openAll(n int, open func(i int) error) {
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	sem := make(chan struct{}, 64)
	for i := range n {
		if failed.Load() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := open(i); err != nil {
				err = fmt.Errorf("socket %d: %w", i, err)
				failed.CompareAndSwap(nil, &err)
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		fatalf("%v", *err)
	}
}

// connect opens n sockets, subscribing socket i to roomOf(i), and hands
// each to ready with the subscribed seq.
func connect(t target, n int, roomOf func(int) int64, ready func(i int, ws *websocket.Conn, seq int64)) []*websocket.Conn {
	conns := make([]*websocket.Conn, n)
	openAll(n, func(i int) error {
		ws, err := t.dial(i)
		if err != nil {
			return err
		}
		seq, err := subscribe(ws, roomOf(i))
		if err != nil {
			ws.Close()
			return err
		}
		conns[i] = ws
		if ready != nil {
			ready(i, ws, seq)
		}
		return nil
	})
	return conns
}

// connectRaw opens n lean sockets subscribed to room.
func connectRaw(t target, n int, room int64, results []subscriber, msgs int) []*rawSocket {
	socks := make([]*rawSocket, n)
	openAll(n, func(i int) error {
		s, seq, err := dialRaw(t.cableRequest(i), room)
		if err != nil {
			return err
		}
		socks[i] = s
		results[i].lastSeq, results[i].lat = seq, make([]time.Duration, 0, msgs)
		return nil
	})
	return socks
}

// ---- idle ----

func idle(args []string) {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	o := addTargetFlags(fs)
	n := fs.Int("n", 10000, "idle sockets to open")
	perRoom := fs.Int("per-room", 50, "sockets per room (the real server gets the rooms created)")
	settle := fs.Duration("settle", 10*time.Second, "wait this long after the last socket subscribed before reading RSS")
	gcWait := fs.Duration("gc-wait", 130*time.Second, "real server: before the baseline, wait at most this long for a garbage collection (0: don't)")
	heapProfile := fs.String("heap-profile", "", "memory server: write its heap profile here after connecting")
	fs.Parse(args)

	o.sockets = *n
	t := openTarget(o)
	defer t.stop()
	rooms := t.rooms((*n + *perRoom - 1) / *perRoom)
	time.Sleep(time.Second)
	m0 := t.mem()
	if rt, ok := t.(*realTarget); ok && *gcWait > 0 {
		// A fresh server holds its start-up garbage (the UI's compressed
		// assets) until a collection; the runtime forces one every 2
		// minutes. Measure the baseline after it, not before.
		m0 = rt.waitGC(m0, *gcWait)
	}
	start := time.Now()
	conns := connect(t, *n, func(i int) int64 { return rooms[i / *perRoom] }, func(_ int, ws *websocket.Conn, _ int64) {
		// Read (and discard) so the client answers the server's pings:
		// an idle socket must stay open through the settle time.
		go func() {
			for {
				if _, _, err := ws.NextReader(); err != nil {
					return
				}
			}
		}()
	})
	took := time.Since(start)
	time.Sleep(*settle)
	m1 := t.mem()
	if mt, ok := t.(*memoryTarget); ok && *heapProfile != "" {
		if err := mt.heapProfile(*heapProfile); err != nil {
			log.Print(err)
		}
	}
	per := func(a, b int64) float64 { return float64(b-a) / float64(*n) }
	live := "as is, no GC forced"
	if m1.gcForced {
		live = "live, after GC"
	}
	if len(conns) > 0 && m1.goroutines-m0.goroutines < int64(*n) {
		log.Printf("warning: only %d goroutines more than before: sockets were closed", m1.goroutines-m0.goroutines)
	}
	fmt.Printf("server=%s sockets=%d rooms=%d connect=%v server_rss_before=%dKB server_rss_after=%dKB rss_per_socket=%.1fKB anon_rss_per_socket=%.1fKB heap_per_socket=%.1fKB stack_per_socket=%.1fKB (%s) goroutines_per_socket=%.2f\n",
		t.name(), *n, len(rooms), took.Round(time.Millisecond), m0.rssKB, m1.rssKB, per(m0.rssKB, m1.rssKB), per(m0.anonKB, m1.anonKB),
		per(m0.heapKB, m1.heapKB), per(m0.stackKB, m1.stackKB), live, per(m0.goroutines, m1.goroutines))
	for _, ws := range conns {
		ws.Close()
	}
}

// ---- fanout ----

type subscriber struct {
	ws      *websocket.Conn
	lastSeq int64
	lat     []time.Duration
	got     int   // bench messages received
	gaps    int   // message.created whose seq was not lastSeq+1
	dups    int   // of which seq <= lastSeq
	first   int64 // first seq received
	last    time.Time
	err     error
}

func fanout(args []string) {
	fs := flag.NewFlagSet("fanout", flag.ExitOnError)
	o := addTargetFlags(fs)
	subs := fs.Int("subs", 1000, "subscribers of the room")
	msgs := fs.Int("msgs", 3000, "messages to post")
	rate := fs.Float64("rate", 150, "posts per second (0: closed loop, -inflight posts at a time)")
	inflight := fs.Int("inflight", 1, "with -rate 0: posts in flight at a time")
	bots := fs.Int("bots", 0, "real server: bots to post through (0: enough that none passes its burst of 30)")
	clientKind := fs.String("client", "lean", "subscriber client: lean (raw sockets read with epoll) or gorilla (a goroutine per socket)")
	loops := fs.Int("client-loops", runtime.GOMAXPROCS(0), "lean client: epoll loops (goroutines)")
	grace := fs.Duration("grace", 30*time.Second, "after posting, wait at most this long for every delivery")
	cpuProfile := fs.String("server-cpu-profile", "", "memory server: write a CPU profile of the server, taken mid-run, here")
	perfOut := fs.String("server-perf", "", "record the server with perf (call graphs) mid-run into this file")
	clientProfile := fs.String("client-cpu-profile", "", "write a CPU profile of this client, taken mid-run, here")
	profileFor := fs.Duration("profile-for", 5*time.Second, "length of -server-cpu-profile and -server-perf")
	fs.Parse(args)

	o.sockets = *subs
	t := openTarget(o)
	defer t.stop()
	room := t.rooms(1)[0]
	results := make([]subscriber, *subs)
	var done sync.WaitGroup
	var conns []*websocket.Conn
	var raws []*rawSocket
	stopLean := make(chan struct{})
	switch *clientKind {
	case "gorilla":
		conns = connect(t, *subs, func(int) int64 { return room }, func(i int, ws *websocket.Conn, seq int64) {
			r := &results[i]
			r.ws, r.lastSeq, r.lat = ws, seq, make([]time.Duration, 0, *msgs)
			done.Add(1)
			go func() {
				defer done.Done()
				r.read(*msgs)
			}()
		})
	case "lean":
		raws = connectRaw(t, *subs, room, results, *msgs)
		done.Add(1)
		go func() {
			defer done.Done()
			leanRun(raws, results, *msgs, *loops, stopLean)
		}()
	default:
		fatalf("unknown -client %q: lean or gorilla", *clientKind)
	}
	p := t.poster(room, *msgs, *bots)
	time.Sleep(2 * time.Second) // presence and subscribed frames settle
	before := t.mem()
	cpu0, self0 := procCPU(t.pid()), selfCPU()
	tot0, idle0, steal0 := cpuTimes()

	start := time.Now()
	if *cpuProfile != "" {
		if mt, ok := t.(*memoryTarget); ok {
			go func() {
				time.Sleep(time.Second)
				if err := mt.cpuProfile(*cpuProfile, *profileFor); err != nil {
					log.Print(err)
				}
			}()
		} else {
			log.Print("-server-cpu-profile needs -server memory; use -server-perf for the real server")
		}
	}
	if *clientProfile != "" {
		go func() {
			time.Sleep(time.Second)
			f, err := os.Create(*clientProfile)
			if err != nil {
				log.Print(err)
				return
			}
			defer f.Close()
			pprof.StartCPUProfile(f)
			time.Sleep(*profileFor)
			pprof.StopCPUProfile()
		}()
	}
	var perfDone chan struct{}
	if *perfOut != "" {
		perfDone = make(chan struct{})
		go func() {
			defer close(perfDone)
			time.Sleep(time.Second)
			cmd := exec.Command("perf", "record", "-g", "-q", "-o", *perfOut, "-p", strconv.Itoa(t.pid()), "--", "sleep", strconv.Itoa(int(profileFor.Seconds())))
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				log.Printf("perf: %v", err)
			}
		}()
	}

	var postErrs atomic.Int64
	var firstErr atomic.Pointer[error]
	send := func(i int, wait bool) {
		body := "bench " + strconv.FormatInt(time.Now().UnixNano(), 10) + " " + strconv.Itoa(i+1)
		if err := p.post(i, body, wait); err != nil {
			postErrs.Add(1)
			firstErr.CompareAndSwap(nil, &err)
		}
	}
	var posts sync.WaitGroup
	if *rate > 0 {
		interval := time.Duration(float64(time.Second) / *rate)
		sem := make(chan struct{}, 256)
		for i := range *msgs {
			time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
			sem <- struct{}{}
			posts.Go(func() {
				defer func() { <-sem }()
				send(i, false)
			})
		}
	} else {
		var next atomic.Int64
		for range max(*inflight, 1) {
			posts.Go(func() {
				for i := int(next.Add(1) - 1); i < *msgs; i = int(next.Add(1) - 1) {
					send(i, true)
				}
			})
		}
	}
	posts.Wait()
	postDone := time.Now()

	finished := make(chan struct{})
	go func() { done.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(*grace):
		log.Printf("some sockets still lack messages %v after posting: stopping them", *grace)
		for _, r := range results {
			if r.ws != nil {
				r.ws.NetConn().SetReadDeadline(time.Now())
			}
		}
		close(stopLean)
		<-finished
	}
	cpu1, self1 := procCPU(t.pid()), selfCPU()
	tot1, idle1, steal1 := cpuTimes()
	if perfDone != nil {
		<-perfDone
	}
	after := t.mem()

	var all []time.Duration
	var lastAt time.Time
	total, gaps, dups, complete := 0, 0, 0, 0
	var firstErrSub error
	for _, r := range results {
		all = append(all, r.lat...)
		total += r.got
		gaps += r.gaps
		dups += r.dups
		if r.got == *msgs && r.gaps == 0 {
			complete++
		}
		if r.err != nil && firstErrSub == nil {
			firstErrSub = r.err
		}
		if r.last.After(lastAt) {
			lastAt = r.last
		}
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))].Round(10 * time.Microsecond)
	}
	elapsed := lastAt.Sub(start)
	cpuPer := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(max(total, 1)) }
	fmt.Printf("server=%s subscribers=%d messages=%d post_rate=%s achieved_post_rate=%.0f/s deliveries=%d/%d complete_sockets=%d seq_gaps=%d dups=%d post_errors=%d elapsed=%v deliveries_per_s=%.0f p50=%v p90=%v p99=%v max=%v frames_per_write=%.2f server_cpu=%.1fµs/delivery (%.0f%% of a core) client_cpu=%.1fµs/delivery server_gcs=%d machine_idle=%.0f%% steal=%.1f%% server_rss=%dKB->%dKB\n",
		t.name(), *subs, *msgs, rateString(*rate, *inflight), float64(*msgs)/postDone.Sub(start).Seconds(),
		total, *subs**msgs, complete, gaps, dups, postErrs.Load(), elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(),
		pct(0.50), pct(0.90), pct(0.99), pct(1), float64(after.frames-before.frames)/float64(max(after.flushes-before.flushes, 1)), cpuPer(cpu1-cpu0), 100*(cpu1-cpu0).Seconds()/elapsed.Seconds(), cpuPer(self1-self0), after.gcs-before.gcs,
		100*float64(idle1-idle0)/float64(max(tot1-tot0, 1)), 100*float64(steal1-steal0)/float64(max(tot1-tot0, 1)), before.rssKB, after.rssKB)
	if err := firstErr.Load(); err != nil {
		log.Printf("first post error: %v", *err)
		if rt, ok := t.(*realTarget); ok && rt.dir != "" {
			log.Printf("the server's log ends:\n%s", tail(filepath.Join(rt.dir, "server.log")))
		}
	}
	if bp, ok := p.(*botPoster); ok && bp.limited.Load() > 0 {
		log.Printf("%d posts were refused with 429 (raise -bots)", bp.limited.Load())
	}
	if firstErrSub != nil && complete < *subs {
		log.Printf("first socket error: %v", firstErrSub)
	}
	p.close()
	for _, ws := range conns {
		ws.Close()
	}
	for _, s := range raws {
		s.close()
	}
}

func rateString(rate float64, inflight int) string {
	if rate > 0 {
		return strconv.FormatFloat(rate, 'f', -1, 64) + "/s"
	}
	return fmt.Sprintf("closed-loop(%d)", inflight)
}

// read takes frames with gorilla until msgs bench messages arrived or the
// socket fails. It allocates nothing per frame.
func (r *subscriber) read(msgs int) {
	buf := make([]byte, 8192)
	for r.got < msgs {
		_, rd, err := r.ws.NextReader()
		if err != nil {
			r.err = err
			return
		}
		n, err := io.ReadFull(rd, buf)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			r.err = err
			return
		}
		r.record(buf[:n], time.Now())
	}
}

// record checks one frame that arrived at now: message.created frames must
// follow the last seq; the bench's own messages carry their posting time.
func (r *subscriber) record(data []byte, now time.Time) {
	if !bytes.Contains(data[:min(len(data), 40)], []byte(`"message.created"`)) {
		return
	}
	seq := intAfter(data, `"seq":`)
	if r.first == 0 {
		r.first = seq
	}
	if seq != r.lastSeq+1 {
		r.gaps++
		if seq <= r.lastSeq {
			r.dups++
		}
	}
	r.lastSeq = max(r.lastSeq, seq)
	i := bytes.Index(data, []byte(`"body":"bench `))
	if i < 0 {
		return // someone else's message
	}
	sent := intAfter(data[i:], `"body":"bench `)
	r.lat = append(r.lat, now.Sub(time.Unix(0, sent)))
	r.got++
	r.last = now
}

// intAfter parses the decimal number right after the first key in b.
func intAfter(b []byte, key string) int64 {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0
	}
	var n int64
	for _, c := range b[i+len(key):] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
