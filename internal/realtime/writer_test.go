package realtime

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/broker/memory"
	"github.com/campfire-go/campfire/internal/chat"
)

// padFrame is a JSON frame of exactly n bytes whose code names n.
func padFrame(n int) []byte {
	head := `{"type":"pad","code":"` + strconv.Itoa(n) + `","pad":"`
	return []byte(head + strings.Repeat("x", n-len(head)-2) + `"}`)
}

// The writer frames text messages itself: every payload length encoding
// (7-bit, 16-bit, 64-bit) reads back whole and in order through gorilla's
// client, whether the frames share a write or not.
func TestWriterFraming(t *testing.T) {
	e := newEnv(t, Config{})
	e.be.addUser(1)
	c := e.dial(1)
	c.send(`{"type":"ping"}`)
	c.expect("pong") // the socket is registered
	sizes := []int{40, 125, 126, 127, 1000, 65535, 65536, 70000, 200000}
	var conns []*conn
	e.hub.eachUserConn(1, func(sc *conn) { conns = append(conns, sc) })
	if len(conns) != 1 {
		t.Fatalf("%d sockets for user 1, want 1", len(conns))
	}
	sc := conns[0]
	for _, together := range []bool{true, false} {
		if together {
			// One batch: the writer is woken once, for all of them.
			var frames [][]byte
			for _, n := range sizes {
				frames = append(frames, padFrame(n))
			}
			sc.qmu.Lock()
			sc.q = append(sc.q, frames...)
			sc.qmu.Unlock()
			sc.signal()
		} else {
			for _, n := range sizes {
				sc.push(padFrame(n))
			}
		}
		for _, n := range sizes {
			if f := c.expect("pad"); f.Code != strconv.Itoa(n) {
				t.Fatalf("together=%v: got the %s-byte frame, want the %d-byte one", together, f.Code, n)
			}
		}
	}
}

// After a failed write nothing more is written (the stream may end inside
// a frame), and after a close frame no data frame follows.
func TestBatchConnStickyErrors(t *testing.T) {
	t.Run("close frame", func(t *testing.T) {
		server, client := net.Pipe()
		defer client.Close()
		b := &batchConn{Conn: server}
		b.timeout.Store(int64(time.Second))
		got := make(chan []byte, 1)
		go func() {
			buf := make([]byte, 64)
			n, _ := client.Read(buf)
			got <- buf[:n]
		}()
		closeFrame := []byte{closeFrameByte, 2, 0x03, 0xe9}
		if _, err := b.Write(closeFrame); err != nil {
			t.Fatal(err)
		}
		<-got
		if err := b.writeText([][]byte{[]byte(`{}`)}); !errors.Is(err, websocket.ErrCloseSent) {
			t.Fatalf("data after the close frame: %v, want ErrCloseSent", err)
		}
		if _, err := b.Write([]byte{0x8a, 0}); !errors.Is(err, websocket.ErrCloseSent) {
			t.Fatalf("pong after the close frame: %v, want ErrCloseSent", err)
		}
	})
	t.Run("write error", func(t *testing.T) {
		server, client := net.Pipe()
		client.Close()
		b := &batchConn{Conn: server}
		b.timeout.Store(int64(time.Second))
		first := b.writeText([][]byte{[]byte(`{}`)})
		if first == nil {
			t.Fatal("write to a closed pipe succeeded")
		}
		if err := b.writeText([][]byte{[]byte(`{}`)}); err != first {
			t.Fatalf("second write: %v, want the first error %v", err, first)
		}
	})
}

// hurry cuts short a write that is blocked on a client that reads nothing.
func TestBatchConnHurry(t *testing.T) {
	server, client := net.Pipe() // unbuffered: every write blocks until read
	defer client.Close()
	b := &batchConn{Conn: server}
	b.timeout.Store(int64(time.Hour))
	done := make(chan error, 1)
	go func() { done <- b.writeText([][]byte{[]byte(`{}`)}) }()
	time.Sleep(20 * time.Millisecond)
	b.hurry(10 * time.Millisecond)
	select {
	case err := <-done:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("hurried write: %v, want a timeout", err)
		}
	case <-time.After(wait):
		t.Fatal("hurry did not end the blocked write")
	}
}

