package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/broker/memory"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/presence"
	"github.com/campfire-go/campfire/internal/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every wait for an event in these tests.
const wait = 5 * time.Second

// testBackend is the core as the cable sees it, in memory: it commits a
// message (assigning the room's next seq) and then publishes it through the
// real broker, exactly as the core does. Posts may publish out of seq order
// when they race, as real ones do.
type testBackend struct {
	broker broker.Broker

	mu      sync.Mutex
	rooms   map[int64]*chat.Room
	members map[int64]map[int64]bool
	msgs    map[int64][]chat.Message
	users   map[int64]chat.User
	nextID  int64
	byKey   map[string]chat.Message
	failing error // MessagesAfter fails with it when set
	// gate, when set, holds every RoomForUser until it is closed.
	gate chan struct{}
}

func newTestBackend(b broker.Broker) *testBackend {
	return &testBackend{
		broker:  b,
		rooms:   make(map[int64]*chat.Room),
		members: make(map[int64]map[int64]bool),
		msgs:    make(map[int64][]chat.Message),
		users:   make(map[int64]chat.User),
		byKey:   make(map[string]chat.Message),
	}
}

func (b *testBackend) addUser(id int64) chat.User {
	b.mu.Lock()
	defer b.mu.Unlock()
	u := chat.User{ID: id, Name: "user" + strconv.FormatInt(id, 10), Role: chat.RoleMember, Status: chat.StatusActive}
	b.users[id] = u
	return u
}

func (b *testBackend) addRoom(id int64, memberIDs ...int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rooms[id] = &chat.Room{ID: id, Name: "room" + strconv.FormatInt(id, 10), Type: chat.RoomClosed}
	b.members[id] = make(map[int64]bool)
	for _, u := range memberIDs {
		b.members[id][u] = true
	}
}

func (b *testBackend) RoomForUser(ctx context.Context, u chat.User, roomID int64) (chat.RoomView, error) {
	b.mu.Lock()
	gate := b.gate
	b.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return chat.RoomView{}, ctx.Err()
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.rooms[roomID]
	if r == nil || !b.members[roomID][u.ID] {
		return chat.RoomView{}, chat.NotFound("room")
	}
	return chat.RoomView{Room: *r, Involvement: chat.InvolvementEverything}, nil
}

func (b *testBackend) SessionUser(ctx context.Context, userID int64, tokenHash string) (chat.User, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.users[userID]
	if !ok || !u.Active() {
		return chat.User{}, chat.NotFound("user")
	}
	return u, nil
}

func (b *testBackend) MessagesAfter(ctx context.Context, roomID, afterSeq int64, limit int) ([]chat.Message, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failing != nil {
		return nil, b.failing
	}
	var out []chat.Message
	for _, m := range b.msgs[roomID] {
		if m.Seq > afterSeq && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

func (b *testBackend) PostMessage(ctx context.Context, u chat.User, roomID int64, body, clientID string) (chat.Message, bool, error) {
	b.mu.Lock()
	if !b.members[roomID][u.ID] {
		b.mu.Unlock()
		return chat.Message{}, false, chat.NotFound("room")
	}
	if err := chat.CheckBody(body, chat.DefaultLimits); err != nil {
		b.mu.Unlock()
		return chat.Message{}, false, err
	}
	key := fmt.Sprint(u.ID, "/", roomID, "/", clientID)
	if m, ok := b.byKey[key]; ok && clientID != "" {
		b.mu.Unlock()
		return m, false, nil
	}
	m := b.commitLocked(u, roomID, body, clientID)
	b.byKey[key] = m
	b.mu.Unlock()
	// After the commit, like the core.
	return m, true, b.publish(m)
}

// commit stores a message without publishing it (a lost event).
func (b *testBackend) commit(u chat.User, roomID int64, body string) chat.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.commitLocked(u, roomID, body, "")
}

func (b *testBackend) commitLocked(u chat.User, roomID int64, body, clientID string) chat.Message {
	r := b.rooms[roomID]
	r.LastSeq++
	b.nextID++
	now := time.Now()
	m := chat.Message{ID: b.nextID, RoomID: roomID, Seq: r.LastSeq, CreatorID: u.ID, ClientMessageID: clientID,
		Body: body, BodyHTML: "<p>" + body + "</p>", Creator: u, CreatedAt: now, UpdatedAt: now}
	b.msgs[roomID] = append(b.msgs[roomID], m)
	return m
}

func (b *testBackend) publish(m chat.Message) error {
	return b.broker.Publish(context.Background(), broker.Event{
		Type: wire.TypeMessageCreated, RoomID: m.RoomID, Seq: m.Seq,
		Frame: wire.MessageFrame(wire.TypeMessageCreated, wire.NewMessage(m)),
	})
}

func (b *testBackend) delete(roomID, seq int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs[roomID] = slices.DeleteFunc(b.msgs[roomID], func(m chat.Message) bool { return m.Seq == seq })
}

func (b *testBackend) user(id int64) chat.User {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.users[id]
}

// env is a hub behind a test HTTP server, with the real memory broker and
// presence. The test server authenticates with the X-Test-User header.
type env struct {
	t        *testing.T
	hub      *Hub
	broker   *memory.Broker
	presence *presence.Memory
	be       *testBackend
	srv      *httptest.Server
	url      string
}

type envOption func(*httptest.Server)

// smallSendBuffers makes the server's sockets buffer little in the kernel,
// so a client that does not read fills its queue quickly.
func smallSendBuffers(s *httptest.Server) {
	s.Listener = smallBufListener{s.Listener}
}

type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

func newEnv(t *testing.T, cfg Config, opts ...envOption) *env {
	t.Helper()
	b := memory.New(0)
	p := presence.NewMemory(cfg.withDefaults().HeartbeatTTL)
	be := newTestBackend(b)
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	h := New(cfg, be, b, p, logger)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { b.Run(ctx) })
	wg.Go(func() { h.Run(ctx) })
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.Header.Get("X-Test-User"), 10, 64)
		u := be.user(id)
		if u.ID == 0 {
			http.Error(w, "who?", http.StatusUnauthorized)
			return
		}
		h.ServeCable(w, r, u)
	}))
	for _, o := range opts {
		o(srv)
	}
	srv.Start()
	e := &env{t: t, hub: h, broker: b, presence: p, be: be, srv: srv, url: "ws" + strings.TrimPrefix(srv.URL, "http")}
	t.Cleanup(func() {
		srv.Close()
		sctx, scancel := context.WithTimeout(context.Background(), wait)
		defer scancel()
		if err := h.Shutdown(sctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		cancel()
		wg.Wait()
		b.Close()
	})
	return e
}

