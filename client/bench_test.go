package client_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/client"
	"github.com/campfire-go/campfire/internal/testbin"
)

// BenchmarkCableReceive is the client's cost per message.created: read,
// decode, de-duplicate, deliver to a Handler, with the full decode and
// with CableOptions.Skim. A scripted server in the same process writes b.N
// typical ~700-byte frames, prepared before the timer starts; its writing
// is part of the figure.
func BenchmarkCableReceive(b *testing.B) {
	b.Run("full", func(b *testing.B) { benchReceive(b, false) })
	b.Run("skim", func(b *testing.B) { benchReceive(b, true) })
}

func benchReceive(b *testing.B, skim bool) {
	fs := newFakeServer(b)
	var got atomic.Int64
	done := make(chan struct{})
	total := int64(b.N)
	cb, err := fs.client(b).Dial(context.Background(), &client.CableOptions{Skim: skim, Handler: func(ev client.Event) {
		if _, ok := ev.(client.MessageCreated); ok && got.Add(1) == total {
			close(done)
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer cb.Close()
	c := fs.accept(b, wait)
	go func() { cb.SubscribeSince(context.Background(), 7, 0) }()
	c.expect("subscribe")
	c.subscribed(7, 0)
	frames := make([]*websocket.PreparedMessage, 0, b.N)
	for seq := 1; seq <= b.N; seq++ {
		pm, err := websocket.NewPreparedMessage(websocket.TextMessage, []byte(`{"type":"message.created","room_id":7,"message":{"id":`+
			strconv.Itoa(seq)+`,"room_id":7,"seq":`+strconv.Itoa(seq)+`,"client_message_id":"0f8e2a7c9b1d4e6f8a0b2c4d6e8f0a1b",`+
			`"body":"Deploying **v2.4** to production, ping me if anything looks off","body_html":"<p>Deploying <strong>v2.4</strong> to production, ping me if anything looks off</p>",`+
			`"creator":{"id":3,"name":"Bea Member","bio":"","role":"member","avatar_url":"/api/v1/users/3/avatar","created_at":"2026-11-27T00:34:51.444Z"},`+
			`"mentions":[],"boosts":[],"created_at":"2026-11-27T00:34:51.483Z","updated_at":"2026-11-27T00:34:51.483Z","edited_at":null}}`))
		if err != nil {
			b.Fatal(err)
		}
		frames = append(frames, pm)
	}
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for _, pm := range frames {
			if c.ws.WritePreparedMessage(pm) != nil {
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		b.Fatalf("delivered %d of %d", got.Load(), b.N)
	}
}

// TestCableFootprint measures what idle cables cost the process that
// holds them: heap and goroutines per cable, each subscribed to one room,
// against the real binary in another process (so none of the server's
// memory is counted). CAMPFIRE_CLIENT_FOOTPRINT=N runs it with N cables.
func TestCableFootprint(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CAMPFIRE_CLIENT_FOOTPRINT"))
	if n <= 0 {
		t.Skip("set CAMPFIRE_CLIENT_FOOTPRINT=N to measure N idle cables")
	}
	t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
	srv := testbin.Start(t, t.TempDir())
	anon := newClient(t, srv.Base)
	s := must[*client.Session](t)(anon.Setup(ctx(t), "Test Co", "Ada Admin", "ada@example.com", password))
	admin := anon.WithToken(s.Token)
	room := must[[]client.Room](t)(admin.Rooms(ctx(t)))[0].ID
	acct := must[*client.Account](t)(admin.Account(ctx(t)))
	// The server allows 32 sockets per account, and 10 sign-ups per
	// address: people join from their own loopback addresses.
	var people []*client.Client
	for i := 0; i < (n+31)/32; i++ {
		nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+i/8))}}
		tr := &http.Transport{DialContext: nd.DialContext}
		from, err := client.New(srv.Base, client.WithHTTPClient(&http.Client{Transport: tr}))
		if err != nil {
			t.Fatal(err)
		}
		p := must[*client.Session](t)(from.Join(ctx(t), acct.JoinCode, fmt.Sprintf("P%d", i), fmt.Sprintf("p%d@example.com", i), password))
		tr.CloseIdleConnections()
		people = append(people, anon.WithToken(p.Token))
	}

	heap := func() uint64 {
		for range 5 {
			runtime.GC() // stacks shrink by half per collection
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse + ms.StackInuse
	}
	g0, h0 := runtime.NumGoroutine(), heap()
	cables := make([]*client.Cable, n)
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var failed atomic.Int64
	for i := range cables {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			cb, err := people[i/32].Dial(context.Background(), &client.CableOptions{EventBuffer: 16})
			if err == nil {
				err = cb.Subscribe(context.Background(), room)
			}
			if err != nil {
				failed.Add(1)
				t.Error(err)
				return
			}
			cables[i] = cb
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	g1, h1 := runtime.NumGoroutine(), heap()
	t.Logf("%d cables connected and subscribed in %s (%d failed, 64 at a time)", n, elapsed.Round(time.Millisecond), failed.Load())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("per cable: %.1f KB heap+stack (process: heap %d KB, stacks %d KB), %.2f goroutines",
		float64(h1-h0)/float64(n)/1024, ms.HeapInuse>>10, ms.StackInuse>>10, float64(g1-g0)/float64(n))
	for _, cb := range cables {
		if cb != nil {
			cb.Close()
		}
	}
}
