package redis

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/testenv"
)

// The channel layout, measured. Three brokers on one Redis (this machine's
// shared server), 2,000 rooms, each instance watching each room with
// probability 1/2 (rooms spread over instances by their members).
//
//	go test -run '^$' -bench 'Channels|UserEvents' -benchtime 20000x ./internal/broker/redis/
//
// Layouts: "per-room" (one channel per room, subscribed while watched),
// "shards-16" (the default: 16 fixed channels, all subscribed at start),
// "one" (every room event on one channel). Scenarios:
//   - throughput: 3×8 publishers as fast as they go; reports published and
//     delivered events/s and the events each instance decoded only to drop
//     (filtered/op);
//   - latency: 3 publishers at 3×1,000 events/s in all; reports p50/p99
//     publish→handler across instances, and in-process (same instance);
//   - latency+churn: the same while every instance watches and unwatches
//     other rooms 2,000 times a second; reports SUBSCRIBE commands/s too.
//
// The figures and the choice are in the package doc.

const benchRooms = 2000

type benchCluster struct {
	brokers []*Broker
	watched [][]int64 // per instance, the rooms it watches

	lat       []atomic.Int64 // nanoseconds, remote deliveries
	nLat      atomic.Int64
	localLat  []atomic.Int64
	nLocal    atomic.Int64
	delivered atomic.Int64
}

func newBenchCluster(b *testing.B, n int, opts Options) *benchCluster {
	url := testenv.RedisURL(b)
	prefix := fmt.Sprintf("campfire-bench:%d:", rand.Int64())
	c := &benchCluster{lat: make([]atomic.Int64, 1<<20), localLat: make([]atomic.Int64, 1<<20)}
	rng := rand.New(rand.NewPCG(1, 2))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range n {
		o := opts
		o.URL, o.Prefix = url, prefix
		br, err := New(o)
		if err != nil {
			b.Fatal(err)
		}
		self := byte(i)
		br.Subscribe(func(e broker.Event) {
			if len(e.Frame) < 9 {
				return
			}
			c.delivered.Add(1)
			d := time.Now().UnixNano() - int64(binary.LittleEndian.Uint64(e.Frame[1:]))
			if e.Frame[0] == self {
				c.localLat[c.nLocal.Add(1)%int64(len(c.localLat))].Store(d)
			} else {
				c.lat[c.nLat.Add(1)%int64(len(c.lat))].Store(d)
			}
		})
		wg.Go(func() { _ = br.Run(ctx) })
		var rooms []int64
		for r := int64(1); r <= benchRooms; r++ {
			if rng.IntN(2) == 0 {
				rooms = append(rooms, r)
				br.WatchRoom(r, true)
			}
		}
		c.brokers = append(c.brokers, br)
		c.watched = append(c.watched, rooms)
	}
	b.Cleanup(func() {
		for _, br := range c.brokers {
			_ = br.Close()
		}
		cancel()
		wg.Wait()
	})
	for _, br := range c.brokers {
		waitChannels(b, br)
	}
	return c
}

// waitChannels waits until br's watches are live: the subscription
// goroutine sends them in one SUBSCRIBE, so the last room's channel having
// a subscriber means they all do.
func waitChannels(b *testing.B, br *Broker) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		n, err := br.client.PubSubNumSub(ctx, br.roomChannel(br.lastWatched())).Result()
		cancel()
		if err == nil && n[br.roomChannel(br.lastWatched())] > 0 && len(br.kick) == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("subscriptions not live within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (b *Broker) lastWatched() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var last int64
	for r := range b.rooms {
		last = max(last, r)
	}
	return last
}

func stamp(self int) []byte {
	f := make([]byte, 9, 64)
	f[0] = byte(self)
	binary.LittleEndian.PutUint64(f[1:], uint64(time.Now().UnixNano()))
	return append(f, `{"type":"message.created","message":{"body":"hello"}}`...)
}

func percentile(vals []atomic.Int64, n int64, p float64) time.Duration {
	n = min(n, int64(len(vals)))
	if n == 0 {
		return 0
	}
	s := make([]int64, n)
	for i := range s {
		s[i] = vals[i+1].Load()
	}
	slices.Sort(s)
	return time.Duration(s[min(int(float64(n)*p), int(n)-1)])
}

var layouts = []struct {
	name string
	opts Options
}{
	{"per-room", Options{roomShards: -1}},
	{"shards-16", Options{}},
	{"one", Options{roomShards: 1}},
}

func BenchmarkChannels(b *testing.B) {
	for _, l := range layouts {
		b.Run(l.name+"/throughput", func(b *testing.B) { benchThroughput(b, l.opts) })
		b.Run(l.name+"/latency", func(b *testing.B) { benchLatency(b, l.opts, false) })
		b.Run(l.name+"/latency+churn", func(b *testing.B) { benchLatency(b, l.opts, true) })
	}
}

func benchThroughput(b *testing.B, opts Options) {
	c := newBenchCluster(b, 3, opts)
	const perInstance = 8
	var next atomic.Int64
	filtered0 := c.filtered()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i, br := range c.brokers {
		for p := range perInstance {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(i), uint64(p)))
				for next.Add(1) <= int64(b.N) {
					room := rng.Int64N(benchRooms) + 1
					_ = br.Publish(context.Background(), broker.Event{Type: "message.created", RoomID: room, Seq: 1, Frame: stamp(i)})
				}
			})
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	// Let deliveries drain (bounded).
	time.Sleep(200 * time.Millisecond)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "published/s")
	b.ReportMetric(float64(c.delivered.Load())/elapsed.Seconds(), "delivered/s")
	b.ReportMetric(float64(c.filtered()-filtered0)/float64(b.N), "filtered/op")
	b.ReportMetric(float64(percentile(c.lat, c.nLat.Load(), 0.99).Microseconds()), "p99-µs")
}

