package main

// The in-memory target: this binary's own "serve" child, the real hub and
// cable in front of an in-memory core. It isolates the cable (hub, gorilla,
// kernel) from the database and HTTP API, and it can profile itself, so it
// is where the fan-out path is profiled; the real target confirms.

import (
	"bufio"
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
	var hub *realtime.Hub
	mux.HandleFunc("GET /debug/rss", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		v := map[string]int64{"rss_kb": procRSS(os.Getpid()), "goroutines": int64(runtime.NumGoroutine()),
			"heap_kb": int64(ms.HeapInuse >> 10), "stack_kb": int64(ms.StackInuse >> 10)}
		if hub != nil {
			s := hub.Stats()
			v["frames"], v["flushes"] = int64(s.Frames), int64(s.Flushes)
		}
		json.NewEncoder(w).Encode(v)
	})
	mux.HandleFunc("GET /debug/pprof/heap", pprof.Handler("heap").ServeHTTP)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	var shutdown func(context.Context)
	switch *lib {
	case "gorilla":
		b := memory.New(0)
		core := &core{broker: b, msgs: map[int64][]chat.Message{}, seq: map[int64]int64{}}
		flush, _ := time.ParseDuration(os.Getenv("BENCH_FLUSH_INTERVAL")) // experiments
		hub = realtime.New(realtime.Config{PostRate: 1e6, PostBurst: 1e6, FrameRate: 1e6, FrameBurst: 1e6, FlushInterval: flush},
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

// SessionUser accepts every socket: the bench has no sign-out.
func (c *core) SessionUser(ctx context.Context, userID int64, _ string) (chat.User, error) {
	return chat.User{ID: userID, Status: chat.StatusActive}, nil
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

// ---- the client's side of the in-memory target ----

type memoryTarget struct {
	cmd  *exec.Cmd
	addr string
	lib  string
}

func startMemory(o *targetOpts) *memoryTarget {
	exe, err := os.Executable()
	if err != nil {
		fatalf("%v", err)
	}
	cmd := childCommand(o.serverCPUs, exe, "serve", "-lib", o.lib)
	cmd.Env = append(os.Environ(), o.serverEnv...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fatalf("%v", err)
	}
	if err := cmd.Start(); err != nil {
		fatalf("%v", err)
	}
	t := &memoryTarget{cmd: cmd, lib: o.lib}
	var self target = t
	current.Store(&self)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		fatalf("server did not start: %v", err)
	}
	t.addr = strings.TrimSpace(strings.TrimPrefix(line, "ready "))
	return t
}

func (t *memoryTarget) name() string { return "memory/" + t.lib }
func (t *memoryTarget) pid() int     { return t.cmd.Process.Pid }

func (t *memoryTarget) stop() {
	t.cmd.Process.Signal(syscall.SIGTERM)
	t.cmd.Wait()
}

// mem collects garbage in the server first, so heap and stack figures are
// live memory.
func (t *memoryTarget) mem() memStats {
	resp, err := http.Get("http://" + t.addr + "/debug/rss")
	if err != nil {
		fatalf("%v", err)
	}
	defer resp.Body.Close()
	var v map[string]int64
	json.NewDecoder(resp.Body).Decode(&v)
	return memStats{rssKB: procRSS(t.pid()), anonKB: procStatus(t.pid(), "RssAnon"), heapKB: v["heap_kb"], stackKB: v["stack_kb"], goroutines: v["goroutines"], gcForced: true,
		frames: v["frames"], flushes: v["flushes"]}
}

func (t *memoryTarget) rooms(n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	return ids
}

func (t *memoryTarget) cableRequest(i int) cableRequest {
	return cableRequest{addr: t.addr, path: fmt.Sprintf("/cable?user=%d", i+1)}
}

func (t *memoryTarget) dial(i int) (*websocket.Conn, error) {
	return dialWS(fmt.Sprintf("ws://%s/cable?user=%d", t.addr, i+1), nil)
}

// poster posts over the cable from one socket, whose user has no rate limit
// (the in-memory hub lifts them), and waits for acks when asked to.
func (t *memoryTarget) poster(room int64, msgs, _ int) poster {
	ws, err := t.dial(-1) // user 0
	if err != nil {
		fatalf("%v", err)
	}
	p := &cablePoster{ws: ws, room: room, acks: make(chan struct{}, msgs)}
	go func() {
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if strings.Contains(string(data), `"ack"`) {
				p.acks <- struct{}{}
			}
		}
	}()
	return p
}

func (t *memoryTarget) cpuProfile(path string, d time.Duration) error {
	return download(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", t.addr, int(d.Seconds())), path)
}

func (t *memoryTarget) heapProfile(path string) error {
	return download("http://"+t.addr+"/debug/pprof/heap?gc=1", path)
}

// download saves the body of a GET to path.
func download(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type cablePoster struct {
	mu   sync.Mutex
	ws   *websocket.Conn
	room int64
	acks chan struct{}
}

// post writes a post frame; with wait it then blocks for an ack (acks are
// not matched to posts: with one poster in the closed loop, it is its own).
func (p *cablePoster) post(i int, body string, wait bool) error {
	p.mu.Lock()
	err := p.ws.WriteJSON(map[string]any{"type": "post", "room_id": p.room, "body": body, "client_message_id": strconv.Itoa(i)})
	p.mu.Unlock()
	if err == nil && wait {
		<-p.acks
	}
	return err
}

func (p *cablePoster) close() { p.ws.Close() }
