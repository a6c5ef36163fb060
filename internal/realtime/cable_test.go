package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// fastPosts lifts the post limits for tests that post in bulk.
var fastPosts = Config{PostRate: 1e6, PostBurst: 1e6, FrameRate: 1e6, FrameBurst: 1e6}

// Every client gets every message once, in seq order, whether it was posted
// over the cable or through the core directly (the HTTP and bot path), by
// racing posters.
func TestEveryClientGetsEveryMessageInOrder(t *testing.T) {
	for _, n := range []int{2, 50} {
		t.Run(fmt.Sprintf("%d clients", n), func(t *testing.T) {
			e := newEnv(t, fastPosts)
			var ids []int64
			for i := range n {
				ids = append(ids, int64(i+1))
				e.be.addUser(int64(i + 1))
			}
			e.be.addRoom(1, ids...)
			clients := make([]*client, n)
			for i, id := range ids {
				clients[i] = e.dial(id)
				clients[i].subscribe(1, 0)
			}

			const perPoster = 20
			posters := min(n, 4)
			var wg sync.WaitGroup
			for p := range posters {
				c := clients[p]
				wg.Go(func() { // over the cable
					for i := range perPoster {
						err := c.ws.WriteJSON(map[string]any{"type": "post", "room_id": 1, "body": fmt.Sprintf("cable %d/%d", p, i), "client_message_id": fmt.Sprintf("c%d-%d", p, i)})
						if err != nil {
							t.Error(err)
						}
					}
				})
				wg.Go(func() { // through the core, as HTTP and bots do
					for i := range perPoster {
						if _, _, err := e.be.PostMessage(context.Background(), e.be.user(ids[p]), 1, fmt.Sprintf("http %d/%d", p, i), ""); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			total := int64(2 * perPoster * posters)
			for _, c := range clients {
				expectSeqs(t, fmt.Sprintf("client %d", c.user), c.messages(1, int(total)), seqRange(1, total)...)
			}
			// Each cable post was acknowledged to its poster.
			for p := range posters {
				acked := map[string]bool{}
				for len(acked) < perPoster {
					f := clients[p].expect(wire.TypeAck)
					if f.MessageID == 0 || f.Seq == 0 {
						t.Fatalf("ack without message id or seq: %+v", f)
					}
					acked[f.ClientMessageID] = true
				}
			}
			// Nothing more arrives: a marker sent after everything is the
			// next message.created each client sees.
			e.be.PostMessage(context.Background(), e.be.user(1), 1, "end", "")
			for _, c := range clients {
				expectSeqs(t, fmt.Sprintf("client %d", c.user), c.messages(1, 1), total+1)
			}
		})
	}
}

// A client that reconnects and subscribes with its last seq gets what was
// posted while it was away, then live messages, none twice, even while
// messages keep arriving during the replay.
func TestReconnectWithSince(t *testing.T) {
	e := newEnv(t, Config{ReplayPage: 7}) // pages that do not divide the counts
	alice, bob := e.be.addUser(1), e.be.addUser(2)
	e.be.addRoom(1, 1, 2)
	post := func(n int) {
		for i := range n {
			if _, _, err := e.be.PostMessage(context.Background(), bob, 1, fmt.Sprint("m", i), ""); err != nil {
				t.Fatal(err)
			}
		}
	}

	c := e.dial(alice.ID)
	c.subscribe(1, 0)
	post(5)
	expectSeqs(t, "first socket", c.messages(1, 5), 1, 2, 3, 4, 5)
	c.ws.Close()
	<-c.done

	post(30) // while away: seqs 6..35

	c2 := e.dial(alice.ID)
	// Posts race the subscribe and its replay.
	var wg sync.WaitGroup
	wg.Go(func() { post(30) }) // seqs 36..65
	sub := c2.subscribe(1, 5)
	if sub.Seq < 35 {
		t.Fatalf("subscribed seq %d, want at least 35", sub.Seq)
	}
	wg.Wait()
	expectSeqs(t, "reconnected socket", c2.messages(1, 60), seqRange(6, 65)...)
	post(1)
	expectSeqs(t, "reconnected socket, live", c2.messages(1, 1), 66)
}

// Subscribing without since is live only: the subscribed frame says where
// the room is, and only later messages follow.
func TestSubscribeLiveOnly(t *testing.T) {
	e := newEnv(t, Config{})
	alice := e.be.addUser(1)
	e.be.addRoom(1, 1)
	for range 3 {
		e.be.PostMessage(context.Background(), alice, 1, "old", "")
	}
	c := e.dial(1)
	if f := c.subscribe(1); f.Seq != 3 {
		t.Fatalf("subscribed seq %d, want 3", f.Seq)
	}
	e.be.PostMessage(context.Background(), alice, 1, "new", "")
	expectSeqs(t, "live", c.messages(1, 1), 4)
}

// A replay far larger than the queue paces itself to the client instead of
// overflowing.
func TestLongReplayDoesNotOverflow(t *testing.T) {
	e := newEnv(t, Config{QueueSize: 8})
	u := e.be.addUser(1)
	e.be.addRoom(1, 1)
	for range 1000 {
		e.be.commit(u, 1, "x")
	}
	c := e.dial(1)
	c.subscribe(1, 0)
	expectSeqs(t, "replay", c.messages(1, 1000), seqRange(1, 1000)...)
	if s := e.hub.Stats(); s.SlowClosed != 0 {
		t.Fatalf("%d sockets closed as slow", s.SlowClosed)
	}
}

// A client that never reads does not slow anyone else: the others get every
// message at once (within a second) while its queue fills, and it is then closed with
// 4008.
func TestSlowClientIsClosedAndOthersKeepUp(t *testing.T) {
	e := newEnv(t, Config{QueueSize: 16, CloseGrace: 3 * time.Second, PresenceInterval: 5 * time.Millisecond}, smallSendBuffers)
	poster := e.be.addUser(1)
	e.be.addUser(2)
	e.be.addUser(3)
	e.be.addRoom(1, 1, 2, 3)
	slow := make(chan struct{})
	e.hub.onSlow = func(userID int64) {
		if userID == 3 {
			close(slow)
		}
	}
	fast := []*client{e.dial(1), e.dial(2)}
	for _, c := range fast {
		c.subscribe(1, 0)
	}
	lazy := e.dialQuiet(3, tinyReceiveBuffer)
	lazy.send(map[string]any{"type": "subscribe", "room_id": 1, "since": 0})
	// The lazy client is subscribed once it shows up in presence.
	fast[0].next("presence with the lazy client", func(f frame) bool {
		return f.Type == wire.TypePresence && slices.Contains(f.UserIDs, 3)
	})

	body := strings.Repeat("x", 4000)
	var seq int64
	postAndCheck := func() {
		t.Helper()
		at := time.Now()
		m, _, err := e.be.PostMessage(context.Background(), poster, 1, body, "")
		if err != nil {
			t.Fatal(err)
		}
		seq = m.Seq
		for _, c := range fast {
			f := c.messages(1, 1)[0]
			if got := f.msg().Seq; got != seq {
				t.Fatalf("client %d got seq %d, want %d", c.user, got, seq)
			}
			// A publisher blocked behind the stalled socket would hold
			// everyone until that socket is closed (seconds: its close
			// grace); a second tells the two apart without timing the
			// machine, which CI shares with Chromium and PostgreSQL.
			if d := f.at.Sub(at); d > time.Second {
				t.Fatalf("client %d got seq %d after %v while another client stalled", c.user, seq, d)
			}
		}
	}
	for filled := false; !filled; {
		postAndCheck()
		select {
		case <-slow:
			filled = true
		default:
			if seq > 5000 {
				t.Fatal("the lazy client's queue never filled")
			}
		}
	}
	for range 20 {
		postAndCheck()
	}
	// Now the lazy client reads: what was sent, then the 4008 close.
	lazy.start()
	if code := lazy.closeCode(); code != CloseTooSlow {
		t.Fatalf("lazy client closed with %d, want %d", code, CloseTooSlow)
	}
	if s := e.hub.Stats(); s.SlowClosed != 1 {
		t.Fatalf("SlowClosed = %d, want 1", s.SlowClosed)
	}
	// It reconnects and resumes from its last seq.
	var last int64
	for {
		select {
		case f := <-lazy.frames:
			if f.Type == wire.TypeMessageCreated {
				last = f.msg().Seq
			}
			continue
		default:
		}
		break
	}
	again := e.dial(3)
	again.subscribe(1, last)
	expectSeqs(t, "resumed", again.messages(1, int(seq-last)), seqRange(last+1, seq)...)
}

// Mistakes get error frames and the socket (and the server) carry on.
func TestBadFramesGetErrors(t *testing.T) {
	e := newEnv(t, Config{ReadLimit: 1024, MaxSubscriptions: 2, Strikes: 100})
	e.be.addUser(1)
	e.be.addUser(2)
	e.be.addRoom(1, 1)
	e.be.addRoom(2, 2) // alice is not a member
	e.be.addRoom(3, 1)
	e.be.addRoom(4, 1)
	c := e.dial(1)

	cases := []struct {
		name string
		send any
		code string
		room int64
	}{
		{"non-member subscribe", map[string]any{"type": "subscribe", "room_id": 2}, "not_found", 2},
		{"missing room", map[string]any{"type": "subscribe", "room_id": 99}, "not_found", 99},
		{"malformed JSON", `{"type": "subscribe", "room_id": `, codeBadFrame, 0},
		{"not an object", `[1,2,3]`, codeBadFrame, 0},
		{"no type", `{"room_id": 1}`, codeBadFrame, 1},
		{"unknown type", `{"type": "explode"}`, codeUnknownType, 0},
		{"bad room id", `{"type": "subscribe", "room_id": -4}`, codeBadFrame, 0},
		{"negative since", `{"type": "subscribe", "room_id": 1, "since": -1}`, codeBadFrame, 1},
		{"typing without active", `{"type": "typing", "room_id": 1}`, codeBadFrame, 1},
		{"typing unsubscribed", `{"type": "typing", "room_id": 1, "active": true}`, codeNotSubscribed, 1},
		{"oversized frame", `{"type":"ping","pad":"` + strings.Repeat("x", 2000) + `"}`, codeFrameTooLarge, 0},
		{"post to a room not mine", map[string]any{"type": "post", "room_id": 2, "body": "hi", "client_message_id": "k1"}, "not_found", 2},
		{"blank post", map[string]any{"type": "post", "room_id": 1, "body": "  ", "client_message_id": "k2"}, "body_blank", 1},
	}
	for _, tc := range cases {
		c.send(tc.send)
		f := c.expect(wire.TypeError)
		var msg string
		json.Unmarshal(f.Message, &msg)
		if f.Code != tc.code || f.RoomID != tc.room || msg == "" {
			t.Errorf("%s: got error %q %q room %d, want %q room %d", tc.name, f.Code, msg, f.RoomID, tc.code, tc.room)
		}
	}
	// A binary frame.
	if err := c.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	if f := c.expect(wire.TypeError); f.Code != codeBadFrame {
		t.Errorf("binary frame: error %q", f.Code)
	}
	// Still healthy.
	c.send(`{"type":"ping"}`)
	c.expect(wire.TypePong)
	c.subscribe(1)
	c.subscribe(3)
	c.send(map[string]any{"type": "subscribe", "room_id": 4})
	if f := c.expect(wire.TypeError); f.Code != codeTooManySubs {
		t.Errorf("third subscription: error %q, want %q", f.Code, codeTooManySubs)
	}
	// Unsubscribing frees a slot.
	c.send(map[string]any{"type": "unsubscribe", "room_id": 3})
	c.subscribe(4)
	// Other sockets never noticed.
	other := e.dial(2)
	other.subscribe(2)
}

// A frame far over the limit closes the socket with 1009; the server
// carries on.
func TestHugeFrameCloses(t *testing.T) {
	e := newEnv(t, Config{ReadLimit: 1024})
	e.be.addUser(1)
	c := e.dial(1, func(d *websocket.Dialer, _ http.Header) { d.WriteBufferSize = 8192 }) // one frame
	c.ws.WriteMessage(websocket.TextMessage, []byte(strings.Repeat(" ", 5000)))
	if code := c.closeCode(); code != CloseTooBig {
		t.Fatalf("closed with %d, want %d", code, CloseTooBig)
	}
	c2 := e.dial(1)
	c2.send(`{"type":"ping"}`)
	c2.expect(wire.TypePong)
}

// Going over the rate limit gets error frames, then a 1008 close if it
// continues.
func TestRateLimit(t *testing.T) {
	e := newEnv(t, Config{FrameRate: 0.001, FrameBurst: 5, Strikes: 3})
	e.be.addUser(1)
	c := e.dial(1)
	for range 20 {
		if err := c.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`)); err != nil {
			break // closed under us
		}
	}
	for range 5 {
		c.expect(wire.TypePong)
	}
	if f := c.expect(wire.TypeError); f.Code != codeRateLimited {
		t.Fatalf("error %q, want %q", f.Code, codeRateLimited)
	}
	if code := c.closeCode(); code != ClosePolicy {
		t.Fatalf("closed with %d, want %d", code, ClosePolicy)
	}
}

func TestPostRateLimit(t *testing.T) {
	e := newEnv(t, Config{PostRate: 0.001, PostBurst: 2})
	e.be.addUser(1)
	e.be.addRoom(1, 1)
	c := e.dial(1)
	for i := range 3 {
		c.send(map[string]any{"type": "post", "room_id": 1, "body": "hi", "client_message_id": fmt.Sprint(i)})
	}
	c.expect(wire.TypeAck)
	c.expect(wire.TypeAck)
	f := c.expect(wire.TypeError)
	if f.Code != codeRateLimited || f.ClientMessageID != "2" || f.RoomID != 1 {
		t.Fatalf("got %+v, want rate_limited for post 2", f)
	}
}

// An idempotent retry over the cable is acknowledged with the original
// message and not delivered again.
func TestPostRetryIsIdempotent(t *testing.T) {
	e := newEnv(t, Config{})
	e.be.addUser(1)
	e.be.addRoom(1, 1)
	c := e.dial(1)
	c.subscribe(1)
	post := map[string]any{"type": "post", "room_id": 1, "body": "once", "client_message_id": "same"}
	c.send(post)
	a1 := c.expect(wire.TypeAck)
	c.send(post)
	a2 := c.expect(wire.TypeAck)
	if a1.MessageID != a2.MessageID {
		t.Fatalf("retry acked message %d, first %d", a2.MessageID, a1.MessageID)
	}
	c.send(map[string]any{"type": "post", "room_id": 1, "body": "next", "client_message_id": "other"})
	expectSeqs(t, "poster", c.messages(1, 2), 1, 2)
}

func TestOriginCheck(t *testing.T) {
	e := newEnv(t, Config{AllowedOrigins: []string{"https://chat.example.com"}})
	e.be.addUser(1)
	host := strings.TrimPrefix(e.srv.URL, "http://")
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://" + host, true},
		{"https://" + host, false}, // the page was not served over https
		{"ftp://" + host, false},
		{"https://chat.example.com", true},
		{"https://evil.example.com", false},
		{"null", false},
	} {
		var opts []dialOption
		if tc.origin != "" {
			opts = append(opts, withOrigin(tc.origin))
		}
		ws, resp, err := e.dialRaw(1, opts...)
		if tc.ok {
			if err != nil {
				t.Errorf("origin %q refused: %v", tc.origin, err)
				continue
			}
			ws.Close()
			continue
		}
		if err == nil {
			ws.Close()
			t.Errorf("origin %q accepted", tc.origin)
			continue
		}
		var body struct {
			Error struct{ Code, Message string }
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || body.Error.Code != "bad_origin" || body.Error.Message == "" {
			t.Errorf("origin %q: %d %+v", tc.origin, resp.StatusCode, body)
		}
	}
}

// Presence: a membership is connected while a visible socket is subscribed;
// presence events carry the room's online user ids.
func TestPresence(t *testing.T) {
	e := newEnv(t, Config{PresenceInterval: 5 * time.Millisecond})
	e.be.addUser(1)
	e.be.addUser(2)
	e.be.addRoom(1, 1, 2)
	online := func(c *client, want ...int64) {
		t.Helper()
		c.until(fmt.Sprintf("presence %v", want), func(f frame) bool {
			return f.Type == wire.TypePresence && f.RoomID == 1 && slices.Equal(f.UserIDs, want)
		})
		got, _ := e.presence.Online(context.Background(), 1)
		if !slices.Equal(got, want) {
			t.Fatalf("Online = %v, want %v", got, want)
		}
	}
	a := e.dial(1)
	a.subscribe(1)
	online(a, 1)
	b := e.dial(2)
	b.subscribe(1)
	online(a, 1, 2)
	online(b, 1, 2)
	b.send(map[string]any{"type": "visibility", "visible": false})
	online(a, 1)
	b.send(map[string]any{"type": "visibility", "visible": true})
	online(a, 1, 2)
	// A second socket of the same user: closing one keeps the user online.
	b2 := e.dial(2)
	b2.subscribe(1)
	b.ws.Close()
	<-b.done
	b2.send(`{"type":"unsubscribe","room_id":1}`)
	online(a, 1)
}

// A socket that sends nothing within the heartbeat TTL stops counting.
func TestPresenceHeartbeatExpires(t *testing.T) {
	e := newEnv(t, Config{HeartbeatTTL: 150 * time.Millisecond, PresenceInterval: 5 * time.Millisecond})
	e.be.addUser(1)
	e.be.addUser(2)
	e.be.addRoom(1, 1, 2)
	a := e.dial(1)
	a.subscribe(1)
	b := e.dial(2)
	b.subscribe(1)
	a.until("presence with both", func(f frame) bool {
		return f.Type == wire.TypePresence && slices.Equal(f.UserIDs, []int64{1, 2})
	})
	// a keeps heartbeating; b stays silent.
	stop := make(chan struct{})
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				a.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`))
			}
		}
	}()
	a.until("presence without the silent user", func(f frame) bool {
		return f.Type == wire.TypePresence && slices.Equal(f.UserIDs, []int64{1})
	})
	close(stop)
	<-beating
}