func (c *benchCluster) filtered() uint64 {
	var n uint64
	for _, br := range c.brokers {
		n += br.Stats().Filtered
	}
	return n
}

func benchLatency(b *testing.B, opts Options, churn bool) {
	c := newBenchCluster(b, 3, opts)
	const rate = 1000 // per instance per second
	stop := make(chan struct{})
	var bg sync.WaitGroup
	cmds0 := uint64(0)
	for _, br := range c.brokers {
		cmds0 += br.subscribeCmds.Load()
	}
	if churn {
		for i, br := range c.brokers {
			bg.Go(func() {
				// Rooms above benchRooms: never published to, so the
				// measured rooms stay watched as they were.
				rng := rand.New(rand.NewPCG(uint64(i), 99))
				tick := time.NewTicker(time.Millisecond)
				defer tick.Stop()
				var on []int64
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
					}
					for range 2 { // 2,000 changes/s
						if len(on) > 50 && rng.IntN(2) == 0 {
							k := rng.IntN(len(on))
							br.WatchRoom(on[k], false)
							on = slices.Delete(on, k, k+1)
						} else {
							r := benchRooms + 1 + rng.Int64N(100000)
							br.WatchRoom(r, true)
							on = append(on, r)
						}
					}
				}
			})
		}
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	per := b.N / len(c.brokers)
	for i, br := range c.brokers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			tick := time.NewTicker(time.Second / rate)
			defer tick.Stop()
			for range per {
				<-tick.C
				room := c.watched[i][rng.IntN(len(c.watched[i]))]
				_ = br.Publish(context.Background(), broker.Event{Type: "message.created", RoomID: room, Seq: 1, Frame: stamp(i)})
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	bg.Wait()
	time.Sleep(100 * time.Millisecond)
	b.StopTimer()
	var cmds uint64
	for _, br := range c.brokers {
		cmds += br.subscribeCmds.Load()
	}
	b.ReportMetric(float64(percentile(c.lat, c.nLat.Load(), 0.50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(c.lat, c.nLat.Load(), 0.99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(percentile(c.localLat, c.nLocal.Load(), 0.99).Microseconds()), "local-p99-µs")
	if churn {
		b.ReportMetric(float64(cmds-cmds0)/elapsed.Seconds(), "sub-cmds/s")
	}
}

// BenchmarkUserEvents: one room.unread naming 300 of 3,000 users, the
// users spread over 3 instances. "per-user" is a PUBLISH per user,
// "shards-64" one per user shard (pipelined), "one" a single channel.
//
//	go test -run '^$' -bench UserEvents -benchtime 2000x ./internal/broker/redis/
func BenchmarkUserEvents(b *testing.B) {
	for _, l := range []struct {
		name string
		opts Options
	}{
		{"per-user", Options{userShards: -1}},
		{"shards-64", Options{userShards: 64}},
		{"one", Options{}},
	} {
		b.Run(l.name, func(b *testing.B) {
			url := testenv.RedisURL(b)
			prefix := fmt.Sprintf("campfire-bench:%d:", rand.Int64())
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			var brokers []*Broker
			var delivered atomic.Int64
			for i := range 3 {
				o := l.opts
				o.URL, o.Prefix = url, prefix
				br, err := New(o)
				if err != nil {
					b.Fatal(err)
				}
				br.Subscribe(func(broker.Event) { delivered.Add(1) })
				wg.Go(func() { _ = br.Run(ctx) })
				for u := int64(i); u < 3000; u += 3 {
					br.WatchUser(u, true)
				}
				brokers = append(brokers, br)
			}
			b.Cleanup(func() {
				for _, br := range brokers {
					_ = br.Close()
				}
				cancel()
				wg.Wait()
			})
			time.Sleep(500 * time.Millisecond) // subscriptions settle
			rng := rand.New(rand.NewPCG(3, 4))
			var published0 uint64
			for _, br := range brokers {
				published0 += br.Stats().Published
			}
			b.ResetTimer()
			for i := range b.N {
				users := make([]int64, 300)
				for k := range users {
					users[k] = rng.Int64N(3000)
				}
				_ = brokers[i%3].Publish(context.Background(), broker.Event{Type: "room.unread", RoomID: 1, UserIDs: users, Frame: []byte(`{"type":"room.unread","room_id":1}`)})
			}
			b.StopTimer()
			time.Sleep(200 * time.Millisecond)
			var published uint64
			for _, br := range brokers {
				published += br.Stats().Published
			}
			b.ReportMetric(float64(published-published0)/float64(b.N), "PUBLISH/op")
			b.ReportMetric(float64(delivered.Load())/float64(b.N), "handled/op")
		})
	}
}

// BenchmarkReceiveFiltered: what an instance spends on a room event of a
// room it does not watch, after go-redis has read it (the per-event cost
// of fixed channels).
//
//	go test -run '^$' -bench ReceiveFiltered ./internal/broker/redis/
func BenchmarkReceiveFiltered(b *testing.B) {
	br, err := New(Options{URL: "redis://127.0.0.1:1/0"}) // never connects
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	for r := int64(1); r <= 1000; r += 2 {
		br.WatchRoom(r, true)
	}
	p := string(encode(nil, nonce{9}, broker.Event{Type: "message.created", RoomID: 2, Seq: 7, Frame: stamp(0)}))
	b.ReportAllocs()
	for b.Loop() {
		br.receiveMessage(p)
	}
}
