package client_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/client"
)

// fakeServer is a scripted cable server: each accepted socket is handed
// to the test, which reads the client's frames and writes the server's.
// It pins the client's side of the protocol (close codes, resume, acks)
// in ways a real server will not misbehave on demand.
type fakeServer struct {
	*httptest.Server
	conns chan *fakeConn

	mu  sync.Mutex
	all []*fakeConn
}

type fakeConn struct {
	t      testing.TB
	ws     *websocket.Conn
	remote string
}

func newFakeServer(t testing.TB) *fakeServer {
	t.Helper()
	fs := &fakeServer{conns: make(chan *fakeConn, 16)}
	up := websocket.Upgrader{}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer good" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"code":"unauthorized","message":"sign in"}}`))
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &fakeConn{t: t, ws: ws, remote: r.RemoteAddr}
		fs.mu.Lock()
		fs.all = append(fs.all, c)
		fs.mu.Unlock()
		fs.conns <- c
	}))
	t.Cleanup(func() {
		fs.Server.Close()
		fs.mu.Lock()
		defer fs.mu.Unlock()
		for _, c := range fs.all {
			c.ws.Close()
		}
	})
	return fs
}

// client returns a client of the fake server with token "good".
func (fs *fakeServer) client(t testing.TB) *client.Client {
	return newClient(t, fs.URL).WithToken("good")
}

// accept waits for the next socket.
func (fs *fakeServer) accept(t testing.TB, d time.Duration) *fakeConn {
	t.Helper()
	select {
	case c := <-fs.conns:
		return c
	case <-time.After(d):
		t.Fatalf("no connection within %s", d)
		return nil
	}
}

// read returns the client's next frame.
func (c *fakeConn) read() map[string]any {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m map[string]any
	if err := c.ws.ReadJSON(&m); err != nil {
		c.t.Fatalf("fake server reading: %v", err)
	}
	return m
}

// expect reads the client's next frame and checks its type.
func (c *fakeConn) expect(typ string) map[string]any {
	c.t.Helper()
	m := c.read()
	if m["type"] != typ {
		c.t.Fatalf("client sent %v, want a %s frame", m, typ)
	}
	return m
}

func (c *fakeConn) send(v any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("fake server writing: %v", err)
	}
}

func (c *fakeConn) subscribed(room, seq int64) {
	c.send(map[string]any{"type": "subscribed", "room_id": room, "seq": seq})
}

func (c *fakeConn) message(room, seq int64) {
	c.send(json.RawMessage(`{"type":"message.created","room_id":` + itoa(room) + `,"message":{"id":` + itoa(100+seq) +
		`,"room_id":` + itoa(room) + `,"seq":` + itoa(seq) + `,"body":"m","creator":{"id":1,"name":"A"},"mentions":[],"boosts":[],` +
		`"created_at":"2026-01-02T03:04:05.678Z","updated_at":"2026-01-02T03:04:05.678Z","edited_at":null}}`))
}

func (c *fakeConn) closeWith(code int) {
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, "bye"), time.Now().Add(time.Second))
	c.ws.Close()
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