func TestTyping(t *testing.T) {
	e := newEnv(t, Config{TypingTTL: 150 * time.Millisecond})
	e.be.addUser(1)
	e.be.addUser(2)
	e.be.addRoom(1, 1, 2)
	a, b := e.dial(1), e.dial(2)
	a.subscribe(1)
	b.subscribe(1)
	typing := func(c *client, active bool) frame {
		t.Helper()
		return c.next(fmt.Sprint("typing ", active), func(f frame) bool {
			return f.Type == wire.TypeTyping && f.RoomID == 1 && f.User.ID == 1 && f.Active == active
		})
	}
	// Start, then stop explicitly.
	a.send(map[string]any{"type": "typing", "room_id": 1, "active": true})
	typing(b, true)
	a.send(map[string]any{"type": "typing", "room_id": 1, "active": false})
	typing(b, false)
	// Start and fall silent: it expires.
	started := time.Now()
	a.send(map[string]any{"type": "typing", "room_id": 1, "active": true})
	typing(b, true)
	typing(b, false)
	if d := time.Since(started); d < 150*time.Millisecond {
		t.Fatalf("typing expired after %v, before its TTL", d)
	}
	// Repeated starts are throttled: many frames, one fan-out.
	for range 5 {
		a.send(map[string]any{"type": "typing", "room_id": 1, "active": true})
	}
	a.send(map[string]any{"type": "typing", "room_id": 1, "active": false})
	typing(b, true)
	f := b.next("the stop after the starts", func(f frame) bool { return f.Type == wire.TypeTyping })
	if f.Active {
		t.Fatal("repeated typing starts were each fanned out")
	}
	// Closing the typing socket stops its indicator.
	a.send(map[string]any{"type": "typing", "room_id": 1, "active": true})
	typing(b, true)
	a.ws.Close()
	typing(b, false)
}

