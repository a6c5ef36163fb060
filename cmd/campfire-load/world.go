package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/campfire-go/campfire/client"
	"github.com/campfire-go/campfire/internal/ring"
)

// The world a run needs, made through the public API: an admin (first-run
// setup on a fresh server, or sign-in), people who joined with the join
// code, bots, and closed rooms of a given size. It can be saved and reused
// (-world), since joining is the slow part against a server with a
// production bcrypt cost.

const (
	defaultAdminEmail    = "load-admin@campfire.invalid"
	defaultAdminPassword = "campfire-load-password"
	personPassword       = "campfire-load-password"
	// joinsPerAddress stays under the server's 10 sign-ins and joins per
	// address per 3 minutes.
	joinsPerAddress = 9
	// setupParallel bounds concurrent requests while the world is made.
	setupParallel = 16
)

// target is one server instance (or a balancer in front of several).
type target struct {
	base string
	anon *client.Client // shares the tool's connection pool to it
}

type person struct {
	idx   int
	email string
	id    int64
	token string
	t     *target
	c     *client.Client // acts as this person
}

type bot struct {
	id   int64
	key  string
	room *room
	b    *client.BotClient
}

type room struct {
	idx     int
	id      int64
	people  []*person // members with sockets, in member order
	bots    []*bot
	members []*member
	acked   atomicMax // highest seq the tool's posts were acknowledged with
	dropSeq atomicMax // storm: acked seq when the sockets were dropped
	final   int64     // the room's last seq when posting was over
}

// world is what a run acts with.
type world struct {
	targets []*target
	admin   *client.Client
	people  []*person
	bots    []*bot
	rooms   []*room
	tag     string
	reused  bool
}

// plan is the shape of the world a scenario needs.
type plan struct {
	connections      int
	roomSize         int
	socketsPerPerson int
	bots             int
}

func (p plan) people() int { return ceilDiv(p.connections, p.socketsPerPerson) }
func (p plan) rooms() int  { return max(1, ceilDiv(p.connections, p.roomSize)) }

// personOf and roomOf place member i.
func (p plan) personOf(i int) int { return i / p.socketsPerPerson }
func (p plan) roomOf(i int) int   { return i / p.roomSize }

func ceilDiv(a, b int) int { return (a + b - 1) / max(b, 1) }

// saved is the -world file.
type saved struct {
	Plan    savedPlan     `json:"plan"`
	Targets []string      `json:"targets"`
	Tag     string        `json:"tag"`
	Admin   string        `json:"admin_token"`
	People  []savedPerson `json:"people"`
	Bots    []savedBot    `json:"bots"`
	Rooms   []int64       `json:"rooms"`
}

type savedPlan struct {
	Connections, RoomSize, SocketsPerPerson, Bots int
}

type savedPerson struct {
	Email string `json:"email"`
	ID    int64  `json:"id"`
	Token string `json:"token"`
}

type savedBot struct {
	ID  int64  `json:"id"`
	Key string `json:"key"`
}

// worldMaker builds or loads a world.
type worldMaker struct {
	cfg      *config
	hc       *http.Client
	targets  []*target
	ring     *ring.Ring
	joinFrom []net.IP // addresses joins and sign-ins come from (nil: the OS picks)
	logf     func(format string, args ...any)
}

func newWorldMaker(cfg *config, hc *http.Client, logf func(string, ...any)) (*worldMaker, error) {
	wm := &worldMaker{cfg: cfg, hc: hc, logf: logf}
	var nodes []ring.Node
	for _, b := range cfg.targets {
		c, err := client.New(b, client.WithHTTPClient(hc), client.WithUserAgent("campfire-load"))
		if err != nil {
			return nil, err
		}
		wm.targets = append(wm.targets, &target{base: c.BaseURL(), anon: c})
		nodes = append(nodes, ring.Node{Name: c.BaseURL(), Weight: 1})
	}
	r, err := ring.New(nodes)
	if err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	wm.ring = r
	switch {
	case len(cfg.sourceIPs) > 0:
		wm.joinFrom = cfg.sourceIPs
	case allLoopback(cfg.targets):
		// A loopback server sees each 127.x.y.z as its own client, as
		// people on their own machines would be: the sign-in limit stays
		// the production one. A random /16 keeps a second run within 3
		// minutes off the addresses the first one spent.
		a := byte(1 + cfg.rng.IntN(254))
		for i := range 60000 {
			wm.joinFrom = append(wm.joinFrom, net.IPv4(127, a, byte(i/250), byte(2+i%250)))
		}
	}
	return wm, nil
}

