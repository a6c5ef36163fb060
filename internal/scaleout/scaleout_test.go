package scaleout_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestScaleOut: three instances on one PostgreSQL schema and one Redis
// prefix behind nginx. People's sockets go straight to different instances
// (and some through nginx) while posts arrive at once over HTTP through
// every instance and nginx and over the cable: every subscriber on every
// instance gets every message of its rooms exactly once, in seq order. A
// session made on one instance works on all; signing out, losing a room and
// deactivation reach every instance's sockets within a second.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three servers, nginx, PostgreSQL and Redis")
	}
	c := startCluster(t, 3, sharedBackends(t), true)
	ctx := context.Background()
	people := c.join(9, "Member")
	opsMembers := append([]person{c.admin}, people[:6]...)
	ops := c.createRoom("ops", opsMembers)
	inOps := func(i int) bool { return i < 6 }

	// A session made on one instance (or through nginx) works on every one.
	viaNginx := c.signIn(c.proxy, people[6])
	direct := c.signIn(c.base(1), people[7])
	for _, p := range []person{viaNginx, direct} {
		for i := range c.insts {
			me := api{base: c.base(i), token: p.token}.must(t, ctx, "GET", "/api/v1/users/me", nil, http.StatusOK)
			if num(me, "id") != p.id {
				t.Fatalf("instance %d: the session of user %d is user %d", i+1, p.id, num(me, "id"))
			}
		}
	}

	// Sockets. Everyone has one straight to an instance, round robin, so
	// each instance has subscribers of both rooms; Y (people[1]), Z
	// (people[2]) and people[6]'s nginx session have one on every
	// instance; two more go through nginx.
	roomsOf := func(i int) []int64 {
		if inOps(i) {
			return []int64{c.allTalk, ops}
		}
		return []int64{c.allTalk}
	}
	var all, yz, signedOut []*subscriber
	var ySubs, zSubs []*subscriber
	byPerson := map[int]*subscriber{}
	for i, p := range people {
		s := subscribe(t, c.sig, fmt.Sprintf("%s@%d", p.name, i%3+1), p, roomsOf(i), false, wsURL(c.base(i%3)))
		all = append(all, s)
		byPerson[i] = s
	}
	ySubs, zSubs = []*subscriber{byPerson[1]}, []*subscriber{byPerson[2]}
	for k := 1; k <= 2; k++ { // the other two instances
		y := subscribe(t, c.sig, fmt.Sprintf("Y@%d", (1+k)%3+1), people[1], roomsOf(1), false, wsURL(c.base((1+k)%3)))
		z := subscribe(t, c.sig, fmt.Sprintf("Z@%d", (2+k)%3+1), people[2], roomsOf(2), false, wsURL(c.base((2+k)%3)))
		ySubs, zSubs = append(ySubs, y), append(zSubs, z)
		yz = append(yz, y, z)
	}
	for i := range c.insts {
		signedOut = append(signedOut, subscribe(t, c.sig, fmt.Sprintf("S@%d", i+1), viaNginx, roomsOf(6), false, wsURL(c.base(i))))
	}
	adminSub := subscribe(t, c.sig, "admin@nginx", c.admin, []int64{c.allTalk, ops}, false, wsURL(c.proxy))
	nginxSub := subscribe(t, c.sig, "member7@nginx", people[7], roomsOf(7), false, wsURL(c.proxy))
	all = append(all, yz...)
	all = append(all, signedOut...)
	all = append(all, adminSub, nginxSub)
	waitSubscribed(t, c.sig, all)

	// Posts through every way in at once, into both rooms.
	l := newLedger(c.sig)
	posters := []poster{
		httpPoster("http1", c.base(0), people[0], c.allTalk, l),
		httpPoster("http2", c.base(1), people[1], ops, l),
		httpPoster("http3", c.base(2), people[2], c.allTalk, l),
		httpPoster("nginx-a", c.proxy, people[3], ops, l),
		httpPoster("nginx-b", c.proxy, people[8], c.allTalk, l),
		cablePoster("cable2", byPerson[4], ops, l),       // a socket on instance 2
		cablePoster("cable3", byPerson[5], c.allTalk, l), // on instance 3
		cablePoster("cable1", byPerson[6], c.allTalk, l), // on instance 1
	}
	postAll(t, l, posters, 20, 25*time.Millisecond, 60*time.Second)
	if t.Failed() {
		return
	}
	inRoom := func(room int64) []*subscriber {
		var out []*subscriber
		for _, s := range all {
			if _, ok := s.rooms[room]; ok {
				out = append(out, s)
			}
		}
		return out
	}
	checkRoom(t, c, c.allTalk, l, inRoom(c.allTalk), 10*time.Second)
	checkRoom(t, c, ops, l, inRoom(ops), 10*time.Second)
	if t.Failed() {
		t.Fatalf("ledger: %s", l.summary())
	}

	post := func(p person, room int64, body string) int64 {
		t.Helper()
		cmid := "probe-" + randomName()
		r := c.as(p).must(t, ctx, "POST", fmt.Sprintf("/api/v1/rooms/%d/messages", room),
			map[string]string{"body": body, "client_message_id": cmid}, http.StatusCreated)
		l.ack(room, cmid, num(r, "id"))
		return num(r, "id")
	}
	// closedWithin checks subs are closed with code within a second of
	// start (when the revoking request was sent).
	closedWithin := func(what string, subs []*subscriber, code int, start time.Time) {
		t.Helper()
		waitFor(t, c.sig, time.Until(start.Add(time.Second)), what+": every socket closed with 4001 within 1s", func() bool {
			for _, s := range subs {
				if got, _ := s.closedWith(); got == 0 {
					return false
				}
			}
			return true
		})
		for _, s := range subs {
			if got, _ := s.closedWith(); got != code {
				t.Errorf("%s: %s closed with %d, want %d", what, s.name, got, code)
			}
		}
		t.Logf("%s: every instance closed the sockets within %v", what, time.Since(start).Round(time.Millisecond))
	}
	refused := func(what string, p person) {
		t.Helper()
		for i := range c.insts {
			api{base: c.base(i), token: p.token}.must(t, ctx, "GET", "/api/v1/users/me", nil, http.StatusUnauthorized)
		}
	}

	// Signing out one session closes its sockets on every instance; the
	// same person's other session keeps its socket.
	start := time.Now()
	c.as(viaNginx).must(t, ctx, "DELETE", "/api/v1/session", nil, http.StatusNoContent)
	closedWithin("sign-out", signedOut, 4001, start)
	refused("sign-out", viaNginx)
	still := post(c.admin, c.allTalk, "after the sign-out")
	waitFor(t, c.sig, 5*time.Second, "people[6]'s other session keeps getting messages", func() bool {
		return byPerson[6].saw(c.allTalk, still)
	})

	// Losing a closed room unsubscribes the sockets on every instance.
	var keep []int64
	for _, m := range opsMembers {
		if m.id != people[1].id {
			keep = append(keep, m.id)
		}
	}
	start = time.Now()
	c.as(c.admin).must(t, ctx, "PATCH", fmt.Sprintf("/api/v1/rooms/%d", ops), map[string]any{"user_ids": keep}, http.StatusOK)
	waitFor(t, c.sig, time.Until(start.Add(time.Second)), "removal: room.deleted on every socket of the removed member within 1s", func() bool {
		for _, s := range ySubs {
			s.mu.Lock()
			d := s.rooms[ops].deleted
			s.mu.Unlock()
			if !d {
				return false
			}
		}
		return true
	})
	t.Logf("removal: every instance told the sockets within %v", time.Since(start).Round(time.Millisecond))
	// A message to the room after that reaches the members (on every
	// instance) and not the removed one: once a message to another room,
	// posted after it, reaches the removed member's sockets, the first had
	// been handed out on their instances and skipped them.
	p1 := post(c.admin, ops, "after the removal")
	var rest []*subscriber
	for _, s := range inRoom(ops) {
		if s.p.id != people[1].id && s.p.id != viaNginx.id {
			rest = append(rest, s)
		}
	}
	waitFor(t, c.sig, 5*time.Second, "the remaining members get the message after the removal", func() bool {
		for _, s := range rest {
			if !s.saw(ops, p1) {
				return false
			}
		}
		return true
	})
	p2 := post(c.admin, c.allTalk, "marker")
	waitFor(t, c.sig, 5*time.Second, "the removed member's sockets get a later message of another room", func() bool {
		for _, s := range ySubs {
			if !s.saw(c.allTalk, p2) {
				return false
			}
		}
		return true
	})
	for _, s := range ySubs {
		if s.saw(ops, p1) {
			t.Errorf("%s got a message of a room it was removed from", s.name)
		}
	}
	if r, err := (api{base: c.base(0), token: people[1].token}).do(ctx, "GET", fmt.Sprintf("/api/v1/rooms/%d/messages", ops), nil); err != nil || r.status != http.StatusNotFound {
		t.Errorf("the removed member reads the room: %d %v, want 404", r.status, err)
	}

	// Deactivation closes the user's sockets on every instance.
	start = time.Now()
	c.as(c.admin).must(t, ctx, "DELETE", fmt.Sprintf("/api/v1/users/%d", people[2].id), nil, http.StatusNoContent)
	closedWithin("deactivation", zSubs, 4001, start)
	refused("deactivation", people[2])

	// Everyone still connected has every message; the rest saw a true
	// prefix, in order.
	gone := map[*subscriber]bool{}
	for _, s := range append(append(append([]*subscriber{}, signedOut...), zSubs...), ySubs...) {
		gone[s] = true
	}
	var live []*subscriber
	for _, s := range inRoom(c.allTalk) {
		if !gone[s] || s.p.id == people[1].id {
			live = append(live, s)
		}
	}
	hist := checkRoom(t, c, c.allTalk, l, live, 10*time.Second)
	for _, s := range append(append([]*subscriber{}, signedOut...), zSubs...) {
		checkSaw(t, s, c.allTalk, hist, false)
	}
	var opsLive []*subscriber
	for _, s := range rest {
		if !gone[s] {
			opsLive = append(opsLive, s)
		}
	}
	opsHist := checkRoom(t, c, ops, l, opsLive, 10*time.Second)
	for _, s := range ySubs {
		checkSaw(t, s, ops, opsHist[:len(opsHist)-1], true)
	}
}
