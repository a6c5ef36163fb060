package client_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/client"
)

const wait = 10 * time.Second

func TestCableRoundTrip(t *testing.T) {
	w := newWorld(t)
	bea, beaUser := w.join(t, "Bea", "bea@example.com")
	room := w.allTalk(t)
	closed := must[*client.Room](t)(w.admin.CreateRoom(ctx(t), client.NewRoom{Name: "Admins only"}))

	ca := dial(t, w.admin, nil)
	cb := dial(t, bea, nil)
	for _, c := range []*client.Cable{ca, cb} {
		if err := c.Subscribe(ctx(t), room); err != nil {
			t.Fatal(err)
		}
		if s := next[client.Subscribed](t, c, wait); s.RoomID != room || s.Seq != 0 {
			t.Errorf("subscribed %+v", s)
		}
		if seq, ok := c.LastSeq(room); !ok || seq != 0 {
			t.Errorf("LastSeq %d %v", seq, ok)
		}
	}
	if p := next[client.Presence](t, cb, wait); p.RoomID != room {
		t.Errorf("presence %+v", p)
	}
	// Subscribing again only confirms.
	if err := cb.Subscribe(ctx(t), room); err != nil {
		t.Fatal(err)
	}
	// A closed room Bea is not in does not exist for her.
	err := cb.Subscribe(ctx(t), closed.ID)
	wantCode(t, err, 0, "not_found")
	if _, ok := cb.LastSeq(closed.ID); ok {
		t.Error("refused subscription kept")
	}

	// Post → ack → everyone's message.created, the poster's included.
	ack, err := ca.Post(ctx(t), room, "hello @Bea", "cm-1")
	if err != nil {
		t.Fatal(err)
	}
	if ack.ClientMessageID != "cm-1" || ack.MessageID == 0 || ack.RoomID != room || ack.Seq != 1 {
		t.Errorf("ack %+v", ack)
	}
	for _, c := range []*client.Cable{ca, cb} {
		mc := next[client.MessageCreated](t, c, wait)
		if mc.RoomID != room || mc.Message.ID != ack.MessageID || mc.Message.Seq != 1 || mc.Message.Body != "hello @Bea" ||
			mc.Message.Creator.ID != w.me.ID || mc.Message.ClientMessageID != "cm-1" {
			t.Errorf("message.created %+v", mc)
		}
		if seq, _ := c.LastSeq(room); seq != 1 {
			t.Errorf("LastSeq %d", seq)
		}
	}
	// The same id again: the original, not a second message.
	again, err := ca.Post(ctx(t), room, "hello @Bea", "cm-1")
	if err != nil || again.MessageID != ack.MessageID {
		t.Errorf("re-post %+v %v", again, err)
	}
	_, err = ca.Post(ctx(t), room, " ", "")
	wantCode(t, err, 0, "body_blank")
	_, err = cb.Post(ctx(t), closed.ID, "sneaky", "")
	wantCode(t, err, 0, "not_found")

	// Typing, ping, visibility.
	if err := cb.Typing(ctx(t), room, true); err != nil {
		t.Fatal(err)
	}
	if ty := next[client.Typing](t, ca, wait); ty.User.ID != beaUser.ID || !ty.Active || ty.RoomID != room {
		t.Errorf("typing %+v", ty)
	}
	if rtt, err := cb.Ping(ctx(t)); err != nil || rtt <= 0 {
		t.Errorf("ping %v %v", rtt, err)
	}
	if err := cb.SetVisible(ctx(t), false); err != nil {
		t.Fatal(err)
	}
	if err := cb.SetVisible(ctx(t), true); err != nil {
		t.Fatal(err)
	}

	// Edits, boosts and deletes made over HTTP.
	if _, err := w.admin.EditMessage(ctx(t), ack.MessageID, "hello again"); err != nil {
		t.Fatal(err)
	}
	if mu := next[client.MessageUpdated](t, cb, wait); mu.Message.Body != "hello again" || mu.Message.EditedAt.IsZero() {
		t.Errorf("message.updated %+v", mu)
	}
	b := must[*client.Boost](t)(bea.Boost(ctx(t), ack.MessageID, "👍"))
	if bc := next[client.BoostCreated](t, ca, wait); bc.Boost.ID != b.ID || bc.MessageID != ack.MessageID || bc.Boost.Content != "👍" {
		t.Errorf("boost.created %+v", bc)
	}
	if err := bea.DeleteBoost(ctx(t), b.ID); err != nil {
		t.Fatal(err)
	}
	if bd := next[client.BoostDeleted](t, ca, wait); bd.BoostID != b.ID || bd.MessageID != ack.MessageID {
		t.Errorf("boost.deleted %+v", bd)
	}
	if err := w.admin.DeleteMessage(ctx(t), ack.MessageID); err != nil {
		t.Fatal(err)
	}
	if md := next[client.MessageDeleted](t, cb, wait); md.MessageID != ack.MessageID || md.RoomID != room {
		t.Errorf("message.deleted %+v", md)
	}

	// Room events go to every socket of the user.
	lobby := must[*client.Room](t)(w.admin.CreateRoom(ctx(t), client.NewRoom{Name: "Lobby", Type: client.RoomOpen}))
	if rc := next[client.RoomCreated](t, cb, wait); rc.Room.ID != lobby.ID || rc.Room.Name != "Lobby" {
		t.Errorf("room.created %+v", rc)
	}
	if _, err := w.admin.UpdateRoom(ctx(t), lobby.ID, client.RoomUpdate{Name: new("Lobby 2")}); err != nil {
		t.Fatal(err)
	}
	if ru := next[client.RoomUpdated](t, cb, wait); ru.Room.Name != "Lobby 2" {
		t.Errorf("room.updated %+v", ru)
	}
	if _, err := w.admin.PostMessage(ctx(t), lobby.ID, "unread for Bea", ""); err != nil {
		t.Fatal(err)
	}
	if ur := next[client.RoomUnread](t, cb, wait); ur.RoomID != lobby.ID {
		t.Errorf("room.unread %+v", ur)
	}
	if err := bea.MarkRead(ctx(t), lobby.ID); err != nil {
		t.Fatal(err)
	}
	if rr := next[client.RoomRead](t, cb, wait); rr.RoomID != lobby.ID {
		t.Errorf("room.read %+v", rr)
	}
	if err := cb.Subscribe(ctx(t), lobby.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.admin.DeleteRoom(ctx(t), lobby.ID); err != nil {
		t.Fatal(err)
	}
	if rd := next[client.RoomDeleted](t, cb, wait); rd.RoomID != lobby.ID {
		t.Errorf("room.deleted %+v", rd)
	}
	if _, ok := cb.LastSeq(lobby.ID); ok {
		t.Error("subscription to a deleted room kept")
	}

	if err := cb.Unsubscribe(ctx(t), room); err != nil {
		t.Fatal(err)
	}
	if _, ok := cb.LastSeq(room); ok {
		t.Error("LastSeq after Unsubscribe")
	}
}

func TestCableUnauthorized(t *testing.T) {
	w := newWorld(t)
	_, err := w.anon.WithToken("nope").Dial(ctx(t), nil)
	if !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("dial with a bad token: %v", err)
	}
	wantCode(t, err, http.StatusUnauthorized, "unauthorized")
}

