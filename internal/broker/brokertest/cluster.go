package brokertest

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
)

// RunCluster runs the multi-instance suite, which a distributed broker
// passes and the in-process one cannot. newBroker returns a fresh,
// unstarted broker; all brokers it returns for one *testing.T share one bus
// (for Redis: the same server and prefix), as instances of one deployment.
//
// Subscriptions of a distributed broker take effect asynchronously, so the
// suite waits for a watch to work by publishing probes until one arrives;
// what it asserts comes after that.
func RunCluster(t *testing.T, newBroker func(t *testing.T) broker.Broker) {
	t.Run("FanOutOnce", func(t *testing.T) { testFanOut(t, newNodes(t, newBroker, 3)) })
	t.Run("OrderAcrossInstances", func(t *testing.T) { testClusterOrder(t, newNodes(t, newBroker, 2)) })
	t.Run("ConcurrentInstances", func(t *testing.T) { testClusterConcurrent(t, newNodes(t, newBroker, 3)) })
	t.Run("UnwatchStopsDelivery", func(t *testing.T) { testUnwatch(t, newNodes(t, newBroker, 2)) })
	t.Run("UserEvents", func(t *testing.T) { testUserEvents(t, newNodes(t, newBroker, 3)) })
}

const probeType = "brokertest.probe"

// node is one running broker and what its handler received, probes aside.
type node struct {
	b   broker.Broker
	got chan broker.Event

	mu     sync.Mutex
	probes map[int64]bool // probe ids seen
}

func newNodes(t *testing.T, newBroker func(t *testing.T) broker.Broker, n int) []*node {
	nodes := make([]*node, n)
	for i := range nodes {
		nd := &node{b: newBroker(t), got: make(chan broker.Event, 10000), probes: make(map[int64]bool)}
		start(t, nd.b, func(e broker.Event) {
			if e.Type == probeType {
				nd.mu.Lock()
				nd.probes[e.Seq] = true
				nd.mu.Unlock()
				return
			}
			select {
			case nd.got <- e:
			default:
				t.Errorf("node %d: test buffer full", i)
			}
		})
		nodes[i] = nd
	}
	return nodes
}

var probeID struct {
	sync.Mutex
	n int64
}