// frame is any server frame, decoded loosely.
type frame struct {
	Type            string          `json:"type"`
	RoomID          int64           `json:"room_id"`
	Seq             int64           `json:"seq"`
	Code            string          `json:"code"`
	Message         json.RawMessage `json:"message"`
	MessageID       int64           `json:"message_id"`
	ClientMessageID string          `json:"client_message_id"`
	UserIDs         []int64         `json:"user_ids"`
	Active          bool            `json:"active"`
	User            struct {
		ID int64 `json:"id"`
	} `json:"user"`
	Room struct {
		ID int64 `json:"id"`
	} `json:"room"`
	at time.Time
}

func (f frame) msg() wire.Message {
	var m wire.Message
	json.Unmarshal(f.Message, &m)
	return m
}

// client is a test WebSocket client that reads into a channel.
type client struct {
	t      *testing.T
	user   int64
	ws     *websocket.Conn
	frames chan frame
	done   chan struct{} // closed when the read loop ends
	err    error         // the read error, after done
	pings  chan struct{}
	// running: the read loop was started (by the test goroutine).
	running bool
	backlog []frame  // frames next passed over
	ignored []string // frame types the read loop drops
}

type dialOption func(*websocket.Dialer, http.Header)

func withOrigin(o string) dialOption {
	return func(_ *websocket.Dialer, h http.Header) { h.Set("Origin", o) }
}

// tinyReceiveBuffer makes the client's kernel buffer small, so that not
// reading stalls the server quickly.
func tinyReceiveBuffer(d *websocket.Dialer, _ http.Header) {
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(2048)
		}
		return c, err
	}
}

func (e *env) dialRaw(userID int64, opts ...dialOption) (*websocket.Conn, *http.Response, error) {
	d := &websocket.Dialer{HandshakeTimeout: wait}
	h := http.Header{"X-Test-User": {strconv.FormatInt(userID, 10)}}
	for _, o := range opts {
		o(d, h)
	}
	return d.Dial(e.url, h)
}

// dial connects a reading client.
func (e *env) dial(userID int64, opts ...dialOption) *client {
	e.t.Helper()
	c := e.dialQuiet(userID, opts...)
	c.start()
	return c
}

// dialQuiet connects a client that does not read until start is called.
func (e *env) dialQuiet(userID int64, opts ...dialOption) *client {
	e.t.Helper()
	ws, _, err := e.dialRaw(userID, opts...)
	if err != nil {
		e.t.Fatalf("dial as %d: %v", userID, err)
	}
	c := &client{t: e.t, user: userID, ws: ws, frames: make(chan frame, 1<<14), done: make(chan struct{}), pings: make(chan struct{}, 64)}
	ws.SetPingHandler(func(data string) error {
		select {
		case c.pings <- struct{}{}:
		default:
		}
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(wait))
	})
	e.t.Cleanup(func() {
		ws.Close()
		if c.running {
			<-c.done
		}
	})
	return c
}