// room.unread and room.read reach every socket of the user, subscribed or
// not; room events reach the people they name.
func TestUserScopedEvents(t *testing.T) {
	e := newEnv(t, Config{})
	e.be.addUser(1)
	e.be.addUser(2)
	e.be.addRoom(1, 1, 2)
	s1, s2, other := e.dial(1), e.dial(1), e.dial(2)
	s1.subscribe(1)
	publish := func(ev broker.Event) {
		t.Helper()
		if err := e.broker.Publish(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	publish(broker.Event{Type: wire.TypeRoomUnread, RoomID: 1, UserIDs: []int64{1}, Frame: wire.RoomIDFrame(wire.TypeRoomUnread, 1)})
	publish(broker.Event{Type: wire.TypeRoomRead, RoomID: 1, UserIDs: []int64{1}, Frame: wire.RoomIDFrame(wire.TypeRoomRead, 1)})
	publish(broker.Event{Type: wire.TypeRoomCreated, AllUsers: true, Frame: wire.RoomFrame(wire.TypeRoomCreated, wire.Room{ID: 5, Name: "new"})})
	publish(broker.Event{Type: wire.TypeRoomDeleted, UserIDs: []int64{2}, Frame: wire.RoomIDFrame(wire.TypeRoomDeleted, 9)})
	for _, c := range []*client{s1, s2} {
		if f := c.expect(wire.TypeRoomUnread); f.RoomID != 1 {
			t.Fatalf("room.unread for %d", f.RoomID)
		}
		c.expect(wire.TypeRoomRead)
		if f := c.expect(wire.TypeRoomCreated); f.Room.ID != 5 {
			t.Fatalf("room.created for %d", f.Room.ID)
		}
	}
	// The other user got only what named them, in order.
	f := other.next("a room event", func(f frame) bool { return strings.HasPrefix(f.Type, "room.") })
	if f.Type != wire.TypeRoomCreated {
		t.Fatalf("other user got %s first", f.Type)
	}
	if f := other.expect(wire.TypeRoomDeleted); f.RoomID != 9 {
		t.Fatalf("room.deleted for %d", f.RoomID)
	}
}

// Deactivation and bans close the user's sockets; lost membership drops the
// subscription at once.
func TestControlEvents(t *testing.T) {
	e := newEnv(t, Config{})
	for id := int64(1); id <= 3; id++ {
		e.be.addUser(id)
	}
	e.be.addRoom(1, 1, 2, 3)
	e.be.addRoom(2, 2)
	banned1, banned2, leaver, stays := e.dial(1), e.dial(1), e.dial(2), e.dial(3)
	for _, c := range []*client{banned1, banned2, leaver, stays} {
		c.subscribe(1)
	}
	leaver.subscribe(2)

	e.broker.Publish(context.Background(), broker.Event{Type: broker.ControlCloseUser, UserIDs: []int64{1}})
	for _, c := range []*client{banned1, banned2} {
		if code := c.closeCode(); code != CloseUnauthorized {
			t.Fatalf("banned socket closed with %d, want %d", code, CloseUnauthorized)
		}
	}

	e.broker.Publish(context.Background(), broker.Event{Type: broker.ControlLeaveRoom, RoomID: 1, UserIDs: []int64{2}})
	poster := e.be.user(3)
	e.be.PostMessage(context.Background(), poster, 1, "after the leave", "")
	e.be.PostMessage(context.Background(), e.be.user(2), 2, "in the room still had", "")
	// Events are delivered in publish order, so the next message the leaver
	// sees is room 2's: room 1's never came.
	f := leaver.expect(wire.TypeMessageCreated)
	if f.RoomID != 2 {
		t.Fatalf("leaver got a message of room %d after leaving it", f.RoomID)
	}
	expectSeqs(t, "staying member", stays.messages(1, 1), 1)
}

// Shutdown closes every socket with 1001 and refuses new ones; goleak (in
// TestMain) checks that no goroutine outlives them.
func TestShutdown(t *testing.T) {
	e := newEnv(t, Config{})
	e.be.addUser(1)
	e.be.addRoom(1, 1)
	cs := []*client{e.dial(1), e.dial(1), e.dial(1)}
	cs[0].subscribe(1)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := e.hub.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if code := c.closeCode(); code != CloseGoingAway {
			t.Fatalf("closed with %d, want %d", code, CloseGoingAway)
		}
	}
	if s := e.hub.Stats(); s.Connections != 0 || s.Subscriptions != 0 {
		t.Fatalf("after Shutdown: %+v", s)
	}
	_, resp, err := e.dialRaw(1)
	if err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after Shutdown: %v %v", err, resp)
	}
	resp.Body.Close()
}