// recordingTransport reports the size of each write.
type recordingTransport struct{ writes chan int }

func (t recordingTransport) writeFrames(frames [][]byte) error {
	t.writes <- len(frames)
	return nil
}
func (recordingTransport) ping() error                  { return nil }
func (recordingTransport) closeFrame(int, string) error { return nil }
func (recordingTransport) hurry(time.Duration)          {}
func (recordingTransport) abandon()                     {}
func (recordingTransport) close() error                 { return nil }

// startWriter runs a socket with only a writer on h.
func startWriter(t *testing.T, h *Hub) (*conn, chan int) {
	t.Helper()
	rt := recordingTransport{writes: make(chan int, 100)}
	c := h.newConn(chat.User{ID: 1}, rt, nil)
	if !h.addConn(c) {
		t.Fatal("hub refused a socket")
	}
	h.conns.Done() // no reader
	close(c.readerDone)
	go c.writeLoop()
	t.Cleanup(func() {
		c.stop(0, "")
		h.conns.Wait()
	})
	return c, rt.writes
}

// queue appends frames under one lock, so the writer sees them at once.
func queue(c *conn, n int) {
	c.qmu.Lock()
	for range n {
		c.q = append(c.q, []byte(`{}`))
	}
	c.qmu.Unlock()
	c.signal()
}

func nextWrite(t *testing.T, writes chan int) (int, time.Time) {
	t.Helper()
	select {
	case n := <-writes:
		return n, time.Now()
	case <-time.After(wait):
		t.Fatal("no write")
		return 0, time.Time{}
	}
}

// With FlushInterval, an idle socket is written to at once, and frames
// that follow within the interval share the next write.
func TestFlushIntervalCoalesces(t *testing.T) {
	const every = 100 * time.Millisecond
	h := New(Config{FlushInterval: every, PingInterval: time.Hour}, nil, memory.New(0), nil, nil)
	c, writes := startWriter(t, h)
	start := time.Now()
	c.push([]byte(`{}`))
	if n, at := nextWrite(t, writes); n != 1 || at.Sub(start) > every/2 {
		t.Fatalf("first write: %d frames after %v, want 1 at once", n, at.Sub(start))
	}
	for range 5 {
		c.push([]byte(`{}`))
		time.Sleep(every / 20)
	}
	if n, at := nextWrite(t, writes); n != 5 || at.Sub(start) < every*9/10 {
		t.Fatalf("second write: %d frames after %v, want 5 after %v", n, at.Sub(start), every)
	}
}

// A backlog is written without waiting for the interval (a replay must not
// be paced by it), and closing does not wait for it either.
func TestFlushIntervalBacklogAndClose(t *testing.T) {
	h := New(Config{FlushInterval: time.Hour, QueueSize: 8, PingInterval: time.Hour}, nil, memory.New(0), nil, nil)
	c, writes := startWriter(t, h)
	c.push([]byte(`{}`))
	nextWrite(t, writes)
	queue(c, 2) // a quarter of the queue
	if n, _ := nextWrite(t, writes); n != 2 {
		t.Fatalf("backlog write: %d frames, want 2", n)
	}
	c.push([]byte(`{}`)) // waits for the hour
	time.Sleep(20 * time.Millisecond)
	select {
	case n := <-writes:
		t.Fatalf("a lone frame was written within the interval (%d frames)", n)
	default:
	}
	c.stop(CloseGoingAway, "bye")
	if n, _ := nextWrite(t, writes); n != 1 {
		t.Fatalf("write on close: %d frames, want the waiting one", n)
	}
}