func (c *client) start() {
	c.running = true
	go func() {
		defer close(c.done)
		for {
			_, data, err := c.ws.ReadMessage()
			if err != nil {
				c.err = err
				return
			}
			var f frame
			if err := json.Unmarshal(data, &f); err != nil {
				c.err = fmt.Errorf("server sent bad JSON %q: %w", data, err)
				return
			}
			f.at = time.Now()
			if !slices.Contains(c.ignored, f.Type) {
				c.frames <- f
			}
		}
	}()
}

func (c *client) send(v any) {
	c.t.Helper()
	var err error
	if b, ok := v.(string); ok {
		err = c.ws.WriteMessage(websocket.TextMessage, []byte(b))
	} else {
		err = c.ws.WriteJSON(v)
	}
	if err != nil {
		c.t.Fatalf("client %d send: %v", c.user, err)
	}
}

// next returns the first frame, in arrival order, for which keep is true;
// the frames it passes over stay for later calls.
func (c *client) next(what string, keep func(frame) bool) frame {
	c.t.Helper()
	return c.find(what, keep, false)
}

// until is next for state-carrying frames (presence): the frames it passes
// over are stale and dropped.
func (c *client) until(what string, keep func(frame) bool) frame {
	c.t.Helper()
	return c.find(what, keep, true)
}

func (c *client) find(what string, keep func(frame) bool, drop bool) frame {
	c.t.Helper()
	if drop {
		c.backlog = slices.DeleteFunc(c.backlog, func(f frame) bool { return !keep(f) })
	}
	for i, f := range c.backlog {
		if keep(f) {
			c.backlog = slices.Delete(c.backlog, i, i+1)
			return f
		}
	}
	timeout := time.After(wait)
	for {
		var f frame
		select {
		case f = <-c.frames:
		case <-c.done:
			select {
			case f = <-c.frames: // read before the end
			default:
				c.t.Fatalf("client %d: socket ended (%v) before %s", c.user, c.err, what)
			}
		case <-timeout:
			c.t.Fatalf("client %d: no %s within %v", c.user, what, wait)
		}
		if keep(f) {
			return f
		}
		if !drop {
			c.backlog = append(c.backlog, f)
		}
	}
}

// ignore makes the read loop drop frames of these types (call before start).
func (c *client) ignore(types ...string) {
	c.ignored = append(c.ignored, types...)
}

func (c *client) expect(typ string) frame {
	c.t.Helper()
	return c.next(typ, func(f frame) bool { return f.Type == typ })
}

func (c *client) subscribe(roomID int64, since ...int64) frame {
	c.t.Helper()
	m := map[string]any{"type": "subscribe", "room_id": roomID}
	if len(since) > 0 {
		m["since"] = since[0]
	}
	c.send(m)
	return c.next("subscribed", func(f frame) bool {
		if f.Type == wire.TypeError {
			c.t.Fatalf("client %d: subscribe %d: error %s", c.user, roomID, f.Message)
		}
		return f.Type == wire.TypeSubscribed && f.RoomID == roomID
	})
}

// closeCode waits for the socket to end and returns the close code the
// server sent.
func (c *client) closeCode() int {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(wait):
		c.t.Fatalf("client %d: socket still open after %v", c.user, wait)
	}
	var ce *websocket.CloseError
	if errors.As(c.err, &ce) {
		return ce.Code
	}
	c.t.Fatalf("client %d: socket ended without a close frame: %v", c.user, c.err)
	return 0
}

// messages collects n message.created frames of roomID.
func (c *client) messages(roomID int64, n int) []frame {
	c.t.Helper()
	out := make([]frame, 0, n)
	for len(out) < n {
		out = append(out, c.next(fmt.Sprintf("message %d of %d in room %d", len(out)+1, n, roomID), func(f frame) bool {
			return f.Type == wire.TypeMessageCreated && f.RoomID == roomID
		}))
	}
	return out
}

// expectSeqs checks that frames carry exactly seqs, in order.
func expectSeqs(t *testing.T, who string, frames []frame, seqs ...int64) {
	t.Helper()
	got := make([]int64, len(frames))
	for i, f := range frames {
		got[i] = f.msg().Seq
	}
	if !slices.Equal(got, seqs) {
		t.Fatalf("%s got seqs %v, want %v", who, got, seqs)
	}
}

func seqRange(from, to int64) []int64 {
	var s []int64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}
