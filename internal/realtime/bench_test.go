package realtime

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/broker/memory"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// countingTransport stands in for a socket: it counts the frames its
// writer flushes, so the benchmark measures the hub (fan-out, queues,
// writer wake-ups and batching) without the kernel.
type countingTransport struct {
	n    *atomic.Int64
	more chan struct{} // signalled after each flush
}

func (t countingTransport) writeFrames(frames [][]byte) error {
	t.n.Add(int64(len(frames)))
	select {
	case t.more <- struct{}{}:
	default:
	}
	return nil
}
func (countingTransport) ping() error                  { return nil }
func (countingTransport) closeFrame(int, string) error { return nil }
func (countingTransport) hurry(time.Duration)          {}
func (countingTransport) abandon()                     {}
func (countingTransport) close() error                 { return nil }

// BenchmarkBroadcast hands one message.created per room to the hub (as the
// broker does) and waits until every subscriber's writer has flushed it.
// One op = one event per room; deliveries/s counts frames flushed.
func BenchmarkBroadcast(b *testing.B) {
	for _, shape := range []struct{ rooms, subs int }{{1, 1000}, {20, 50}} {
		b.Run(fmt.Sprintf("%drooms_x_%dsubs", shape.rooms, shape.subs), func(b *testing.B) {
			// No FlushInterval: this measures the hub's own work per delivery.
			h := New(Config{QueueSize: 1 << 14, PingInterval: time.Hour, FlushInterval: -1}, nil, memory.New(0), nil, nil)
			var delivered atomic.Int64
			more := make(chan struct{}, 1)
			for r := range shape.rooms {
				for s := range shape.subs {
					c := h.newConn(chat.User{ID: int64(r*shape.subs + s + 1)}, countingTransport{&delivered, more}, nil)
					if !h.addConn(c) {
						b.Fatal("hub refused a socket")
					}
					h.conns.Done() // no reader goroutine
					close(c.readerDone)
					go c.writeLoop()
					sub := &subscription{c: c}
					h.addSub(sub, int64(r+1), 0, []byte(`{"type":"subscribed"}`))
					c.subs[int64(r+1)] = sub
				}
			}
			total := int64(shape.rooms * shape.subs)
			waitFor := func(n int64) {
				for delivered.Load() < n {
					<-more
				}
			}
			waitFor(total) // the subscribed frames
			base := delivered.Load()
			frames := make([][]byte, shape.rooms)
			for r := range frames {
				frames[r] = wire.MessageFrame(wire.TypeMessageCreated, wire.Message{RoomID: int64(r + 1), Body: "hello, world"})
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				for r := range shape.rooms {
					h.Handle(broker.Event{Type: wire.TypeMessageCreated, RoomID: int64(r + 1), Seq: int64(i + 1), Frame: frames[r]})
				}
				if i%256 == 255 { // stay inside the queues
					waitFor(base + int64(i+1)*total)
				}
			}
			waitFor(base + int64(b.N)*total)
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(int64(b.N)*total)/elapsed.Seconds(), "deliveries/s")
			s := h.Stats()
			b.ReportMetric(float64(s.Frames)/float64(max(s.Flushes, 1)), "frames/flush")
			if s.SlowClosed != 0 {
				b.Fatalf("%d sockets overflowed", s.SlowClosed)
			}
			h.eachConn(func(c *conn) { c.stop(0, "") })
			h.conns.Wait()
		})
	}
}