// The server pings idle sockets and drops one that stops answering.
func TestServerPings(t *testing.T) {
	e := newEnv(t, Config{PingInterval: 30 * time.Millisecond, PongWait: 60 * time.Millisecond})
	e.be.addUser(1)
	c := e.dial(1)
	for range 3 {
		select {
		case <-c.pings:
		case <-time.After(wait):
			t.Fatal("no ping from the server")
		}
	}
	// A client that never answers pings (nor sends anything) is dropped.
	mute := e.dialQuiet(1)
	mute.ws.SetPingHandler(func(string) error { return nil })
	gone := make(chan error, 1)
	go func() {
		var err error
		for err == nil {
			_, _, err = mute.ws.NextReader()
		}
		gone <- err
	}()
	select {
	case <-gone:
	case <-time.After(wait):
		t.Fatal("a socket that never answered pings was kept")
	}
}

// message.created events that arrive out of order are delivered in seq
// order; a seq that never arrives is read from the database after GapWait;
// a deleted message's seq is skipped.
func TestSeqGapsAreFilled(t *testing.T) {
	e := newEnv(t, Config{GapWait: 20 * time.Millisecond})
	u := e.be.addUser(1)
	e.be.addRoom(1, 1)
	c := e.dial(1)
	c.subscribe(1)

	// Out of order: 3, 1, 2.
	m1, m2, m3 := e.be.commit(u, 1, "1"), e.be.commit(u, 1, "2"), e.be.commit(u, 1, "3")
	for _, m := range []int{2, 0, 1} {
		e.be.publish([]chat.Message{m1, m2, m3}[m])
	}
	expectSeqs(t, "reordered", c.messages(1, 3), 1, 2, 3)

	// Lost: 4 is never published.
	e.be.commit(u, 1, "4")
	m5 := e.be.commit(u, 1, "5")
	e.be.publish(m5)
	expectSeqs(t, "filled", c.messages(1, 2), 4, 5)

	// Deleted: 6 is gone from the database by the time the gap is filled.
	m6 := e.be.commit(u, 1, "6")
	m7 := e.be.commit(u, 1, "7")
	e.be.delete(1, m6.Seq)
	e.be.publish(m7)
	expectSeqs(t, "after a deleted seq", c.messages(1, 1), 7)

	// Duplicates are dropped.
	e.be.publish(m7)
	e.be.publish(m5)
	m8, _, _ := e.be.PostMessage(context.Background(), u, 1, "8", "")
	expectSeqs(t, "after duplicates", c.messages(1, 1), m8.Seq)
	if s := e.hub.Stats(); s.GapFills < 2 {
		t.Fatalf("GapFills = %d, want at least 2", s.GapFills)
	}
}

