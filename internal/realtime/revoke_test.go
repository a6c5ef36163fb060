package realtime

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/wire"
)

// Losing membership unsubscribes the socket: nothing posted to the room
// after the change reaches it, while its other rooms keep flowing.
func TestRemovedMemberStopsHearingTheRoomAtOnce(t *testing.T) {
	e := newCoreEnv(t, 2)
	ctx := context.Background()
	admin, bea := e.users[0], e.users[1]
	name, closed := "Secret", chat.RoomClosed
	ids := []int64{bea.ID}
	room, err := e.core.CreateRoom(ctx, admin, campfire.RoomInput{Name: &name, Type: &closed, UserIDs: &ids})
	if err != nil {
		t.Fatal(err)
	}
	c := e.dial(t, 1)
	c.subscribe(room.ID, 0)
	c.subscribe(e.roomID, 0)
	if _, _, err := e.core.PostMessage(ctx, admin, room.ID, "before", ""); err != nil {
		t.Fatal(err)
	}
	c.messages(room.ID, 1)

	none := []int64{}
	if _, err := e.core.UpdateRoom(ctx, admin, room.ID, campfire.RoomInput{UserIDs: &none}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.core.PostMessage(ctx, admin, room.ID, "after", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.core.PostMessage(ctx, admin, e.roomID, "marker", ""); err != nil {
		t.Fatal(err)
	}
	// Frames reach a socket in the order the hub handled their events; the
	// marker was published after "after", so "after" would precede it.
	c.next("the marker", func(f frame) bool {
		if f.Type == wire.TypeMessageCreated && f.RoomID == room.ID {
			t.Fatalf("a removed member got %q", f.msg().Body)
		}
		return f.Type == wire.TypeMessageCreated && f.RoomID == e.roomID
	})
}

// Signing out closes the sockets opened with that session (4001), and only
// those: the same person's other session keeps its socket.
func TestSignOutClosesThatSessionsSockets(t *testing.T) {
	e := newCoreEnv(t, 2)
	ctx := context.Background()
	other, _, err := e.core.SignIn(ctx, "u1@example.com", "password1", campfire.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	e.tokens = append(e.tokens, other)
	e.users = append(e.users, e.users[1])
	signedOut, kept := e.dial(t, 1), e.dial(t, 2)
	signedOut.subscribe(e.roomID, 0)
	kept.subscribe(e.roomID, 0)

	if err := e.core.SignOut(ctx, e.tokens[1]); err != nil {
		t.Fatal(err)
	}
	if code := signedOut.closeCode(); code != CloseUnauthorized {
		t.Fatalf("signed-out socket closed with %d, want %d", code, CloseUnauthorized)
	}
	if _, _, err := e.core.PostMessage(ctx, e.users[0], e.roomID, "still here?", ""); err != nil {
		t.Fatal(err)
	}
	if got := kept.messages(e.roomID, 1)[0].msg().Body; got != "still here?" {
		t.Fatalf("the other session's socket got %q", got)
	}
}

// One account cannot open sockets without bound.
func TestSocketsPerUserAreCapped(t *testing.T) {
	e := newCoreEnv(t, 1)
	for range DefaultConfig.MaxConnsPerUser {
		e.dial(t, 0)
	}
	_, res, err := (&websocket.Dialer{HandshakeTimeout: wait}).Dial(e.url, http.Header{"Authorization": {"Bearer " + e.tokens[0]}})
	if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("socket %d: err %v, response %v; want 429", DefaultConfig.MaxConnsPerUser+1, err, res)
	}
}

// Opens that race each other cannot exceed the cap either: the slot is
// taken before the upgrade, not counted before it and recorded after.
func TestSocketsPerUserCapHoldsUnderConcurrentOpens(t *testing.T) {
	e := newCoreEnv(t, 1)
	const tries = 48
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		open     []*websocket.Conn
		refused  int
		otherErr []error
	)
	start := make(chan struct{})
	for range tries {
		wg.Go(func() {
			<-start
			ws, res, err := (&websocket.Dialer{HandshakeTimeout: wait}).Dial(e.url, http.Header{"Authorization": {"Bearer " + e.tokens[0]}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				open = append(open, ws)
			case res != nil && res.StatusCode == http.StatusTooManyRequests:
				refused++
			default:
				otherErr = append(otherErr, err)
			}
		})
	}
	close(start)
	wg.Wait()
	for _, ws := range open {
		ws.Close()
	}
	if len(otherErr) > 0 {
		t.Fatalf("unexpected dial errors: %v", otherErr)
	}
	if len(open) != DefaultConfig.MaxConnsPerUser || refused != tries-DefaultConfig.MaxConnsPerUser {
		t.Fatalf("%d concurrent opens: %d open, %d refused; want %d open", tries, len(open), refused, DefaultConfig.MaxConnsPerUser)
	}
}

// A sign-out that lands between a socket's authentication and its
// registration in the hub found no socket to close; the hub looks again
// once the socket is registered, so it is closed all the same.
func TestSocketOpenedDuringSignOutIsClosed(t *testing.T) {
	e := newCoreEnv(t, 1)
	token := e.tokens[0]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := e.core.Authenticate(r.Context(), token, campfire.Client{})
		if err != nil {
			http.Error(w, "who?", http.StatusUnauthorized)
			return
		}
		// The race, made certain: revoked after the check, before the upgrade.
		if err := e.core.SignOut(r.Context(), token); err != nil {
			t.Error(err)
		}
		e.hub.ServeCable(w, r.WithContext(session.NewContext(r.Context(), session.Hash(token))), u)
	}))
	defer srv.Close()
	ws, _, err := (&websocket.Dialer{HandshakeTimeout: wait}).Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(wait))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, CloseUnauthorized) {
				t.Fatalf("socket ended with %v, want close %d", err, CloseUnauthorized)
			}
			return
		}
	}
}
