// Command campfire-bench-ws measures the cable across processes: memory per
// idle WebSocket and fan-out throughput/latency. The server runs in a child
// process (this binary, "serve"), so client and server memory and CPU are
// counted apart.
//
//	campfire-bench-ws idle -n 10000 -lib gorilla   # RSS per idle socket (the real hub)
//	campfire-bench-ws idle -n 5000 -lib coder      # the same socket shape on coder/websocket
//	campfire-bench-ws fanout -subs 1000 -msgs 2000 -rate 200
//
// It is a measuring tool for docs/performance.md, not the load tool (that is
// cmd/campfire-load): the server side uses an in-memory core, so what it
// measures is the cable, the hub and the kernel, not the database.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	coderws "github.com/coder/websocket"
	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/broker/memory"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/presence"
	"github.com/campfire-go/campfire/internal/realtime"
	"github.com/campfire-go/campfire/internal/wire"
)

func main() {
	log.SetFlags(0)
	if len(os.Args) < 2 {
		log.Fatal("usage: campfire-bench-ws serve|idle|fanout [flags]")
	}
	cmd, args := os.Args[1], os.Args[2:]
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

// ---- server (child process) ----

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	lib := fs.String("lib", "gorilla", "gorilla (the real hub) or coder (the same socket shape on coder/websocket)")
	fs.Parse(args)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/rss", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		json.NewEncoder(w).Encode(map[string]int64{"rss_kb": rssKB(), "goroutines": int64(runtime.NumGoroutine()),
			"heap_kb": int64(ms.HeapInuse >> 10), "stack_kb": int64(ms.StackInuse >> 10)})
	})
	mux.HandleFunc("GET /debug/pprof/heap", pprof.Handler("heap").ServeHTTP)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	var shutdown func(context.Context)
	switch *lib {
	case "gorilla":
		b := memory.New(0)
		core := &core{broker: b, msgs: map[int64][]chat.Message{}, seq: map[int64]int64{}}
		hub := realtime.New(realtime.Config{PostRate: 1e6, PostBurst: 1e6, FrameRate: 1e6, FrameBurst: 1e6},
			core, b, presence.NewMemory(0), slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		ctx, cancel := context.WithCancel(context.Background())
		go b.Run(ctx)
		go hub.Run(ctx)
		mux.HandleFunc("GET /cable", func(w http.ResponseWriter, r *http.Request) {
			id, _ := strconv.ParseInt(r.URL.Query().Get("user"), 10, 64)
			hub.ServeCable(w, r, chat.User{ID: id, Name: "u" + strconv.FormatInt(id, 10), Role: chat.RoleMember, Status: chat.StatusActive})
		})
		shutdown = func(c context.Context) { hub.Shutdown(c); cancel(); b.Close() }
	case "coder":
		mux.HandleFunc("GET /cable", coderSocket)
		shutdown = func(context.Context) {}
	default:
		log.Fatalf("unknown lib %q", *lib)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	fmt.Println("ready", ln.Addr().String())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	shutdown(ctx)
}

// coderSocket gives a coder/websocket connection the hub's shape: a reader
// goroutine, a writer goroutine with a wake channel and a ping ticker.
func coderSocket(w http.ResponseWriter, r *http.Request) {
	c, err := coderws.Accept(w, r, &coderws.AcceptOptions{InsecureSkipVerify: true, CompressionMode: coderws.CompressionDisabled})
	if err != nil {
		return
	}
	wake := make(chan []byte, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, data, err := c.Read(context.Background())
			if err != nil {
				return
			}
			if strings.Contains(string(data), `"subscribe"`) {
				select {
				case wake <- []byte(`{"type":"subscribed"}`):
				default:
				}
			}
		}
	}()
	go func() {
		t := time.NewTicker(25 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				c.CloseNow()
				return
			case f := <-wake:
				c.Write(context.Background(), coderws.MessageText, f)
			case <-t.C:
			}
		}
	}()
}

// core is an in-memory stand-in for the application core: commit, then
// publish, as the real one does. Every user is in every room.
type core struct {
	broker broker.Broker
	mu     sync.Mutex
	msgs   map[int64][]chat.Message
	seq    map[int64]int64
	nextID int64
}

func (c *core) RoomForUser(ctx context.Context, u chat.User, roomID int64) (chat.RoomView, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return chat.RoomView{Room: chat.Room{ID: roomID, Name: "bench", Type: chat.RoomOpen, LastSeq: c.seq[roomID]}}, nil
}

func (c *core) MessagesAfter(ctx context.Context, roomID, after int64, limit int) ([]chat.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ms := c.msgs[roomID]
	i, _ := slices.BinarySearchFunc(ms, after+1, func(m chat.Message, s int64) int { return int(m.Seq - s) })
	return slices.Clone(ms[i:min(len(ms), i+limit)]), nil
}