// BroadcastRooms reaches a socket once however many of the rooms it is in.
func TestBroadcastRooms(t *testing.T) {
	e := newEnv(t, Config{})
	e.be.addUser(1)
	e.be.addUser(2)
	e.be.addRoom(1, 1, 2)
	e.be.addRoom(2, 1)
	both, one := e.dial(1), e.dial(2)
	both.subscribe(1)
	both.subscribe(2)
	one.subscribe(1)
	e.hub.BroadcastRooms([]int64{1, 2, 3}, []byte(`{"type":"user.updated","n":1}`))
	e.hub.BroadcastRooms([]int64{2}, []byte(`{"type":"user.updated","n":2}`))
	both.expect("user.updated")
	both.expect("user.updated")
	one.expect("user.updated")
	// Exactly two for both: a marker after them is the next frame.
	e.hub.BroadcastRooms([]int64{1}, []byte(`{"type":"marker"}`))
	f := both.next("marker", func(f frame) bool { return f.Type == "marker" || f.Type == "user.updated" })
	if f.Type != "marker" {
		t.Fatal("a socket in two rooms got a broadcast twice")
	}
}

// Typing frames over their rate are dropped, not refused: no error frame
// and no strike, so a fast typist's socket stays open (issue 11). A stop
// over the rate still stops the indicator.
func TestTypingOverRateIsDropped(t *testing.T) {
	e := newEnv(t, Config{TypingRate: 0.001, TypingBurst: 2, Strikes: 3})
	e.be.addUser(1)
	e.be.addUser(2)
	e.be.addRoom(1, 1, 2)
	a := e.dialQuiet(1)
	a.ignore(wire.TypeTyping, wire.TypePresence)
	a.start()
	b := e.dial(2)
	a.subscribe(1)
	b.subscribe(1)
	for i := range 20 {
		a.send(map[string]any{"type": "typing", "room_id": 1, "active": i%2 == 0})
	}
	a.send(map[string]any{"type": "typing", "room_id": 1, "active": false})
	a.send(`{"type":"ping"}`)
	if f := a.next("pong", func(f frame) bool { return true }); f.Type != wire.TypePong {
		t.Fatalf("got %s %q before the pong, want nothing", f.Type, f.Code)
	}
	// The last frame was a stop: b sees the indicator end.
	b.until("typing stopped", func(f frame) bool { return f.Type == wire.TypeTyping && !f.Active })
}

