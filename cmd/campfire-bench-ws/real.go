package main

// The real target: the campfire binary, built from ./cmd/campfire and run
// as a child on a fresh SQLite database (or an existing server at -url),
// driven only through its public API: setup, join, bots, rooms, the cable.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

type realTarget struct {
	cmd    *exec.Cmd // nil when the server was given with -url
	pidv   int
	base   string // http://host:port
	dir    string // the child's temporary storage, removed by stop
	keep   bool
	logf   *os.File
	exited chan struct{}
	client *http.Client
	admin  string   // the admin's bearer token
	tokens []string // the people whose tokens the sockets share
}

func startReal(o *targetOpts) *realTarget {
	t := &realTarget{client: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxIdleConns: 512, IdleConnTimeout: time.Minute},
	}}
	if o.url != "" {
		t.base, t.pidv, t.admin = strings.TrimSuffix(o.url, "/"), o.pid, o.token
	} else {
		t.launch(o)
	}
	if t.admin == "" {
		t.admin = t.setUp()
	}
	t.tokens = append(t.tokens, t.admin)
	t.addPeople(o.users - 1)
	return t
}

// launch builds (unless -campfire names a binary) and starts the server on
// a free loopback port with a fresh database under a temporary directory.
func (t *realTarget) launch(o *targetOpts) {
	dir, err := os.MkdirTemp("", "campfire-bench-")
	if err != nil {
		fatalf("%v", err)
	}
	t.dir, t.keep = dir, o.keep
	bin := o.binary
	if bin == "" {
		bin = filepath.Join(dir, "campfire")
		build := exec.Command("go", "build", "-o", bin, "github.com/campfire-go/campfire/cmd/campfire")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fatalf("building campfire (run from the repository, or pass -campfire): %v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatalf("%v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	t.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := childCommand(o.serverCPUs, bin, "serve")
	cmd.Env = append(os.Environ(),
		"PORT="+strconv.Itoa(port), "BIND=127.0.0.1",
		"DATABASE_URL=sqlite://"+filepath.Join(dir, "campfire.db"),
		"STORAGE_PATH="+filepath.Join(dir, "storage"),
		"BCRYPT_COST=4", "LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, o.serverEnv...)
	if t.logf, err = os.Create(filepath.Join(dir, "server.log")); err != nil {
		fatalf("%v", err)
	}
	cmd.Stdout, cmd.Stderr = t.logf, t.logf
	if err := cmd.Start(); err != nil {
		fatalf("%v", err)
	}
	t.cmd, t.pidv = cmd, cmd.Process.Pid
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.exited = exited
	var self target = t
	current.Store(&self)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(t.base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case <-exited:
			log.Fatalf("campfire exited at start; its log:\n%s", tail(filepath.Join(dir, "server.log")))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			fatalf("campfire did not answer /health in 30 s; its log:\n%s", tail(filepath.Join(dir, "server.log")))
		}
	}
	t.exited = exited
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (t *realTarget) name() string { return "real" }
func (t *realTarget) pid() int     { return t.pidv }

func (t *realTarget) stop() {
	if t.cmd != nil {
		t.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-t.exited:
		case <-time.After(15 * time.Second):
			t.cmd.Process.Kill()
			<-t.exited
		}
		t.logf.Close()
		if t.keep {
			log.Printf("kept %s (database and server.log)", t.dir)
		} else {
			os.RemoveAll(t.dir)
		}
	}
}

// api sends a JSON request (body nil: none) and decodes a 2xx answer into
// out; anything else is an error that carries the status.
func (t *realTarget) api(method, path, token string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, t.base+path, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(b, out)
	}
	return resp.StatusCode, nil
}

func (t *realTarget) setUp() string {
	var res struct{ Token string }
	status, err := t.api("POST", "/api/v1/setup", "", map[string]string{
		"account_name": "Bench", "name": "Bench Admin", "email": "admin@bench.invalid", "password": "bench-password",
	}, &res)
	if status == http.StatusConflict {
		fatalf("the server is already set up: pass an admin's token with -token")
	}
	if err != nil {
		fatalf("%v", err)
	}
	return res.Token
}

// addPeople signs n people up through the join link. Joining shares the
// sign-in limit (10 per 3 minutes per address), so against a loopback
// server each ten people join from their own loopback address (127.0.0.2,
// 127.0.0.3, …), as people on their own machines would; the limit itself
// is the production one.
func (t *realTarget) addPeople(n int) {
	if n <= 0 {
		return
	}
	var acct struct {
		JoinCode string `json:"join_code"`
	}
	if _, err := t.api("GET", "/api/v1/account", t.admin, nil, &acct); err != nil {
		fatalf("%v", err)
	}
	host, _, _ := net.SplitHostPort(strings.TrimPrefix(t.base, "http://"))
	loopback := host == "127.0.0.1" || host == "localhost"
	if !loopback && n > 9 {
		log.Printf("the server is not on loopback: at most 9 people can join from this address")
		n = 9
	}
	tag := strconv.FormatInt(time.Now().UnixNano(), 36)
	tokens := make([]string, n)
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	sem := make(chan struct{}, 16)
	for g := 0; g*10 < n; g++ {
		from := t
		if loopback {
			// A client whose connections come from 127.0.0.(2+g).
			ip := net.IPv4(127, 0, byte((2+g)>>8), byte(2+g))
			d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
			from = &realTarget{base: t.base, client: &http.Client{Timeout: 30 * time.Second,
				Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16}}}
		}
		for i := g * 10; i < min(n, g*10+10); i++ {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				var res struct{ Token string }
				_, err := from.api("POST", "/api/v1/join/"+acct.JoinCode, "", map[string]string{
					"name": fmt.Sprintf("Bench Person %d", i+1), "email": fmt.Sprintf("p%d-%s@bench.invalid", i+1, tag), "password": "bench-password",
				}, &res)
				if err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				tokens[i] = res.Token
			})
		}
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		fatalf("joining: %v", *err)
	}
	t.tokens = append(t.tokens, tokens...)
}

type roomJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// rooms returns n open rooms: All Talk first, then rooms it creates.
func (t *realTarget) rooms(n int) []int64 {
	var list struct{ Rooms []roomJSON }
	if _, err := t.api("GET", "/api/v1/rooms", t.admin, nil, &list); err != nil {
		fatalf("%v", err)
	}
	var ids []int64
	for _, r := range list.Rooms {
		if r.Name == "All Talk" {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		fatalf(`the admin is in no room named "All Talk"`)
	}
	// Creating rooms is limited per person (20 a minute), so the people
	// take turns.
	more := make([]int64, n-len(ids))
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	sem := make(chan struct{}, 16)
	for k := range more {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var r roomJSON
			token := t.tokens[(k+1)%len(t.tokens)]
			if _, err := t.api("POST", "/api/v1/rooms", token, map[string]any{"name": fmt.Sprintf("Bench %d", k+1), "type": "open"}, &r); err != nil {
				failed.CompareAndSwap(nil, &err)
			}
			more[k] = r.ID
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		fatalf("creating rooms (each person may create 20 a minute): %v", *err)
	}
	return append(ids, more...)
}

func (t *realTarget) cableRequest(i int) cableRequest {
	return cableRequest{addr: strings.TrimPrefix(t.base, "http://"), path: "/api/v1/cable",
		header: http.Header{"Authorization": {"Bearer " + t.tokens[i%len(t.tokens)]}}}
}

func (t *realTarget) dial(i int) (*websocket.Conn, error) {
	h := http.Header{"Authorization": {"Bearer " + t.tokens[i%len(t.tokens)]}}
	return dialWS("ws"+strings.TrimPrefix(t.base, "http")+"/api/v1/cable", h)
}

// mem reads the kernel's RSS and, from /metrics, the Go runtime's heap and
// stacks as they are (no collection is forced).
func (t *realTarget) mem() memStats {
	m := memStats{rssKB: procRSS(t.pidv), anonKB: procStatus(t.pidv, "RssAnon")}
	resp, err := t.client.Get(t.base + "/metrics")
	if err != nil {
		return m
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(f) {
			continue
		}
		switch name {
		case "go_memstats_heap_inuse_bytes":
			m.heapKB = int64(f) >> 10
		case "go_memstats_stack_inuse_bytes":
			m.stackKB = int64(f) >> 10
		case "go_goroutines":
			m.goroutines = int64(f)
		case "go_gc_duration_seconds_count":
			m.gcs = int64(f)
		case "campfire_ws_frames_sent_total":
			m.frames = int64(f)
		case "campfire_ws_flushes_total":
			m.flushes = int64(f)
		}
	}
	return m
}

// waitGC waits, at most max, until the server completes a garbage
// collection after m was read, and returns the memory after it.
func (t *realTarget) waitGC(m memStats, max time.Duration) memStats {
	start := time.Now()
	for time.Since(start) < max {
		time.Sleep(time.Second)
		if n := t.mem(); n.gcs > m.gcs {
			time.Sleep(2 * time.Second) // the scavenger returns what it frees
			log.Printf("baseline after a GC (waited %v)", time.Since(start).Round(time.Second))
			return t.mem()
		}
	}
	log.Printf("no GC within %v: the baseline may hold garbage", max)
	return t.mem()
}

// poster posts through the bot API (POST /rooms/{room}/{bot_key}/messages),
// the HTTP path through the core and the database. Posting is limited to 30
// per 10 s per user, so the messages are spread over enough bots that none
// goes past its burst: the limit stays as it is in production and nothing
// is retried.
func (t *realTarget) poster(room int64, msgs, bots int) poster {
	if bots <= 0 {
		bots = max(4, (msgs+24)/25)
	}
	p := &botPoster{t: t, room: room, keys: make([]string, bots)}
	var wg sync.WaitGroup
	var failed atomic.Value
	sem := make(chan struct{}, 16)
	for i := range bots {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var res struct {
				BotKey string `json:"bot_key"`
			}
			if _, err := t.api("POST", "/api/v1/bots", t.admin, map[string]string{"name": fmt.Sprintf("bench bot %d", i+1)}, &res); err != nil {
				failed.Store(err)
				return
			}
			p.keys[i] = res.BotKey
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		fatalf("%v", err)
	}
	log.Printf("posting through %d bots (at most %d posts each)", bots, (msgs+bots-1)/bots)
	return p
}

type botPoster struct {
	t       *realTarget
	room    int64
	keys    []string
	limited atomic.Int64
}

func (p *botPoster) post(i int, body string, _ bool) error {
	key := p.keys[i%len(p.keys)]
	req, err := http.NewRequestWithContext(context.Background(), "POST",
		fmt.Sprintf("%s/rooms/%d/%s/messages", p.t.base, p.room, key), strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain")
	resp, err := p.t.client.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		p.limited.Add(1)
	}
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("bot post %d: %s: %s", i, resp.Status, bytes.TrimSpace(b))
	}
	return nil
}

func (p *botPoster) close() {}
