package realtime

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/chat"
)

// ServeCable upgrades an authenticated request to the cable. The web layer
// authenticates first and passes the user. The socket's reader and writer
// run in goroutines the hub owns, so ServeCable returns at once and the
// HTTP handler's goroutine, stack and buffers are released.
func (h *Hub) ServeCable(w http.ResponseWriter, r *http.Request, u chat.User) {
	if !h.originAllowed(r) {
		writeError(w, http.StatusForbidden, "bad_origin", "this origin may not open the cable")
		return
	}
	h.mu.Lock()
	stopping := h.stopping
	h.mu.Unlock()
	if stopping {
		writeError(w, http.StatusServiceUnavailable, "shutting_down", "the server is shutting down; reconnect")
		return
	}
	hw := &hijackWriter{ResponseWriter: w, timeout: h.cfg.WriteTimeout}
	ws, err := h.upgrader.Upgrade(hw, r, nil)
	if err != nil {
		return // the upgrader answered the request
	}
	c := h.newConn(u, &wsTransport{ws: ws, bc: hw.bc, writeTimeout: h.cfg.WriteTimeout, grace: h.cfg.CloseGrace}, ws)
	if !h.addConn(c) {
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseGoingAway, "server shutting down"), time.Now().Add(h.cfg.CloseGrace))
		ws.Close()
		return
	}
	go c.readLoop()
	go c.writeLoop()
}

// originAllowed lets in requests without an Origin (not a browser), from
// the server's own host, or from a configured origin.
func (h *Hub) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, o := range h.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}

// writeBufferPool lends gorilla its per-message write buffer only while a
// message is being written, so an idle socket holds none.
var writeBufferPool = &sync.Pool{}

func newUpgrader(h *Hub) websocket.Upgrader {
	return websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		// The read buffer stays with the socket for its life; frames are
		// small, and a large one is simply read in more calls.
		ReadBufferSize:    512,
		WriteBufferSize:   1024,
		WriteBufferPool:   writeBufferPool,
		EnableCompression: false,
		CheckOrigin:       func(*http.Request) bool { return true }, // ServeCable checked
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			writeError(w, status, "bad_handshake", reason.Error())
		},
	}
}

// hijackWriter hands gorilla a batchConn instead of the raw connection. It
// hijacks through http.ResponseController, so middleware that wraps the
// ResponseWriter (with Unwrap) does not break the upgrade.
type hijackWriter struct {
	http.ResponseWriter
	timeout time.Duration
	bc      *batchConn
}

func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.bc = &batchConn{Conn: nc}
	w.bc.timeout.Store(int64(w.timeout))
	return w.bc, brw, nil
}

// batchConn lets the writer turn many WebSocket frames into one write:
// while batching, gorilla's frame writes are appended to a buffer that the
// writer then flushes. Every write to the network goes through mu, so a
// control frame the reader sends (a pong, a close reply) lands between two
// whole frames, never inside one. Write deadlines are the batchConn's own:
// gorilla's are ignored.
type batchConn struct {
	net.Conn
	mu       sync.Mutex
	batching bool
	buf      []byte
	timeout  atomic.Int64 // time.Duration of one write
}

// flushAt is when a batch is written out before it grows further.
const flushAt = 64 << 10

var batchPool = sync.Pool{New: func() any { b := make([]byte, 0, flushAt+4096); return &b }}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.batching {
		b.buf = append(b.buf, p...)
		return len(p), nil
	}
	return b.writeLocked(p)
}

func (b *batchConn) writeLocked(p []byte) (int, error) {
	b.Conn.SetWriteDeadline(time.Now().Add(time.Duration(b.timeout.Load())))
	return b.Conn.Write(p)
}

func (b *batchConn) SetWriteDeadline(time.Time) error { return nil }

// batch runs write, which writes frames through gorilla, collecting them
// into writes of about flushAt bytes.
func (b *batchConn) batch(frames [][]byte, write func([]byte) error) error {
	bp := batchPool.Get().(*[]byte)
	b.mu.Lock()
	b.batching, b.buf = true, (*bp)[:0]
	b.mu.Unlock()
	var err error
	for _, f := range frames {
		if err = write(f); err != nil {
			break
		}
		b.mu.Lock()
		if len(b.buf) >= flushAt {
			_, err = b.writeLocked(b.buf)
			b.buf = b.buf[:0]
		}
		b.mu.Unlock()
		if err != nil {
			break
		}
	}
	b.mu.Lock()
	if err == nil && len(b.buf) > 0 {
		_, err = b.writeLocked(b.buf)
	}
	*bp = b.buf[:0]
	b.batching, b.buf = false, nil
	b.mu.Unlock()
	if cap(*bp) <= 4*flushAt {
		batchPool.Put(bp)
	}
	return err
}

// wsTransport is the production transport.
type wsTransport struct {
	ws           *websocket.Conn
	bc           *batchConn
	writeTimeout time.Duration
	grace        time.Duration
}

func (t *wsTransport) writeFrames(frames [][]byte) error {
	return t.bc.batch(frames, func(f []byte) error { return t.ws.WriteMessage(websocket.TextMessage, f) })
}

func (t *wsTransport) ping() error {
	return t.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(t.writeTimeout))
}

func (t *wsTransport) closeFrame(code int, reason string) error {
	return t.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(t.grace))
}

func (t *wsTransport) hurry(d time.Duration) {
	t.bc.timeout.Store(int64(d))
	t.bc.Conn.SetWriteDeadline(time.Now().Add(d))
}

func (t *wsTransport) close() error { return t.bc.Conn.Close() }