// A client that stalls for longer than the close grace and then reads
// still learns it was too slow: the close is 4008, not a dropped
// connection (1006), so it can tell slowness from a network failure
// (issue 11).
func TestSlowClientGetsTooSlowAfterLongStall(t *testing.T) {
	e := newEnv(t, Config{QueueSize: 16, CloseGrace: 50 * time.Millisecond}, smallSendBuffers)
	poster := e.be.addUser(1)
	e.be.addUser(3)
	e.be.addRoom(1, 1, 3)
	slow := make(chan struct{})
	e.hub.onSlow = func(int64) { close(slow) }
	lazy := e.dialQuiet(3, tinyReceiveBuffer)
	lazy.send(map[string]any{"type": "subscribe", "room_id": 1, "since": 0})
	body := strings.Repeat("x", 4000)
	for filled := false; !filled; {
		if _, _, err := e.be.PostMessage(context.Background(), poster, 1, body, ""); err != nil {
			t.Fatal(err)
		}
		select {
		case <-slow:
			filled = true
		case <-time.After(time.Millisecond):
		}
	}
	time.Sleep(10 * 50 * time.Millisecond) // a stall well past the close grace
	lazy.start()
	// The kernel's zero-window probes, backed off during the stall, can
	// take seconds to notice the client reading again: wait longer than
	// closeCode does.
	select {
	case <-lazy.done:
	case <-time.After(4 * wait):
		t.Fatal("the slow socket is still open")
	}
	if code := lazy.closeCode(); code != CloseTooSlow {
		t.Fatalf("lazy client closed with %d, want %d", code, CloseTooSlow)
	}
}

