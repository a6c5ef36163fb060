package realtime

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/session"
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
	if !h.reserveSlot(u.ID) {
		writeError(w, http.StatusTooManyRequests, "too_many_connections",
			"too many open connections for this account; close some tabs")
		return
	}
	hw := &hijackWriter{ResponseWriter: w, timeout: h.cfg.WriteTimeout}
	ws, err := h.upgrader.Upgrade(hw, r, nil)
	if err != nil {
		h.releaseSlot(u.ID)
		return // the upgrader answered the request
	}
	c := h.newConn(u, &wsTransport{ws: ws, bc: hw.bc, writeTimeout: h.cfg.WriteTimeout, grace: h.cfg.CloseGrace}, ws)
	c.session = session.FromContext(r.Context())
	if !h.addConn(c) {
		h.releaseSlot(u.ID)
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseGoingAway, "server shutting down"), time.Now().Add(h.cfg.CloseGrace))
		ws.Close()
		return
	}
	go c.readLoop()
	go c.writeLoop()
	// The request was authenticated before the upgrade, and a revocation
	// published in between found no socket to close. Revocations are
	// committed before they are published, so one more look now catches
	// them: a socket never outlives a sign-out or deactivation that raced
	// its opening.
	h.recheck(c)
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
	// The server's own origin is its scheme and host: a page served over
	// https must not be impersonated by one on http of the same host.
	if strings.EqualFold(u.Host, r.Host) && strings.EqualFold(u.Scheme, h.requestScheme(r)) {
		return true
	}
	for _, o := range h.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}

// requestScheme is the scheme the browser used: https on a TLS
// connection or, behind a trusted proxy, as X-Forwarded-Proto says.
func (h *Hub) requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if h.cfg.TrustProxy {
		if p := strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")); strings.EqualFold(p, "https") {
			return "https"
		}
	}
	return "http"
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}

// writeBufferPool would lend gorilla a write buffer only while it writes a
// data message. It never does (the writer frames its own, see writeText),
// so with the pool set no socket ever holds a gorilla write buffer.
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

// batchConn is the socket under gorilla. The writer frames its text
// messages itself (writeText), many to a write; gorilla writes only control
// frames (pings, pongs, close), each in one Write. Every write to the
// network holds mu, so a control frame lands between two whole frames,
// never inside one.
//
// Errors are sticky: after a failed write the stream may end inside a
// frame, so nothing more is written; after a close frame, no data frame
// follows. Write deadlines are the batchConn's own (gorilla's are
// ignored): a write gets between half and all of the timeout, so the
// deadline is reset only every half timeout, not before every write.
type batchConn struct {
	net.Conn
	mu       sync.Mutex
	err      error        // sticky write error (mu)
	deadline time.Time    // write deadline in force (mu)
	timeout  atomic.Int64 // time.Duration of one write
	reset    atomic.Bool  // the timeout changed: set the deadline anew
	// abandon stops writeText at the next write, which begins on a frame
	// boundary: a socket closed as too slow drops the rest of its batch
	// but keeps the stream whole, so its close frame can still follow.
	abandon atomic.Bool
}

// errAbandoned ends a batch cut short by abandon; the stream is intact.
var errAbandoned = errors.New("realtime: batch abandoned")

// flushAt is when a batch is written out before it grows further.
const flushAt = 64 << 10

var batchPool = sync.Pool{New: func() any { b := make([]byte, 0, flushAt+4096); return &b }}

// closeFrameByte starts a close frame (FIN, opcode 8).
const closeFrameByte = 0x80 | websocket.CloseMessage

// Write is gorilla's: one whole control frame per call.
func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.writeLocked(p)
	if err == nil && len(p) > 0 && p[0] == closeFrameByte {
		b.err = websocket.ErrCloseSent
	}
	return n, err
}

func (b *batchConn) writeLocked(p []byte) (int, error) {
	b.setDeadline()
	n, err := b.Conn.Write(p)
	if err != nil {
		b.err = err
	}
	return n, err
}

// setDeadline gives the write ahead at least half the timeout. mu is held.
func (b *batchConn) setDeadline() {
	for {
		forced := b.reset.Swap(false)
		timeout := time.Duration(b.timeout.Load())
		now := time.Now()
		if !forced && b.deadline.Sub(now) >= timeout/2 {
			return
		}
		b.deadline = now.Add(timeout)
		b.Conn.SetWriteDeadline(b.deadline)
		if !b.reset.Load() {
			return // else hurry raced with us: take its timeout
		}
	}
}

func (b *batchConn) SetWriteDeadline(time.Time) error { return nil }

// hurry bounds the write in progress, and later ones, to d from now.
func (b *batchConn) hurry(d time.Duration) {
	b.timeout.Store(int64(d))
	b.reset.Store(true)
	b.Conn.SetWriteDeadline(time.Now().Add(d))
}

// writeText sends each frame as one text message (FIN set, unmasked, as a
// server sends), copying headers and frames into writes of about flushAt
// bytes: one write for a typical batch.
func (b *batchConn) writeText(frames [][]byte) error {
	bp := batchPool.Get().(*[]byte)
	buf := (*bp)[:0]
	b.mu.Lock()
	err := b.err
	for _, f := range frames {
		if err != nil {
			break
		}
		buf = appendTextHeader(buf, len(f))
		buf = append(buf, f...)
		if len(buf) >= flushAt {
			err = b.writeChunk(buf)
			buf = buf[:0]
		}
	}
	if err == nil && len(buf) > 0 {
		err = b.writeChunk(buf)
	}
	b.mu.Unlock()
	if cap(buf) <= 4*flushAt {
		*bp = buf[:0]
		batchPool.Put(bp)
	}
	return err
}

// appendTextHeader appends the header of an unmasked final text frame with
// an n-byte payload (RFC 6455, section 5.2).
func appendTextHeader(buf []byte, n int) []byte {
	const text = 0x80 | websocket.TextMessage
	switch {
	case n <= 125:
		return append(buf, text, byte(n))
	case n <= 0xffff:
		return append(buf, text, 126, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint64(append(buf, text, 127), uint64(n))
	}
}

// wsTransport is the production transport.
type wsTransport struct {
	ws           *websocket.Conn
	bc           *batchConn
	writeTimeout time.Duration
	grace        time.Duration
}

// writeChunk writes whole frames unless the batch was abandoned. mu is held.
func (b *batchConn) writeChunk(buf []byte) error {
	if b.abandon.Load() {
		return errAbandoned
	}
	_, err := b.writeLocked(buf)
	return err
}

func (t *wsTransport) writeFrames(frames [][]byte) error { return t.bc.writeText(frames) }

func (t *wsTransport) ping() error {
	return t.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(t.writeTimeout))
}

func (t *wsTransport) closeFrame(code int, reason string) error {
	return t.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(t.grace))
}

func (t *wsTransport) hurry(d time.Duration) { t.bc.hurry(d) }

func (t *wsTransport) abandon() { t.bc.abandon.Store(true) }

func (t *wsTransport) close() error { return t.bc.Conn.Close() }
