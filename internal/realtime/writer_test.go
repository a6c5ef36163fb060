package realtime

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
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
	sizes := []int{30, 125, 126, 127, 1000, 65535, 65536, 70000, 200000}
	var conns []*conn
	e.hub.eachUserConn(1, func(sc *conn) { conns = append(conns, sc) })
	if len(conns) != 1 {
		t.Fatalf("%d sockets for user 1, want 1", len(conns))
	}
	sc := conns[0]
	for _, together := range []bool{true, false} {
		if together {
			// One batch: the writer is woken once, for all of them.
			sc.qmu.Lock()
			for _, n := range sizes {
				sc.q = append(sc.q, padFrame(n))
			}
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
