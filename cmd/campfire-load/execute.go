package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"time"
)

// execute runs the configured scenario and gathers its result.
func execute(ctx context.Context, cfg *config, stdout, stderr io.Writer) (*result, error) {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	if n, err := raiseFileLimit(); err != nil {
		logf("warning: %v", err)
	} else if uint64(cfg.connections)+256 > n {
		return nil, fmt.Errorf("%d sockets need more open files than the limit of %d (ulimit -n)", cfg.connections, n)
	}
	pp, err := planPosts(cfg)
	if err != nil {
		return nil, err
	}
	p := plan{connections: cfg.connections, roomSize: cfg.roomSize, socketsPerPerson: cfg.socketsPerPerson, bots: pp.bots}

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1024, 1024
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	defer tr.CloseIdleConnections()

	fmt.Fprintf(stdout, "campfire-load %s: %d sockets in %d rooms of %d, %d socket(s) a person, targets %v\n",
		cfg.scenario, cfg.connections, p.rooms(), cfg.roomSize, cfg.socketsPerPerson, cfg.targets)
	fmt.Fprintf(stdout, "tool on CPUs %s (GOMAXPROCS %d)%s\n", cpusAllowed(), runtime.GOMAXPROCS(0), pinHint(cfg))
	if pp.note != "" && cfg.postVia != "none" {
		fmt.Fprintln(stdout, pp.note)
	}

	wm, err := newWorldMaker(cfg, hc, logf)
	if err != nil {
		return nil, err
	}
	w, err := wm.make(ctx, p)
	if err != nil {
		return nil, err
	}
	l := &load{cfg: cfg, w: w, hc: hc, dialer: newDialer(cfg.readBuffer), logf: logf,
		latency: newRecorder(64), postLat: newRecorder(16), connectLat: newRecorder(16)}
	if isTerminal(stderr) {
		l.progress = stderr
	}
	for i := range cfg.connections {
		m := &member{idx: i, person: w.people[p.personOf(i)], room: w.rooms[p.roomOf(i)], run: l, src: l.sourceAddr(i)}
		m.room.members = append(m.room.members, m)
		l.members = append(l.members, m)
	}
	defer l.closeAll() // on every way out; closing twice is harmless
	est := int((cfg.duration + cfg.grace + cfg.settle + time.Minute).Seconds()) + cfg.connections/100
	if cfg.perConn > 0 {
		est += int(float64(cfg.perConn)/personRate) + 60
	}
	res := newResult(cfg, w, pp)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	progressDone := make(chan struct{})
	go func() { defer close(progressDone); l.progressLoop(runCtx) }()
	defer func() { cancel(); <-progressDone }()

	before := scrapeAll(ctx, hc, cfg.metrics)
	for _, s := range before {
		res.Instances = append(res.Instances, s.Instance)
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	l.timeline = newTimeline(time.Now(), est)
	l.setPhase("connect")

	var e *engine
	if cfg.postVia != "none" {
		e = l.startEngine(runCtx)
	}
	// People post over their first socket (or as themselves over HTTP).
	posterOf := map[*member]int{}
	for i := range pp.cablePosters {
		posterOf[l.members[i*cfg.socketsPerPerson]] = i
	}
	newPoster := func(m *member, at time.Time) *poster {
		var ps *poster
		if cfg.postVia == "http" {
			ps = httpPoster(m)
		} else {
			ps = cablePoster(m)
		}
		n := pp.perPoster[posterOf[m]]
		ps.left = n
		ps.interval = time.Duration(float64(time.Second) * float64(pp.cablePosters) / pp.cableRate)
		// Spread the posters' phases over the interval (golden-ratio
		// steps: even, and safe from the concurrent ready callbacks).
		ps.next = at.Add(time.Duration(float64(ps.interval) * math.Mod(float64(m.idx)*0.6180339887, 1)))
		return ps
	}
	staggered := cfg.staggerBatch > 0 && pp.cablePosters > 0
	var posters []*poster
	cpu0, self0 := 0.0, selfCPU()
	busy0, total0 := machineCPU()
	if staggered {
		// The guide's test: each person starts posting once connected.
		_, cpu0, _ = sumStats(before)
		res.measureFrom = time.Now()
	}
	var ready func(*member)
	if staggered {
		ready = func(m *member) {
			if _, ok := posterOf[m]; ok {
				e.addPoster(newPoster(m, time.Now()))
			}
		}
	}
	took, failed := l.connectAll(runCtx, ready)
	res.setConnect(l, took, failed)
	fmt.Fprintf(stdout, "connected %d of %d sockets in %v (%.0f/s)\n", cfg.connections-failed, cfg.connections, took.Round(time.Millisecond), res.ConnectRate)

	if cfg.idle {
		l.setPhase("idle")
		select {
		case <-time.After(cfg.settle):
		case <-ctx.Done():
		}
		after := scrapeAll(ctx, hc, cfg.metrics)
		res.setServer(before, after, nil)
		res.setIdle(before, after, cfg.connections-failed)
		l.closeAll()
		res.finish(l)
		return res, ctx.Err()
	}

	if !staggered {
		mid := scrapeAll(ctx, hc, cfg.metrics)
		_, cpu0, _ = sumStats(mid)
		before = mid
		self0 = selfCPU()
		busy0, total0 = machineCPU()
		res.measureFrom = time.Now()
	}
	l.setPhase("post")
	now := time.Now()
	if e != nil {
		for i := range pp.cablePosters {
			if m := l.members[i*cfg.socketsPerPerson]; !staggered && m.cable != nil {
				posters = append(posters, newPoster(m, now))
			}
		}
		if pp.bots > 0 {
			per := split(pp.botMessages, pp.bots)
			interval := time.Duration(float64(time.Second) * float64(pp.bots) / pp.botRate)
			for i, b := range w.bots {
				ps := botPoster(b)
				ps.left, ps.interval = per[i], interval
				ps.next = now.Add(time.Duration(float64(time.Second) * float64(i) / pp.botRate))
				posters = append(posters, ps)
			}
		}
		for _, ps := range posters {
			e.addPoster(ps)
		}
	}
	var storm chan stormResult
	if cfg.storm {
		storm = make(chan stormResult, 1)
		go func() { storm <- l.storm(runCtx, now.Add(cfg.dropAfter), now.Add(cfg.duration+cfg.grace)) }()
	}
	if e != nil {
		e.close()
		e.wait()
	}
	l.setPhase("deliver")
	if err := l.finalSeqs(ctx); err != nil {
		return nil, err
	}
	complete := l.waitDelivered(runCtx, cfg.grace)
	if storm != nil {
		sr := <-storm
		res.Storm = &sr
	}
	after := scrapeAll(ctx, hc, cfg.metrics)
	_, cpu1, _ := sumStats(after)
	self1 := selfCPU()
	busy1, total1 := machineCPU()
	end := l.lastDelivery()
	if end.IsZero() && e != nil {
		end = time.Unix(0, e.lastAck.Load())
	}
	res.measureTo = end
	if !complete {
		logf("some sockets still lacked messages %v after posting ended", cfg.grace)
	}
	l.setPhase("close")
	l.closeAll()
	res.setServer(before, after, &cpuWindow{server: cpu1 - cpu0, self: self1 - self0, busy: busy1 - busy0, total: total1 - total0})
	res.finish(l)
	return res, ctx.Err()
}

// runRestart runs the -restart-cmd under sh. Its output goes straight to
// the tool's stderr file (not through a pipe), so a server it starts in
// the background does not hold the command open.
func runRestart(ctx context.Context, command string) error {
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

func pinHint(cfg *config) string {
	if cfg.cpus != "" {
		return fmt.Sprintf(" — pinned with -cpus %s; pin the server to the other CPUs (taskset -c)", cfg.cpus)
	}
	if runtime.NumCPU() > 1 {
		return " — not pinned: generator and server share the CPUs (use -cpus N and taskset -c for the server)"
	}
	return ""
}

// stormResult is what cutting every connection at once showed.
type stormResult struct {
	Dropped        int     `json:"dropped"`
	ReconnectS     float64 `json:"reconnect_s"`
	CaughtUpS      float64 `json:"caught_up_s"`
	NotReconnected int     `json:"not_reconnected"`
	NotCaughtUp    int     `json:"not_caught_up"`
	// Restart: the server was restarted by -restart-cmd instead of the
	// connections being cut; RestartS is how long the command took.
	Restart  bool    `json:"restart,omitempty"`
	RestartS float64 `json:"restart_s,omitempty"`
}

// storm cuts every member's connection at at (or restarts the server with
// -restart-cmd), then waits (until limit) for each Cable to reconnect,
// resubscribe from its last seq and have everything acknowledged before
// the cut.
func (l *load) storm(ctx context.Context, at, limit time.Time) stormResult {
	var r stormResult
	select {
	case <-time.After(time.Until(at)):
	case <-ctx.Done():
		return r
	}
	for _, rm := range l.w.rooms {
		rm.dropSeq.note(rm.acked.load())
	}
	l.expectDrops.Store(true)
	l.setPhase("storm")
	dropAt := time.Now()
	for _, m := range l.members {
		if m.cable != nil {
			if l.cfg.restartCmd == "" {
				m.drop()
			}
			r.Dropped++
		}
	}
	if l.cfg.restartCmd != "" {
		r.Restart = true
		if err := runRestart(ctx, l.cfg.restartCmd); err != nil {
			l.errs.add("restart command failed")
			l.logf("storm: -restart-cmd: %v", err)
		}
		r.RestartS = time.Since(dropAt).Seconds()
		l.logf("storm: -restart-cmd returned after %.2f s", r.RestartS)
	}
	for {
		r.NotReconnected, r.NotCaughtUp = 0, 0
		var lastResub, lastCaught int64
		for _, m := range l.members {
			if m.cable == nil {
				continue
			}
			if t := m.resubAt.Load(); t > dropAt.UnixNano() {
				lastResub = max(lastResub, t)
			} else {
				r.NotReconnected++
			}
			if t := m.caughtUpAt.Load(); t > 0 {
				lastCaught = max(lastCaught, t)
			} else {
				r.NotCaughtUp++
			}
		}
		if r.NotReconnected == 0 && r.NotCaughtUp == 0 {
			r.ReconnectS = time.Unix(0, lastResub).Sub(dropAt).Seconds()
			r.CaughtUpS = time.Unix(0, lastCaught).Sub(dropAt).Seconds()
			l.logf("storm: %d sockets cut; all resubscribed in %.2f s, caught up in %.2f s", r.Dropped, r.ReconnectS, r.CaughtUpS)
			l.setPhase("post")
			return r
		}
		if time.Now().After(limit) || ctx.Err() != nil {
			r.ReconnectS, r.CaughtUpS = -1, -1
			l.logf("storm: %d of %d sockets did not resubscribe, %d did not catch up", r.NotReconnected, r.Dropped, r.NotCaughtUp)
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
}
