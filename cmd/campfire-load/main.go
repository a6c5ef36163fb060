// Command campfire-load drives a Campfire server (or several instances)
// through its public Go client and measures it: every socket checks every
// seq it should get, so lost and duplicated messages are counted exactly;
// post-to-delivery latency comes from a timestamp in each message body;
// the server's RSS and CPU come from its /metrics, the tool's own CPU from
// getrusage, so the report says what a delivery costs each side.
//
//	go run ./cmd/campfire-load -target http://127.0.0.1:3000 -scenario seed
//	go run ./cmd/campfire-load -target http://127.0.0.1:3000 -scenario fanout -connections 1000 -rate 200 -json out.json
//	campfire-load -cpus 1 -target http://127.0.0.1:3000 -scenario storm   # pinned; run the server under taskset -c 0
//	campfire-load -target http://127.0.0.1:3000 -scenario storm -restart-cmd 'kill -TERM $(cat pid); …; campfire serve & echo $! > pid'
//
// Scenarios (-scenario; -list prints them with their defaults) set
// defaults that any flag overrides. It exits 1 when a threshold fails
// (lost or duplicated messages, errors, and the scenario's latency,
// memory or reconnect limit) and 2 when it could not run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := pin(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "campfire-load:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// pin re-executes the tool under taskset when -cpus is given, so every
// thread of it runs on those CPUs (and GOMAXPROCS follows them).
func pin(args []string) error {
	cpus := ""
	for i, a := range args {
		if v, ok := strings.CutPrefix(strings.TrimLeft(a, "-"), "cpus="); ok && strings.HasPrefix(a, "-") {
			cpus = v
		} else if strings.TrimLeft(a, "-") == "cpus" && strings.HasPrefix(a, "-") && i+1 < len(args) {
			cpus = args[i+1]
		}
	}
	if cpus == "" || os.Getenv("CAMPFIRE_LOAD_PINNED") == cpus {
		return nil
	}
	taskset, err := lookPath("taskset")
	if err != nil {
		return fmt.Errorf("-cpus needs taskset (util-linux): %w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	env := append(os.Environ(), "CAMPFIRE_LOAD_PINNED="+cpus)
	return syscall.Exec(taskset, append([]string{"taskset", "-c", cpus, exe}, args...), env)
}

func lookPath(name string) (string, error) {
	for dir := range strings.SplitSeq(os.Getenv("PATH")+":/usr/bin:/bin", ":") {
		p := dir + "/" + name
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH", name)
}

// scenario is a named load with its defaults and thresholds.
type scenario struct {
	name, about      string
	connections      int
	roomSize         int // 0: one room of every socket
	socketsPerPerson int
	postVia          string        // cable, http, bot, mixed (cable + bots), none
	rate             float64       // posts/s in all; 0: each poster at personRate
	perConn          int           // messages per posting person (seed)
	perHour          int           // capacity scenarios: messages per hour, compressed by -speedup
	duration         time.Duration // how long posting lasts
	staggerBatch     int
	staggerEvery     time.Duration
	idle, storm      bool
	maxP99           time.Duration
	maxRSSPerSocket  float64 // KB
	maxReconnect     time.Duration
}

var scenarios = []scenario{
	{name: "seed", about: "the guide's test: sockets staggered 10 per 100 ms, each person posts 100 messages over its own socket into its room of 50",
		connections: 1000, roomSize: 50, socketsPerPerson: 1, postVia: "cable", perConn: 100, staggerBatch: 10, staggerEvery: 100 * time.Millisecond, maxP99: 10 * time.Millisecond},
	{name: "fanout", about: "one room of every socket; bots post over HTTP at -rate",
		connections: 1000, roomSize: 0, socketsPerPerson: 30, postVia: "bot", rate: 200, duration: 15 * time.Second, maxP99: 25 * time.Millisecond},
	{name: "posts", about: "persisted posts/s: rooms of 50, people post over their sockets and bots over HTTP, -rate in all",
		connections: 1000, roomSize: 50, socketsPerPerson: 1, postVia: "mixed", rate: 10000, duration: 10 * time.Second, maxP99: 25 * time.Millisecond},
	{name: "idle", about: "hold -connections sockets in rooms of 50 and report the server's memory per socket",
		connections: 5000, roomSize: 50, socketsPerPerson: 30, postVia: "none", idle: true, maxRSSPerSocket: 12},
	{name: "storm", about: "bots post at -rate; after -drop-after every socket's connection is cut at once; the clients reconnect and resume from their last seq",
		connections: 2000, roomSize: 50, socketsPerPerson: 30, postVia: "bot", rate: 100, duration: 20 * time.Second, storm: true, maxReconnect: 5 * time.Second},
	{name: "soak", about: "steady load for -duration: people post over their sockets into rooms of 50",
		connections: 1000, roomSize: 50, socketsPerPerson: 1, postVia: "cable", rate: 100, duration: 10 * time.Minute, maxP99: 100 * time.Millisecond},
	{name: "small", about: "the guide's small scale: 50 sockets, 1,000 messages an hour (compressed by -speedup)",
		connections: 50, roomSize: 50, socketsPerPerson: 1, postVia: "cable", perHour: 1000, maxP99: 100 * time.Millisecond},
	{name: "medium", about: "the guide's medium scale: 500 sockets, 10,000 messages an hour (compressed by -speedup)",
		connections: 500, roomSize: 50, socketsPerPerson: 1, postVia: "cable", perHour: 10000, maxP99: 50 * time.Millisecond},
	{name: "large", about: "the guide's large scale: 2,000 sockets, 50,000 messages an hour (compressed by -speedup)",
		connections: 2000, roomSize: 50, socketsPerPerson: 1, postVia: "cable", perHour: 50000, maxP99: 25 * time.Millisecond},
}

func findScenario(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// config is the run's settings: the scenario's defaults, then the flags.
type config struct {
	scenario         string
	targets          []string
	metrics          []string
	connections      int
	roomSize         int
	rooms            int
	socketsPerPerson int
	postVia          string
	rate             float64
	duration         time.Duration
	messages         int
	perConn          int
	posters          int
	inflight         int
	connectParallel  int
	staggerBatch     int
	staggerEvery     time.Duration
	speedup          float64
	settle           time.Duration
	grace            time.Duration
	dropAfter        time.Duration
	minBackoff       time.Duration
	adminEmail       string
	adminPassword    string
	worldFile        string
	jsonFile         string
	reportFile       string
	sourceIPs        []net.IP
	seed             uint64
	rng              *rand.Rand
	cpus             string
	maxP99           time.Duration
	maxRSSPerSocket  float64
	maxReconnect     time.Duration
	maxErrors        int64
	idle, storm      bool
	cpuProfile       string
	readBuffer       int
	restartCmd       string
}

// listFlag collects a repeated or comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// parse reads args into a config; the bool is true when -h or -list was
// answered.
func parse(args []string, stderr io.Writer) (*config, bool, error) {
	fs := flag.NewFlagSet("campfire-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var targets, metrics listFlag
	fs.Var(&targets, "target", "server base URL (repeat or comma-separate for several instances; people are spread over them by consistent hashing)")
	fs.Var(&metrics, "metrics", "instance base URLs to read /metrics and /health from (default: the targets; give the instances when -target is a balancer)")
	name := fs.String("scenario", "seed", "seed, fanout, posts, idle, storm, soak, small, medium or large (-list describes them)")
	list := fs.Bool("list", false, "list the scenarios with their defaults and exit")
	c := &config{}
	fs.IntVar(&c.connections, "connections", 0, "sockets (0: the scenario's)")
	fs.IntVar(&c.roomSize, "room-size", 0, "sockets per room (0: the scenario's; fanout: all in one room)")
	fs.IntVar(&c.rooms, "rooms", 0, "number of rooms, instead of -room-size")
	fs.IntVar(&c.socketsPerPerson, "sockets-per-person", 0, "sockets that share one person (the server allows 32; 0: the scenario's)")
	fs.StringVar(&c.postVia, "post-via", "", "how posts are made: cable (each person over its socket), http (each person, POST /api/v1/rooms/{id}/messages), bot (bot API), mixed (cable + bots), none")
	fs.Float64Var(&c.rate, "rate", -1, "posts per second in all (0: every poster at 2.8/s, under the server's 30 per 10 s)")
	fs.DurationVar(&c.duration, "duration", 0, "how long posting lasts (fanout, posts, storm, soak)")
	fs.IntVar(&c.messages, "messages", 0, "messages to post in all (0: rate × duration, or the scenario's)")
	fs.IntVar(&c.posters, "bots", -1, "bots that post (bot and mixed; -1: enough for -rate)")
	fs.IntVar(&c.inflight, "inflight", 256, "posts in flight at most (the posting workers)")
	fs.IntVar(&c.readBuffer, "read-buffer", 0, "each socket's read buffer in bytes (0: 8192, or 1024 for idle; larger buffers take coalesced frames in one read)")
	fs.IntVar(&c.connectParallel, "connect-parallel", 64, "sockets connecting at a time")
	stagger := fs.String("stagger", "", "connect N sockets every D, as N/D (seed: 10/100ms; 0: as fast as -connect-parallel allows)")
	fs.Float64Var(&c.speedup, "speedup", 60, "small, medium, large: compress the hour by this factor")
	fs.DurationVar(&c.settle, "settle", 10*time.Second, "idle: wait this long after connecting before reading the server's memory")
	fs.DurationVar(&c.grace, "grace", 30*time.Second, "after posting, wait at most this long for every delivery")
	fs.DurationVar(&c.dropAfter, "drop-after", 5*time.Second, "storm: cut every connection this long after posting starts")
	fs.StringVar(&c.restartCmd, "restart-cmd", "", "storm: instead of cutting the connections, run this shell command (sh -c) at -drop-after; it must stop the server and start it again in the background, e.g. 'kill -TERM $(cat pid); while kill -0 $(cat pid); do sleep 0.05; done; campfire serve & echo $! > pid'. Posts refused meanwhile are retried")
	fs.DurationVar(&c.minBackoff, "min-backoff", 0, "the client's first reconnection delay (0: the client's default, 250 ms)")
	fs.StringVar(&c.adminEmail, "admin-email", "", "an admin of an existing server (default: run first-run setup, or sign in as the tool's own admin)")
	fs.StringVar(&c.adminPassword, "admin-password", "", "that admin's password")
	fs.StringVar(&c.worldFile, "world", "", "save the world (people, bots, rooms, tokens) here, and reuse it when it fits")
	fs.StringVar(&c.jsonFile, "json", "", "write the results as JSON to this file")
	fs.StringVar(&c.reportFile, "report", "", "write a self-contained HTML report to this file")
	ips := fs.String("source-ips", "", "local addresses to spread sockets and joins over, e.g. 127.0.0.2-127.0.0.50 (default: on loopback, joins come from 127.x.y.z)")
	fs.Uint64Var(&c.seed, "seed", 0, "random seed (0: from the clock)")
	fs.StringVar(&c.cpuProfile, "cpu-profile", "", "write a CPU profile of the tool itself, from connecting to the last delivery, here")
	fs.StringVar(&c.cpus, "cpus", "", "pin the tool to these CPUs (taskset -c syntax); pin the server to others")
	p99 := fs.Duration("max-p99", -1, "fail when p99 post→delivery latency is above this (0: never; -1: the scenario's)")
	fs.Float64Var(&c.maxRSSPerSocket, "max-rss-per-socket", -1, "idle: fail above this many KB of server RSS per socket (0: never; -1: the scenario's)")
	fs.DurationVar(&c.maxReconnect, "max-reconnect", -1, "storm: fail when reconnecting every socket takes longer (0: never; -1: the scenario's)")
	fs.Int64Var(&c.maxErrors, "max-errors", 0, "fail with more errors than this")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, true, nil
		}
		return nil, false, err
	}
	if *list {
		for _, s := range scenarios {
			fmt.Fprintf(stderr, "%-7s %s\n        connections %d, room size %s, %d socket(s) a person, posts via %s%s\n", s.name, s.about,
				s.connections, orAll(s.roomSize), s.socketsPerPerson, s.postVia, scenarioLoad(s))
		}
		return nil, true, nil
	}
	if fs.NArg() > 0 {
		return nil, false, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.restartCmd != "" && *name != "storm" {
		return nil, false, errors.New("-restart-cmd is for -scenario storm")
	}
	sc, ok := findScenario(*name)
	if !ok {
		return nil, false, fmt.Errorf("unknown -scenario %q (-list shows them)", *name)
	}
	if len(targets) == 0 {
		return nil, false, errors.New("-target is required, e.g. -target http://127.0.0.1:3000")
	}
	c.scenario, c.targets, c.metrics, c.maxP99 = sc.name, targets, metrics, *p99
	if len(c.metrics) == 0 {
		c.metrics = c.targets
	}
	if *ips != "" {
		var err error
		if c.sourceIPs, err = parseIPs(*ips); err != nil {
			return nil, false, err
		}
	}
	if *stagger != "" {
		if err := parseStagger(*stagger, c); err != nil {
			return nil, false, err
		}
	} else {
		c.staggerBatch, c.staggerEvery = sc.staggerBatch, sc.staggerEvery
	}
	if c.seed == 0 {
		c.seed = uint64(time.Now().UnixNano())
	}
	c.rng = rand.New(rand.NewPCG(c.seed, 0x63616d7066697265))
	applyDefaults(c, sc)
	if c.inflight < 1 || c.connectParallel < 1 || c.connections < 1 || c.roomSize < 1 || c.socketsPerPerson < 1 || c.socketsPerPerson > 32 {
		return nil, false, errors.New("-inflight, -connect-parallel, -connections and -room-size must be positive, -sockets-per-person 1..32")
	}
	switch c.postVia {
	case "cable", "http", "bot", "mixed", "none":
	default:
		return nil, false, fmt.Errorf("unknown -post-via %q", c.postVia)
	}
	return c, false, nil
}

func orAll(n int) string {
	if n == 0 {
		return "all"
	}
	return fmt.Sprint(n)
}

func scenarioLoad(s scenario) string {
	switch {
	case s.perConn > 0:
		return fmt.Sprintf(", %d messages each", s.perConn)
	case s.perHour > 0:
		return fmt.Sprintf(", %d messages/hour", s.perHour)
	case s.rate > 0:
		return fmt.Sprintf(", %g posts/s for %v", s.rate, s.duration)
	}
	return ""
}

func parseStagger(s string, c *config) error {
	if s == "0" {
		c.staggerBatch = 0
		return nil
	}
	n, d, ok := strings.Cut(s, "/")
	var err error
	if ok {
		_, err = fmt.Sscan(n, &c.staggerBatch)
		if err == nil {
			c.staggerEvery, err = time.ParseDuration(d)
		}
	}
	if !ok || err != nil || c.staggerBatch < 1 || c.staggerEvery <= 0 {
		return fmt.Errorf("-stagger %q: want N/DURATION such as 10/100ms, or 0", s)
	}
	return nil
}

// applyDefaults fills what the flags left unset from the scenario.
func applyDefaults(c *config, sc scenario) {
	if c.connections == 0 {
		c.connections = sc.connections
	}
	if c.socketsPerPerson == 0 {
		c.socketsPerPerson = sc.socketsPerPerson
	}
	switch {
	case c.rooms > 0:
		c.roomSize = ceilDiv(c.connections, c.rooms)
	case c.roomSize == 0 && sc.roomSize == 0:
		c.roomSize = c.connections
	case c.roomSize == 0:
		c.roomSize = sc.roomSize
	}
	if c.postVia == "" {
		c.postVia = sc.postVia
	}
	c.perConn = sc.perConn
	c.idle, c.storm = sc.idle, sc.storm
	if c.readBuffer <= 0 {
		c.readBuffer = 8192
		if c.idle {
			c.readBuffer = 1024 // idle sockets: what a real client holds
		}
	}
	if c.duration == 0 {
		c.duration = sc.duration
	}
	if c.rate < 0 {
		c.rate = sc.rate
	}
	if sc.perHour > 0 {
		if c.duration == 0 {
			c.duration = time.Duration(float64(time.Hour) / c.speedup)
		}
		if c.rate < 0 || c.rate == 0 {
			c.rate = float64(sc.perHour) * c.speedup / 3600
		}
	}
	if c.maxP99 < 0 {
		c.maxP99 = sc.maxP99
	}
	if c.maxRSSPerSocket < 0 {
		c.maxRSSPerSocket = sc.maxRSSPerSocket
	}
	if c.maxReconnect < 0 {
		c.maxReconnect = sc.maxReconnect
	}
}

// postPlan is who posts how much at what pace.
type postPlan struct {
	cablePosters int // people who post (over the cable or HTTP)
	perPoster    []int
	cableRate    float64 // posts/s of those people in all
	bots         int
	botRate      float64
	botMessages  int
	note         string
}

// planPosts spreads the requested load over people and bots so that none
// goes past the server's per-person limit.
func planPosts(c *config) (postPlan, error) {
	var pp postPlan
	people := ceilDiv(c.connections, c.socketsPerPerson)
	total := c.messages
	switch c.postVia {
	case "none":
		return pp, nil
	case "cable", "http":
		pp.cablePosters = people
		pp.cableRate = c.rate
		if pp.cableRate == 0 {
			pp.cableRate = float64(people) * personRate
		}
		if pp.cableRate/float64(people) > personRate+1e-9 {
			return pp, fmt.Errorf("%g posts/s from %d people is %.1f/s each, past the server's 30 per 10 s: use -post-via bot or mixed, or more -connections", pp.cableRate, people, pp.cableRate/float64(people))
		}
		if total == 0 {
			if c.perConn > 0 {
				total = c.perConn * people
			} else {
				total = int(pp.cableRate * c.duration.Seconds())
			}
		}
		pp.perPoster = split(total, people)
	case "bot":
		if c.rate <= 0 && c.posters <= 0 {
			return pp, errors.New("-post-via bot needs -rate or -bots")
		}
		pp.bots = c.posters
		pp.botRate = c.rate
		if pp.bots <= 0 {
			pp.bots = int(pp.botRate/personRate + 0.999999)
		}
		if pp.botRate <= 0 {
			pp.botRate = float64(pp.bots) * personRate
		}
		if total == 0 {
			total = int(pp.botRate * c.duration.Seconds())
		}
		pp.botMessages = total
	case "mixed":
		if c.rate <= 0 {
			return pp, errors.New("-post-via mixed needs -rate")
		}
		pp.cablePosters = people
		pp.cableRate = min(c.rate, float64(people)*personRate)
		pp.botRate = c.rate - pp.cableRate
		pp.bots = c.posters
		if pp.bots < 0 {
			pp.bots = int(pp.botRate/personRate + 0.999999)
		}
		if total == 0 {
			total = int(c.rate * c.duration.Seconds())
		}
		cableTotal := int(float64(total) * pp.cableRate / c.rate)
		pp.perPoster = split(cableTotal, people)
		pp.botMessages = total - cableTotal
		if pp.bots == 0 {
			pp.botRate, pp.botMessages = 0, 0
		}
	}
	if pp.bots > 0 && pp.botRate/float64(pp.bots) > personRate+1e-9 {
		return pp, fmt.Errorf("%g posts/s from %d bots is past the server's 30 per 10 s each", pp.botRate, pp.bots)
	}
	var parts []string
	if pp.cablePosters > 0 {
		parts = append(parts, fmt.Sprintf("%d people over %s at %.0f/s in all (%.2f/s each)", pp.cablePosters, map[bool]string{true: "their sockets", false: "HTTP"}[c.postVia != "http"], pp.cableRate, pp.cableRate/float64(pp.cablePosters)))
	}
	if pp.bots > 0 {
		parts = append(parts, fmt.Sprintf("%d bots over HTTP at %.0f/s in all (%.2f/s each)", pp.bots, pp.botRate, pp.botRate/float64(pp.bots)))
	}
	pp.note = "posting: " + strings.Join(parts, " + ") + "; the server allows each 30 posts per 10 s, so the load is spread to stay under it"
	return pp, nil
}

// split divides n into k near-equal parts.
func split(n, k int) []int {
	out := make([]int, k)
	for i := range out {
		out[i] = n / k
		if i < n%k {
			out[i]++
		}
	}
	return out
}

// run is the whole tool; main only adds the process around it. It returns
// the exit code: 0 pass, 1 a threshold failed, 2 it could not run.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, done, err := parse(args, stderr)
	if done {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "campfire-load:", err)
		return 2
	}
	res, err := execute(ctx, cfg, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "campfire-load:", err)
		return 2
	}
	if err := writeOutputs(cfg, res); err != nil {
		fmt.Fprintln(stderr, "campfire-load:", err)
		return 2
	}
	printSummary(stdout, res)
	if !res.Pass {
		return 1
	}
	return 0
}

// isTerminal reports whether w is a terminal (for the live line).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