func (c *core) PostMessage(ctx context.Context, u chat.User, roomID int64, body, clientID string) (chat.Message, bool, error) {
	c.mu.Lock()
	c.seq[roomID]++
	c.nextID++
	now := time.Now()
	m := chat.Message{ID: c.nextID, RoomID: roomID, Seq: c.seq[roomID], CreatorID: u.ID, Creator: u, ClientMessageID: clientID,
		Body: body, BodyHTML: "<p>" + body + "</p>", CreatedAt: now, UpdatedAt: now}
	c.msgs[roomID] = append(c.msgs[roomID], m)
	c.mu.Unlock()
	err := c.broker.Publish(ctx, broker.Event{Type: wire.TypeMessageCreated, RoomID: roomID, Seq: m.Seq,
		Frame: wire.MessageFrame(wire.TypeMessageCreated, wire.NewMessage(m))})
	return m, true, err
}

func rssKB() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// ---- client side (parent process) ----

type server struct {
	cmd  *exec.Cmd
	addr string
}

// serverCPUs, when set, pins the server process to these CPUs (taskset),
// so client and server do not compete for the same cores.
var serverCPUs string

func startServer(lib string) *server {
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command(self, "serve", "-lib", lib)
	if serverCPUs != "" {
		cmd = exec.Command("taskset", "-c", serverCPUs, self, "serve", "-lib", lib)
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		log.Fatalf("server did not start: %v", err)
	}
	return &server{cmd: cmd, addr: strings.TrimSpace(strings.TrimPrefix(line, "ready "))}
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
}

func (s *server) rss() (kb, goroutines int64) {
	v := s.mem()
	return v["rss_kb"], v["goroutines"]
}

func (s *server) mem() map[string]int64 {
	resp, err := http.Get("http://" + s.addr + "/debug/rss")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]int64
	json.NewDecoder(resp.Body).Decode(&v)
	return v
}

func dial(addr string, user int64) *websocket.Conn {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	for attempt := 0; ; attempt++ {
		ws, _, err := d.Dial(fmt.Sprintf("ws://%s/cable?user=%d", addr, user), nil)
		if err == nil {
			return ws
		}
		if attempt == 5 {
			log.Fatalf("dial: %v", err)
		}
		time.Sleep(100 * time.Millisecond << attempt)
	}
}

// readUntil reads frames until one contains want.
func readUntil(ws *websocket.Conn, want string) {
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			log.Fatalf("read: %v", err)
		}
		if strings.Contains(string(data), want) {
			return
		}
	}
}

func idle(args []string) {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	n := fs.Int("n", 5000, "idle sockets to open")
	lib := fs.String("lib", "gorilla", "server library: gorilla or coder")
	perRoom := fs.Int("per-room", 50, "sockets per room")
	heapProfile := fs.String("heap-profile", "", "write the server's heap profile here after connecting")
	fs.Parse(args)

	s := startServer(*lib)
	defer s.stop()
	m0 := s.mem()
	before, g0 := m0["rss_kb"], m0["goroutines"]
	conns := make([]*websocket.Conn, *n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range *n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws := dial(s.addr, int64(i+1))
			ws.WriteJSON(map[string]any{"type": "subscribe", "room_id": i / *perRoom + 1})
			readUntil(ws, `"subscribed"`)
			conns[i] = ws
		}()
	}
	wg.Wait()
	// Let the presence flushes and writers settle, then measure.
	time.Sleep(3 * time.Second)
	m1 := s.mem()
	after, g1 := m1["rss_kb"], m1["goroutines"]
	if *heapProfile != "" {
		resp, err := http.Get("http://" + s.addr + "/debug/pprof/heap?gc=1")
		if err == nil {
			f, _ := os.Create(*heapProfile)
			io.Copy(f, resp.Body)
			f.Close()
			resp.Body.Close()
		}
	}
	per := func(k string) float64 { return float64(m1[k]-m0[k]) / float64(*n) }
	fmt.Printf("lib=%s sockets=%d server_rss_before=%dKB server_rss_after=%dKB per_socket=%.1fKB (heap %.1fKB, stacks %.1fKB) goroutines_per_socket=%.2f\n",
		*lib, *n, before, after, float64(after-before)/float64(*n), per("heap_kb"), per("stack_kb"), float64(g1-g0)/float64(*n))
	for _, ws := range conns {
		ws.Close()
	}
}