// Deactivating a user closes their sockets with 4001: the cable stops and
// says why.
func TestCableRevoked(t *testing.T) {
	w := newWorld(t)
	bea, beaUser := w.join(t, "Bea", "bea@example.com")
	cb := dial(t, bea, &client.CableOptions{MinBackoff: 10 * time.Millisecond})
	if err := cb.Subscribe(ctx(t), w.allTalk(t)); err != nil {
		t.Fatal(err)
	}
	if err := w.admin.Deactivate(ctx(t), beaUser.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-cb.Done():
	case <-time.After(wait):
		t.Fatal("cable still running after its user was deactivated")
	}
	if !errors.Is(cb.Err(), client.ErrUnauthorized) {
		t.Errorf("Err() = %v", cb.Err())
	}
	for range cb.Events() {
	}
	if _, err := cb.Post(ctx(t), 1, "x", ""); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("post after revocation: %v", err)
	}
}

// collector reads a cable's events and keeps the message.created of one
// room.
type collector struct {
	mu          sync.Mutex
	seqs        []int64
	reconnected int
	slow        int
	changed     chan struct{}
	// onDisconnect, when set, is called (under mu) with each
	// disconnection's reason.
	onDisconnect func(error)
}

func collect(t testing.TB, cb *client.Cable, room int64, readDelay time.Duration) *collector {
	col := &collector{changed: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	wg.Go(func() {
		for ev := range cb.Events() {
			if readDelay > 0 {
				time.Sleep(readDelay)
			}
			col.mu.Lock()
			switch e := ev.(type) {
			case client.MessageCreated:
				if e.RoomID == room {
					col.seqs = append(col.seqs, e.Message.Seq)
				}
			case client.Reconnected:
				col.reconnected++
			case client.Disconnected:
				if errors.Is(e.Err, client.ErrSlowConsumer) {
					col.slow++
				}
				if col.onDisconnect != nil {
					col.onDisconnect(e.Err)
				}
			}
			col.mu.Unlock()
			select {
			case col.changed <- struct{}{}:
			default:
			}
		}
	})
	t.Cleanup(func() { cb.Close(); wg.Wait() })
	return col
}

// counts returns how many reconnections and slow-consumer drops it saw.
func (col *collector) counts() (reconnected, slow int) {
	col.mu.Lock()
	defer col.mu.Unlock()
	return col.reconnected, col.slow
}

// waitFor waits until the collector has seen seq last.
func (col *collector) waitFor(t testing.TB, last int64, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		col.mu.Lock()
		n := len(col.seqs)
		done := n > 0 && col.seqs[n-1] >= last
		col.mu.Unlock()
		if done {
			return
		}
		select {
		case <-col.changed:
		case <-deadline:
			col.mu.Lock()
			defer col.mu.Unlock()
			t.Fatalf("after %s: got %d messages, last %v, want up to seq %d", d, n, col.seqs[max(n-3, 0):], last)
		}
	}
}