// settle publishes probes shaped like e from pub until every node in to
// has received one, so that their watches matching e are in effect.
func settle(t *testing.T, pub *node, e broker.Event, to ...*node) {
	t.Helper()
	probeID.Lock()
	probeID.n++
	id := probeID.n
	probeID.Unlock()
	e.Type, e.Seq, e.Frame = probeType, id, nil
	deadline := time.Now().Add(wait)
	for {
		publish(t, pub.b, e)
		all := true
		for _, nd := range to {
			nd.mu.Lock()
			all = all && nd.probes[id]
			nd.mu.Unlock()
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("watch for %+v not in effect within %v", e, wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func same(a, b broker.Event) bool {
	return a.Type == b.Type && a.RoomID == b.RoomID && a.Seq == b.Seq && a.AllUsers == b.AllUsers &&
		bytes.Equal(a.Frame, b.Frame) && slices.Equal(a.UserIDs, b.UserIDs) && slices.Equal(a.Sessions, b.Sessions)
}

func expect(t *testing.T, nd *node, name string, want ...broker.Event) {
	t.Helper()
	for _, w := range want {
		if e := recv(t, nd.got); !same(e, w) {
			t.Fatalf("%s: got %+v, want %+v", name, e, w)
		}
	}
}

// testFanOut: an event published on A reaches B and C once, and A once
// (in-process), never a second time as an echo.
func testFanOut(t *testing.T, n []*node) {
	a, b, c := n[0], n[1], n[2]
	for _, nd := range n {
		nd.b.WatchRoom(1, true)
	}
	settle(t, a, broker.Event{RoomID: 1}, b, c)
	settle(t, b, broker.Event{RoomID: 1}, a, c)

	x := broker.Event{Type: "message.created", RoomID: 1, Seq: 1, Frame: []byte(`{"type":"message.created","room_id":1,"seq":1}`)}
	publish(t, a.b, x)
	expect(t, b, "B", x)
	// B's marker is executed by Redis after x, and every broker reads its
	// channels in execution order: an echo of x would reach A before it.
	m := broker.Event{Type: "marker", RoomID: 1, Frame: []byte(`{}`)}
	publish(t, b.b, m)
	expect(t, a, "A", x, m)
	expect(t, b, "B", m)
	expect(t, c, "C", x, m)
}

// testClusterOrder: one publisher's events of one room reach another
// instance in publish order, none lost.
func testClusterOrder(t *testing.T, n []*node) {
	a, b := n[0], n[1]
	b.b.WatchRoom(1, true)
	settle(t, a, broker.Event{RoomID: 1}, b)
	const count = 500
	for i := int64(1); i <= count; i++ {
		publish(t, a.b, broker.Event{Type: "message.created", RoomID: 1, Seq: i, Frame: []byte("x")})
	}
	for i := int64(1); i <= count; i++ {
		if e := recv(t, b.got); e.Seq != i {
			t.Fatalf("event %d arrived with seq %d", i, e.Seq)
		}
	}
}

// testClusterConcurrent: every instance publishes to its own room at once;
// every instance gets every event, each room in order.
func testClusterConcurrent(t *testing.T, n []*node) {
	const count = 200
	for _, nd := range n {
		for r := range n {
			nd.b.WatchRoom(int64(r+1), true)
		}
	}
	for i, nd := range n {
		settle(t, nd, broker.Event{RoomID: int64(i + 1)}, n...)
	}
	var wg sync.WaitGroup
	for i, nd := range n {
		wg.Go(func() {
			for s := int64(1); s <= count; s++ {
				if err := nd.b.Publish(context.Background(), broker.Event{Type: "message.created", RoomID: int64(i + 1), Seq: s}); err != nil {
					t.Errorf("Publish: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i, nd := range n {
		last := make(map[int64]int64)
		for range len(n) * count {
			e := recv(t, nd.got)
			if e.Seq != last[e.RoomID]+1 {
				t.Fatalf("node %d, room %d: seq %d after %d", i, e.RoomID, e.Seq, last[e.RoomID])
			}
			last[e.RoomID] = e.Seq
		}
	}
}

// testUnwatch: once an instance stops watching a room, it gets none of the
// room's events from other instances; watching again brings them back.
func testUnwatch(t *testing.T, n []*node) {
	a, b := n[0], n[1]
	b.b.WatchRoom(1, true)
	b.b.WatchRoom(2, true)
	settle(t, a, broker.Event{RoomID: 1}, b)
	settle(t, a, broker.Event{RoomID: 2}, b)

	b.b.WatchRoom(2, false)
	publish(t, a.b, broker.Event{Type: "typing", RoomID: 2, Frame: []byte("unwatched")})
	m := broker.Event{Type: "marker", RoomID: 1, Frame: []byte("marker")}
	publish(t, a.b, m)
	expect(t, b, "B", m)

	// Counts, not flags: on, on, off leaves the room watched.
	b.b.WatchRoom(2, true)
	b.b.WatchRoom(2, true)
	b.b.WatchRoom(2, false)
	settle(t, a, broker.Event{RoomID: 2}, b)
	y := broker.Event{Type: "typing", RoomID: 2, Frame: []byte("watched")}
	publish(t, a.b, y)
	expect(t, b, "B", y)
}

// testUserEvents: user-scoped events reach the instances watching any of
// their users, with their users, sessions and frame intact; AllUsers
// events reach every instance.
func testUserEvents(t *testing.T, n []*node) {
	a, b, c := n[0], n[1], n[2]
	b.b.WatchUser(5, true)
	c.b.WatchUser(6, true)
	settle(t, a, broker.Event{UserIDs: []int64{5}}, b)
	settle(t, a, broker.Event{UserIDs: []int64{6}}, c)

	// A broker may split an event's users across channels; what matters
	// is that each watching instance hears about its user.
	users := func(nd *node, name string, typ string, want int64) broker.Event {
		t.Helper()
		for {
			e := recv(t, nd.got)
			if e.Type != typ {
				t.Fatalf("%s: got %+v, want a %s", name, e, typ)
			}
			if slices.Contains(e.UserIDs, want) {
				return e
			}
		}
	}
	unread := broker.Event{Type: "room.unread", RoomID: 9, UserIDs: []int64{5, 6, 7, 70, 133}, Frame: []byte(`{"type":"room.unread","room_id":9}`)}
	publish(t, a.b, unread)
	expect(t, a, "A", unread)
	for _, e := range []broker.Event{users(b, "B", unread.Type, 5), users(c, "C", unread.Type, 6)} {
		if e.RoomID != 9 || !bytes.Equal(e.Frame, unread.Frame) {
			t.Fatalf("got %+v, want the fields of %+v", e, unread)
		}
	}

	closeSession := broker.Event{Type: broker.ControlCloseSession, UserIDs: []int64{5}, Sessions: []string{"h1", "h2"}}
	publish(t, a.b, closeSession)
	expect(t, b, "B", closeSession)

	all := broker.Event{Type: "room.created", AllUsers: true, Frame: []byte(`{"type":"room.created"}`)}
	publish(t, c.b, all)
	expect(t, a, "A", closeSession, all)
	expect(t, b, "B", all)
	expect(t, c, "C", all)
}