func fanout(args []string) {
	fs := flag.NewFlagSet("fanout", flag.ExitOnError)
	subs := fs.Int("subs", 1000, "subscribers of the room")
	msgs := fs.Int("msgs", 2000, "messages to post")
	rate := fs.Float64("rate", 200, "posts per second (0: as fast as acks come back)")
	fs.StringVar(&serverCPUs, "server-cpus", "", "pin the server to these CPUs, e.g. 0 (run the client under taskset -c 1)")
	serverProfile := fs.String("server-cpu-profile", "", "write a 5 s CPU profile of the server, taken mid-run, here")
	fs.Parse(args)

	s := startServer("gorilla")
	defer s.stop()
	const room = 1
	type result struct {
		lat  []time.Duration
		last time.Time
		got  int
	}
	results := make([]result, *subs)
	var ready sync.WaitGroup
	var done sync.WaitGroup
	var wrong atomic.Int64
	conns := make([]*websocket.Conn, *subs)
	sem := make(chan struct{}, 64)
	for i := range *subs {
		ready.Add(1)
		done.Add(1)
		sem <- struct{}{}
		go func() {
			ws := dial(s.addr, int64(i+1))
			conns[i] = ws
			ws.WriteJSON(map[string]any{"type": "subscribe", "room_id": room})
			readUntil(ws, `"subscribed"`)
			<-sem
			ready.Done()
			defer done.Done()
			r := &results[i]
			r.lat = make([]time.Duration, 0, *msgs)
			var lastSeq int64
			buf := make([]byte, 4096)
			for r.got < *msgs {
				// A lean reader (no allocation per frame), so the client's CPU
				// disturbs the server's numbers as little as it can.
				_, rd, err := ws.NextReader()
				if err != nil {
					log.Printf("subscriber %d: %v after %d", i, err, r.got)
					return
				}
				n, err := io.ReadFull(rd, buf)
				if err != io.ErrUnexpectedEOF && err != io.EOF && err != nil {
					log.Printf("subscriber %d: %v", i, err)
					return
				}
				now := time.Now()
				data := buf[:n]
				if !bytes.Contains(data, []byte(`"message.created"`)) {
					continue
				}
				sent, seq := bodyStamp(data)
				if seq != lastSeq+1 {
					wrong.Add(1)
				}
				lastSeq = seq
				r.lat = append(r.lat, now.Sub(time.Unix(0, sent)))
				r.got++
				r.last = now
			}
		}()
	}
	ready.Wait()
	before, _ := s.rss()

	poster := dial(s.addr, 0)
	acks := make(chan struct{}, *msgs)
	go func() {
		for {
			_, data, err := poster.ReadMessage()
			if err != nil {
				return
			}
			if strings.Contains(string(data), `"ack"`) {
				acks <- struct{}{}
			}
		}
	}()
	start := time.Now()
	if *serverProfile != "" {
		go func() {
			time.Sleep(time.Second)
			resp, err := http.Get("http://" + s.addr + "/debug/pprof/profile?seconds=5")
			if err != nil {
				log.Print(err)
				return
			}
			f, _ := os.Create(*serverProfile)
			io.Copy(f, resp.Body)
			f.Close()
			resp.Body.Close()
		}()
	}
	var tick <-chan time.Time
	if *rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / *rate))
		defer t.Stop()
		tick = t.C
	}
	for i := range *msgs {
		if tick != nil {
			<-tick
		} else if i > 0 {
			<-acks
		}
		body := strconv.FormatInt(time.Now().UnixNano(), 10) + " " + strconv.Itoa(i+1)
		poster.WriteJSON(map[string]any{"type": "post", "room_id": room, "body": body, "client_message_id": strconv.Itoa(i)})
	}
	postDone := time.Now()
	done.Wait()
	var all []time.Duration
	var lastAt time.Time
	total := 0
	for _, r := range results {
		all = append(all, r.lat...)
		total += r.got
		if r.last.After(lastAt) {
			lastAt = r.last
		}
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))]
	}
	elapsed := lastAt.Sub(start)
	after, _ := s.rss()
	fmt.Printf("subscribers=%d messages=%d post_rate=%.0f/s deliveries=%d out_of_order=%d elapsed=%v posting=%v deliveries_per_s=%.0f p50=%v p99=%v max=%v server_rss=%dKB->%dKB\n",
		*subs, *msgs, *rate, total, wrong.Load(), elapsed.Round(time.Millisecond), postDone.Sub(start).Round(time.Millisecond),
		float64(total)/elapsed.Seconds(), pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond), before, after)
	poster.Close()
	for _, ws := range conns {
		ws.Close()
	}
}

// bodyStamp reads "<unix nanos> <n>" out of a message.created frame
// without decoding the whole frame.
func bodyStamp(frame []byte) (sent, n int64) {
	i := bytes.Index(frame, []byte(`"body":"`))
	if i < 0 {
		return 0, 0
	}
	s := frame[i+len(`"body":"`):]
	s = s[:bytes.IndexByte(s, '"')]
	a, b, _ := bytes.Cut(s, []byte(" "))
	return atoi(a), atoi(b)
}

func atoi(b []byte) int64 {
	var n int64
	for _, c := range b {
		n = n*10 + int64(c-'0')
	}
	return n
}