// check asserts the collector saw every seq in 1..last exactly once and
// in order, except deleted ones, which it may have seen (live) or not.
func (col *collector) check(t testing.TB, last int64, deleted map[int64]bool) {
	t.Helper()
	col.mu.Lock()
	defer col.mu.Unlock()
	prev := int64(0)
	for _, s := range col.seqs {
		if s <= prev {
			t.Fatalf("seq %d after %d: duplicate or out of order (%d messages)", s, prev, len(col.seqs))
		}
		for missing := prev + 1; missing < s; missing++ {
			if !deleted[missing] {
				t.Fatalf("seq %d missing (between %d and %d)", missing, prev, s)
			}
		}
		prev = s
	}
	if prev != last {
		t.Fatalf("last seq %d, want %d", prev, last)
	}
}

// The hard part: the connection is cut again and again (and refused for a
// while) while messages are posted; the cable reconnects, resumes from its
// last seq, and the user sees every message exactly once, in seq order.
func TestCableResumeAcrossCuts(t *testing.T) {
	w := newWorld(t)
	bea, _ := w.join(t, "Bea", "bea@example.com")
	room := w.allTalk(t)
	p := newProxy(t, w.srv.Listener.Addr().String())
	viaProxy := newClient(t, p.URL()).WithToken(bea.Token())
	cb := dial(t, viaProxy, &client.CableOptions{MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, EventBuffer: 64})
	col := collect(t, cb, room, 0)
	if err := cb.SubscribeSince(ctx(t), room, 0); err != nil {
		t.Fatal(err)
	}

	const total = 150
	deleted := map[int64]bool{}
	var last int64
	for i := 1; i <= total; i++ {
		m, err := w.admin.PostMessage(ctx(t), room, fmt.Sprintf("message %d", i), "")
		if err != nil {
			t.Fatal(err)
		}
		last = m.Seq
		switch {
		case i%25 == 0:
			p.Cut()
		case i%40 == 0:
			// Down for a while: posts go on without the socket.
			p.Hold()
			p.Cut()
			time.AfterFunc(30*time.Millisecond, p.Release)
		case i%33 == 0:
			// A deleted message leaves its seq unused.
			if err := w.admin.DeleteMessage(ctx(t), m.ID); err != nil {
				t.Fatal(err)
			}
			deleted[m.Seq] = true
		}
		if i%10 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	if deleted[last] {
		t.Fatal("test bug: the last message is deleted")
	}
	col.waitFor(t, last, 20*time.Second)
	col.check(t, last, deleted)
	if n, _ := col.counts(); n < 3 {
		t.Errorf("%d reconnections, want several", n)
	}
	if seq, _ := cb.LastSeq(room); seq != last {
		t.Errorf("LastSeq %d, want %d", seq, last)
	}
}

// A consumer that does not keep up makes the cable drop the connection,
// not events: it resumes by seq, and nothing is lost or repeated.
func TestCableSlowConsumer(t *testing.T) {
	w := newWorld(t)
	room := w.allTalk(t)
	cb := dial(t, w.admin, &client.CableOptions{EventBuffer: 4, MinBackoff: 5 * time.Millisecond})
	if err := cb.SubscribeSince(ctx(t), room, 0); err != nil {
		t.Fatal(err)
	}
	const total = 60
	for i := range total {
		if _, err := w.admin.PostMessage(ctx(t), room, fmt.Sprintf("m%d", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	col := collect(t, cb, room, time.Millisecond)
	col.waitFor(t, total, 20*time.Second)
	col.check(t, total, nil)
	if _, slow := col.counts(); slow == 0 {
		t.Error("the full channel never dropped the connection")
	}
}

// Posting over the cable while it is down waits for the reconnection.
func TestCablePostWhileReconnecting(t *testing.T) {
	w := newWorld(t)
	room := w.allTalk(t)
	p := newProxy(t, w.srv.Listener.Addr().String())
	c := newClient(t, p.URL()).WithToken(w.admin.Token())
	cb := dial(t, c, &client.CableOptions{MinBackoff: 20 * time.Millisecond, MaxBackoff: 40 * time.Millisecond})
	col := collect(t, cb, room, 0)
	if err := cb.SubscribeSince(ctx(t), room, 0); err != nil {
		t.Fatal(err)
	}
	p.Hold()
	p.Cut()
	time.AfterFunc(100*time.Millisecond, p.Release)
	var ack client.Ack
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		// ErrDisconnected: the post raced the cut; the same id is safe.
		if ack, err = cb.Post(ctx(t), room, "through the outage", "outage-1"); !errors.Is(err, client.ErrDisconnected) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	col.waitFor(t, ack.Seq, wait)
	col.check(t, ack.Seq, nil)
}

func TestCableHandler(t *testing.T) {
	w := newWorld(t)
	room := w.allTalk(t)
	got := make(chan client.MessageCreated, 1)
	cb := dial(t, w.admin, &client.CableOptions{Handler: func(ev client.Event) {
		if mc, ok := ev.(client.MessageCreated); ok {
			got <- mc
		}
	}})
	if cb.Events() != nil {
		t.Error("Events() with a Handler")
	}
	if err := cb.Subscribe(ctx(t), room); err != nil {
		t.Fatal(err)
	}
	m := must[*client.Message](t)(w.admin.PostMessage(ctx(t), room, "to the handler", ""))
	select {
	case mc := <-got:
		if mc.Message.ID != m.ID {
			t.Errorf("handler got %+v", mc)
		}
	case <-time.After(wait):
		t.Fatal("handler not called")
	}
}

func TestCableClose(t *testing.T) {
	w := newWorld(t)
	cb := dial(t, w.admin, nil)
	if err := cb.Close(); err != nil {
		t.Fatal(err)
	}
	cb.Close() // idempotent
	if !errors.Is(cb.Err(), client.ErrClosed) {
		t.Errorf("Err() = %v", cb.Err())
	}
	for range cb.Events() {
	}
	for name, err := range map[string]error{
		"subscribe": cb.Subscribe(ctx(t), 1),
		"post":      func() error { _, err := cb.Post(ctx(t), 1, "x", ""); return err }(),
		"ping":      func() error { _, err := cb.Ping(ctx(t)); return err }(),
		"typing":    cb.Typing(ctx(t), 1, true),
	} {
		if !errors.Is(err, client.ErrClosed) {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
}

// The scripted server below pins the client's side of the protocol.

// After a reconnect the cable asks for each room from the last seq it
// delivered, and drops what it already delivered.
func TestCableResumeDedup(t *testing.T) {
	fs := newFakeServer(t)
	cb := dial(t, fs.client(t), &client.CableOptions{MinBackoff: 5 * time.Millisecond})
	c1 := fs.accept(t, wait)
	done := make(chan error, 1)
	go func() { done <- cb.SubscribeSince(context.Background(), 7, 0) }()
	if f := c1.expect("subscribe"); f["room_id"] != 7.0 || f["since"] != 0.0 {
		t.Fatalf("subscribe %v", f)
	}
	c1.subscribed(7, 3)
	for seq := int64(1); seq <= 3; seq++ {
		c1.message(7, seq)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for seq := int64(1); seq <= 3; seq++ {
		if mc := next[client.MessageCreated](t, cb, wait); mc.Message.Seq != seq {
			t.Fatalf("seq %d, want %d", mc.Message.Seq, seq)
		}
	}
	c1.closeWith(client.CloseTooSlow)

	c2 := fs.accept(t, wait)
	if f := c2.expect("subscribe"); f["room_id"] != 7.0 || f["since"] != 3.0 {
		t.Fatalf("resubscribe %v, want since 3", f)
	}
	d := next[client.Disconnected](t, cb, wait)
	if !strings.Contains(d.Err.Error(), "4008") {
		t.Errorf("disconnected: %v", d.Err)
	}
	next[client.Reconnected](t, cb, wait)
	c2.subscribed(7, 6)
	c2.message(7, 2) // overlap: dropped
	c2.message(7, 3) // overlap: dropped
	c2.message(7, 5) // 4 was deleted
	c2.message(7, 6)
	if s := next[client.Subscribed](t, cb, wait); s.Seq != 6 {
		t.Errorf("subscribed %+v", s)
	}
	for _, want := range []int64{5, 6} {
		if mc := next[client.MessageCreated](t, cb, wait); mc.Message.Seq != want {
			t.Fatalf("seq %d, want %d", mc.Message.Seq, want)
		}
	}
	if seq, _ := cb.LastSeq(7); seq != 6 {
		t.Errorf("LastSeq %d", seq)
	}
}

// A since beyond the room's end is clamped by the server; the cable
// follows, so later messages are not mistaken for duplicates.
func TestCableSinceClamped(t *testing.T) {
	fs := newFakeServer(t)
	cb := dial(t, fs.client(t), nil)
	c := fs.accept(t, wait)
	done := make(chan error, 1)
	go func() { done <- cb.SubscribeSince(context.Background(), 7, 1000) }()
	c.expect("subscribe")
	c.subscribed(7, 5)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c.message(7, 6)
	if mc := next[client.MessageCreated](t, cb, wait); mc.Message.Seq != 6 {
		t.Errorf("seq %d", mc.Message.Seq)
	}
}

// A subscription the server drops for now is asked for again; one it
// refuses for good ends the call with the code.
func TestCableSubscribeErrors(t *testing.T) {
	fs := newFakeServer(t)
	cb := dial(t, fs.client(t), nil)
	c := fs.accept(t, wait)

	done := make(chan error, 1)
	go func() { done <- cb.Subscribe(context.Background(), 7) }()
	c.expect("subscribe")
	c.send(map[string]any{"type": "error", "code": "internal", "message": "try again", "room_id": 7})
	if e := next[client.ErrorEvent](t, cb, wait); e.Code != "internal" || e.RoomID != 7 {
		t.Errorf("error event %+v", e)
	}
	start := time.Now()
	if f := c.expect("subscribe"); f["room_id"] != 7.0 {
		t.Fatalf("retry %v", f)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("retried after %s", d)
	}
	c.subscribed(7, 0)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	go func() { done <- cb.Subscribe(context.Background(), 8) }()
	c.expect("subscribe")
	c.send(map[string]any{"type": "error", "code": "not_found", "message": "no such room", "room_id": 8})
	wantCode(t, <-done, 0, "not_found")
	if _, ok := cb.LastSeq(8); ok {
		t.Error("refused room kept")
	}
}

// A post without an ack returns ErrNoAck; the retry with the same id gets
// the ack; a socket that drops under a post returns ErrDisconnected.
func TestCablePostAck(t *testing.T) {
	fs := newFakeServer(t)
	cb := dial(t, fs.client(t), &client.CableOptions{AckTimeout: 200 * time.Millisecond, MinBackoff: 5 * time.Millisecond})
	c := fs.accept(t, wait)

	if _, err := cb.Post(ctx(t), 7, "hi", "p1"); !errors.Is(err, client.ErrNoAck) {
		t.Fatalf("unanswered post: %v", err)
	}
	if f := c.expect("post"); f["client_message_id"] != "p1" || f["body"] != "hi" || f["room_id"] != 7.0 {
		t.Fatalf("post frame %v", f)
	}
	type result struct {
		ack client.Ack
		err error
	}
	res := make(chan result, 1)
	go func() {
		ack, err := cb.Post(context.Background(), 7, "hi", "p1")
		res <- result{ack, err}
	}()
	c.expect("post")
	c.send(map[string]any{"type": "ack", "client_message_id": "p1", "message_id": 42, "room_id": 7, "seq": 9})
	if r := <-res; r.err != nil || r.ack.MessageID != 42 || r.ack.Seq != 9 {
		t.Fatalf("retried post %+v", r)
	}

	go func() {
		ack, err := cb.Post(context.Background(), 7, "hi", "p2")
		res <- result{ack, err}
	}()
	c.expect("post")
	c.ws.NetConn().Close()
	if r := <-res; !errors.Is(r.err, client.ErrDisconnected) {
		t.Fatalf("post on a dropped socket: %v", r.err)
	}
}

// Close codes decide how soon the cable comes back.
func TestCableCloseCodes(t *testing.T) {
	const minBackoff = 600 * time.Millisecond
	for _, tc := range []struct {
		name     string
		code     int // 0: drop the TCP connection
		atLeast  time.Duration
		atMost   time.Duration
		stopping bool
	}{
		{"4008 too slow: at once", client.CloseTooSlow, 0, 250 * time.Millisecond, false},
		{"1001 going away: soon", client.CloseGoingAway, 0, minBackoff + 250*time.Millisecond, false},
		{"dropped: backoff", 0, minBackoff / 2, 4 * minBackoff, false},
		{"4001 unauthorized: stop", client.CloseUnauthorized, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFakeServer(t)
			cb := dial(t, fs.client(t), &client.CableOptions{MinBackoff: minBackoff, MaxBackoff: 10 * minBackoff})
			c := fs.accept(t, wait)
			start := time.Now()
			if tc.code == 0 {
				c.ws.NetConn().Close()
			} else {
				c.closeWith(tc.code)
			}
			if tc.stopping {
				select {
				case <-cb.Done():
				case <-time.After(wait):
					t.Fatal("cable still running")
				}
				if !errors.Is(cb.Err(), client.ErrUnauthorized) {
					t.Errorf("Err() = %v", cb.Err())
				}
				select {
				case <-fs.conns:
					t.Error("reconnected after 4001")
				case <-time.After(2 * minBackoff):
				}
				return
			}
			fs.accept(t, wait)
			if d := time.Since(start); d < tc.atLeast || d > tc.atMost {
				t.Errorf("reconnected after %s, want %s..%s", d, tc.atLeast, tc.atMost)
			}
		})
	}
}

// Load tools spread sockets over loopback addresses.
func TestCableLocalAddr(t *testing.T) {
	fs := newFakeServer(t)
	cb := dial(t, fs.client(t), &client.CableOptions{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}})
	_ = cb
	c := fs.accept(t, wait)
	if host, _, _ := net.SplitHostPort(c.remote); host != "127.0.0.2" {
		t.Errorf("server saw %s", c.remote)
	}
}

// The echo bot of the example, against the real server.
func TestEchoBotExample(t *testing.T) {
	w := newWorld(t)
	echo, echoUser := w.join(t, "Echo", "echo@example.com")
	room := w.allTalk(t)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() { errc <- echoBot(ctx, echo, ready) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("echo bot: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-errc:
		t.Fatal(err)
	}
	watch := dial(t, w.admin, nil)
	if err := watch.Subscribe(ctx, room); err != nil {
		t.Fatal(err)
	}
	m := must[*client.Message](t)(w.admin.PostMessage(ctx, room, "hello @Echo", ""))
	if !m.MentionsUser(echoUser.ID) {
		t.Fatalf("no mention in %+v", m)
	}
	for {
		mc := next[client.MessageCreated](t, watch, wait)
		if mc.Message.Creator.ID == echoUser.ID {
			if mc.Message.Body != "@Ada Admin said: hello @Echo" {
				t.Errorf("echo %q", mc.Message.Body)
			}
			return
		}
	}
}