// Behind a trusted proxy the scheme comes from X-Forwarded-Proto; without
// that trust the header is ignored.
func TestOriginSchemeBehindProxy(t *testing.T) {
	for _, trust := range []bool{true, false} {
		e := newEnv(t, Config{TrustProxy: trust})
		e.be.addUser(1)
		host := strings.TrimPrefix(e.srv.URL, "http://")
		viaTLSProxy := func(_ *websocket.Dialer, h http.Header) {
			h.Set("Origin", "https://"+host)
			h.Set("X-Forwarded-Proto", "https")
		}
		ws, _, err := e.dialRaw(1, viaTLSProxy)
		if ws != nil {
			ws.Close()
		}
		if ok := err == nil; ok != trust {
			t.Errorf("TrustProxy=%v: https origin through an https proxy accepted=%v", trust, ok)
		}
	}
}

// The same holds for a message sent in many small fragments: its total,
// not each fragment, is what is over the limit.
func TestHugeFragmentedMessageCloses(t *testing.T) {
	e := newEnv(t, Config{ReadLimit: 1024})
	e.be.addUser(1)
	c := e.dial(1, func(d *websocket.Dialer, _ http.Header) { d.WriteBufferSize = 256 }) // many frames
	c.ws.WriteMessage(websocket.TextMessage, []byte(strings.Repeat(" ", 5000)))
	if code := c.closeCode(); code != CloseTooBig {
		t.Fatalf("closed with %d, want %d", code, CloseTooBig)
	}
}