func allLoopback(bases []string) bool {
	for _, b := range bases {
		u, err := url.Parse(b)
		if err != nil {
			return false
		}
		ip := net.ParseIP(u.Hostname())
		if !(u.Hostname() == "localhost" || ip != nil && ip.IsLoopback()) {
			return false
		}
	}
	return true
}

// targetFor places a person on an instance with the consistent-hash ring,
// as a balancer hashing on the person would.
func (wm *worldMaker) targetFor(key string) *target {
	return wm.targets[wm.ring.LookupIndex(key)]
}

// from returns a client of t whose connections come from addr (nil: any),
// and a function to release its connections.
func (wm *worldMaker) from(t *target, addr net.IP) (*client.Client, func()) {
	if addr == nil {
		return t.anon, func() {}
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: addr}, Timeout: 10 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 10 * time.Second}
	c, _ := client.New(t.base, client.WithHTTPClient(&http.Client{Transport: tr, Timeout: 60 * time.Second}), client.WithUserAgent("campfire-load"))
	return c, tr.CloseIdleConnections
}

// make builds the world for p, or loads the one saved in -world when it
// was made for the same plan and targets.
func (wm *worldMaker) make(ctx context.Context, p plan) (*world, error) {
	if wm.cfg.worldFile != "" {
		if w, err := wm.load(ctx, p); err == nil {
			return w, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			wm.logf("not reusing %s: %v", wm.cfg.worldFile, err)
		}
	}
	w, err := wm.build(ctx, p)
	if err != nil {
		return nil, err
	}
	if wm.cfg.worldFile != "" {
		if err := wm.save(w, p); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (wm *worldMaker) build(ctx context.Context, p plan) (*world, error) {
	w := &world{targets: wm.targets, tag: fmt.Sprintf("%x", wm.cfg.rng.Uint32())}
	start := time.Now()
	admin, err := wm.signInAdmin(ctx)
	if err != nil {
		return nil, err
	}
	w.admin = admin
	acct, err := admin.Account(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the join code: %w", err)
	}
	if err := wm.join(ctx, w, p.people(), acct.JoinCode); err != nil {
		return nil, err
	}
	if err := wm.makeBots(ctx, w, p.bots); err != nil {
		return nil, err
	}
	wm.placeRooms(w, p)
	if err := wm.createRooms(ctx, w); err != nil {
		return nil, err
	}
	wm.logf("world: %d people, %d bots, %d rooms of up to %d sockets, made in %v", len(w.people), len(w.bots), len(w.rooms), p.roomSize, time.Since(start).Round(time.Millisecond))
	return w, nil
}

// signInAdmin runs first-run setup on a fresh server, or signs in.
func (wm *worldMaker) signInAdmin(ctx context.Context) (*client.Client, error) {
	t := wm.targets[0]
	var addr net.IP
	if len(wm.joinFrom) > 0 {
		addr = wm.joinFrom[len(wm.joinFrom)-1] // never used for joins in one run
	}
	c, release := wm.from(t, addr)
	defer release()
	email, password := wm.cfg.adminEmail, wm.cfg.adminPassword
	if email == "" {
		email, password = defaultAdminEmail, defaultAdminPassword
		s, err := c.Setup(ctx, "Campfire Load", "Load Admin", email, password)
		if err == nil {
			wm.logf("fresh server: ran first-run setup (admin %s)", email)
			return t.anon.WithToken(s.Token), nil
		}
		if client.ErrorCode(err) != "already_set_up" {
			return nil, fmt.Errorf("first-run setup: %w", err)
		}
	}
	s, err := c.SignIn(ctx, email, password)
	if err != nil {
		if wm.cfg.adminEmail == "" {
			return nil, fmt.Errorf("the server is already set up and its admin is not the tool's: pass -admin-email and -admin-password (%w)", err)
		}
		return nil, fmt.Errorf("signing in as %s: %w", email, err)
	}
	if s.User.Role != client.RoleAdmin {
		return nil, fmt.Errorf("%s is not an administrator", email)
	}
	return t.anon.WithToken(s.Token), nil
}

// join signs n people up, each on the instance the ring gives them, at
// most joinsPerAddress from each source address.
func (wm *worldMaker) join(ctx context.Context, w *world, n int, code string) error {
	if wm.joinFrom == nil && n > joinsPerAddress {
		return fmt.Errorf("%d people must join, but the server allows %d joins per address per 3 minutes and the target is not on loopback: give -source-ips (about %d addresses) or reuse a world (-world)", n, joinsPerAddress+1, ceilDiv(n, joinsPerAddress))
	}
	if wm.joinFrom != nil && ceilDiv(n, joinsPerAddress) > len(wm.joinFrom)-1 {
		return fmt.Errorf("%d people need %d source addresses to join from; -source-ips gives %d", n, ceilDiv(n, joinsPerAddress), len(wm.joinFrom))
	}
	w.people = make([]*person, n)
	for i := range w.people {
		email := fmt.Sprintf("load-%s-%d@campfire.invalid", w.tag, i)
		w.people[i] = &person{idx: i, email: email, t: wm.targetFor(email)}
	}
	return parallel(ctx, ceilDiv(n, joinsPerAddress), setupParallel, func(ctx context.Context, g int) error {
		var addr net.IP
		if wm.joinFrom != nil {
			addr = wm.joinFrom[g]
		}
		for i := g * joinsPerAddress; i < min(n, (g+1)*joinsPerAddress); i++ {
			p := w.people[i]
			c, release := wm.from(p.t, addr)
			s, err := c.Join(ctx, code, fmt.Sprintf("Load Person %d", i+1), p.email, personPassword)
			release()
			if err != nil {
				return fmt.Errorf("person %d joining from %v: %w", i, addr, err)
			}
			p.id, p.token, p.c = s.User.ID, s.Token, p.t.anon.WithToken(s.Token)
		}
		return nil
	})
}

func (wm *worldMaker) makeBots(ctx context.Context, w *world, n int) error {
	w.bots = make([]*bot, n)
	return parallel(ctx, n, setupParallel, func(ctx context.Context, i int) error {
		b, err := w.admin.CreateBot(ctx, fmt.Sprintf("Load Bot %s %d", w.tag, i+1), "")
		if err != nil {
			return fmt.Errorf("creating bot %d: %w", i, err)
		}
		t := wm.targetFor(fmt.Sprintf("bot-%d", b.ID))
		w.bots[i] = &bot{id: b.ID, key: b.Key, b: t.anon.Bot(b.Key)}
		return nil
	})
}

// placeRooms decides each room's people (the owners of its sockets) and
// bots (bot i posts in room i mod rooms).
func (wm *worldMaker) placeRooms(w *world, p plan) {
	w.rooms = make([]*room, p.rooms())
	for r := range w.rooms {
		w.rooms[r] = &room{idx: r}
	}
	for i := range p.connections {
		r, who := w.rooms[p.roomOf(i)], w.people[p.personOf(i)]
		if len(r.people) == 0 || r.people[len(r.people)-1] != who {
			r.people = append(r.people, who)
		}
	}
	for i, b := range w.bots {
		b.room = w.rooms[i%len(w.rooms)]
		b.room.bots = append(b.room.bots, b)
	}
}

// createRooms creates each room closed, by its first person, with its
// people and bots: members are exactly who the run needs, so posts mark
// no one else unread.
func (wm *worldMaker) createRooms(ctx context.Context, w *world) error {
	return parallel(ctx, len(w.rooms), setupParallel, func(ctx context.Context, i int) error {
		r := w.rooms[i]
		var ids []int64
		for _, p := range r.people[1:] {
			ids = append(ids, p.id)
		}
		for _, b := range r.bots {
			ids = append(ids, b.id)
		}
		if len(ids)+1 > 1000 {
			return fmt.Errorf("room %d would have %d members; the server creates rooms of at most 1,000 (use fewer bots or more sockets per person)", i, len(ids)+1)
		}
		created, err := r.people[0].c.CreateRoom(ctx, client.NewRoom{Name: fmt.Sprintf("Load %s %d", w.tag, i+1), Type: client.RoomClosed, UserIDs: ids})
		if err != nil {
			return fmt.Errorf("creating room %d: %w", i, err)
		}
		r.id = created.ID
		return nil
	})
}

func (wm *worldMaker) save(w *world, p plan) error {
	s := saved{Plan: savedPlan{p.connections, p.roomSize, p.socketsPerPerson, p.bots}, Targets: wm.cfg.targets, Tag: w.tag, Admin: w.admin.Token()}
	for _, x := range w.people {
		s.People = append(s.People, savedPerson{x.email, x.id, x.token})
	}
	for _, b := range w.bots {
		s.Bots = append(s.Bots, savedBot{b.id, b.key})
	}
	for _, r := range w.rooms {
		s.Rooms = append(s.Rooms, r.id)
	}
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(wm.cfg.worldFile, b, 0o600); err != nil {
		return fmt.Errorf("saving the world: %w", err)
	}
	wm.logf("world saved to %s (its tokens are secrets)", wm.cfg.worldFile)
	return nil
}

// load reads a saved world if it fits p and the targets, and checks that
// its admin token still works.
func (wm *worldMaker) load(ctx context.Context, p plan) (*world, error) {
	b, err := os.ReadFile(wm.cfg.worldFile)
	if err != nil {
		return nil, err
	}
	var s saved
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	if s.Plan != (savedPlan{p.connections, p.roomSize, p.socketsPerPerson, p.bots}) || strings.Join(s.Targets, ",") != strings.Join(wm.cfg.targets, ",") {
		return nil, fmt.Errorf("it was made for %+v on %v", s.Plan, s.Targets)
	}
	w := &world{targets: wm.targets, tag: s.Tag, reused: true, admin: wm.targets[0].anon.WithToken(s.Admin)}
	if _, err := w.admin.Me(ctx); err != nil {
		return nil, fmt.Errorf("its admin token: %w", err)
	}
	for i, x := range s.People {
		t := wm.targetFor(x.Email)
		w.people = append(w.people, &person{idx: i, email: x.Email, id: x.ID, token: x.Token, t: t, c: t.anon.WithToken(x.Token)})
	}
	for _, x := range s.Bots {
		t := wm.targetFor(fmt.Sprintf("bot-%d", x.ID))
		w.bots = append(w.bots, &bot{id: x.ID, key: x.Key, b: t.anon.Bot(x.Key)})
	}
	wm.placeRooms(w, p)
	if len(s.Rooms) != len(w.rooms) {
		return nil, fmt.Errorf("it has %d rooms, the plan %d", len(s.Rooms), len(w.rooms))
	}
	for i, id := range s.Rooms {
		w.rooms[i].id = id
	}
	wm.logf("world: reusing %s (%d people, %d bots, %d rooms)", wm.cfg.worldFile, len(w.people), len(w.bots), len(w.rooms))
	return w, nil
}

// parallel runs f(0..n-1), at most width at a time, and returns the first
// error (which cancels the rest).
func parallel(ctx context.Context, n, width int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(width, 1))
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(ctx, i); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// parseIPs reads "127.0.0.2-127.0.0.50,10.0.0.7": addresses and inclusive
// IPv4 ranges.
func parseIPs(s string) ([]net.IP, error) {
	var out []net.IP
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a := net.ParseIP(strings.TrimSpace(lo))
		if a == nil {
			return nil, fmt.Errorf("-source-ips: %q is not an address", lo)
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b := net.ParseIP(strings.TrimSpace(hi))
		if a.To4() == nil || b == nil || b.To4() == nil {
			return nil, fmt.Errorf("-source-ips: %q: ranges are IPv4", part)
		}
		x, y := binary.BigEndian.Uint32(a.To4()), binary.BigEndian.Uint32(b.To4())
		if y < x || y-x > 1<<20 {
			return nil, fmt.Errorf("-source-ips: %q is empty or too large", part)
		}
		for v := x; v <= y; v++ {
			ip := make(net.IP, 4)
			binary.BigEndian.PutUint32(ip, v)
			out = append(out, ip)
		}
	}
	return out, nil
}
