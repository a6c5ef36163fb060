package realtime

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/app/engine"
	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/testenv"
)

// coreEnv is the hub in front of the real core on a real SQLite file: the
// message path as production runs it (commit in one transaction, then
// publish), with the cable authenticated by session token.
type coreEnv struct {
	core   *campfire.Core
	hub    *Hub
	url    string
	tokens []string
	users  []chat.User
	roomID int64
}

func newCoreEnv(t *testing.T, people int) *coreEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	// The backends production builds, on whichever database and broker the
	// test environment names (testenv.Config).
	eng, err := engine.Open(ctx, testenv.Config(t), logger, engine.Options{
		Core: campfire.Options{PostBurst: 1_000_000, PostPer: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	core, st := eng.Core, eng.Store
	hub := New(fastPosts, core, eng.Broker, eng.Presence, logger)
	core.SetLocalControl(hub.Handle) // as internal/app wires it
	var wg sync.WaitGroup
	wg.Go(func() { eng.Run(ctx) })
	wg.Go(func() { hub.Run(ctx) })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		u, err := core.Authenticate(r.Context(), token, campfire.Client{})
		if err != nil {
			http.Error(w, "who?", http.StatusUnauthorized)
			return
		}
		// As internal/web does: the socket remembers its session.
		hub.ServeCable(w, r.WithContext(session.NewContext(r.Context(), session.Hash(token))), u)
	}))
	t.Cleanup(func() {
		srv.Close()
		sctx, scancel := context.WithTimeout(context.Background(), wait)
		defer scancel()
		if err := hub.Shutdown(sctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		cancel()
		wg.Wait()
		eng.Close()
	})

	e := &coreEnv{core: core, hub: hub, url: "ws" + strings.TrimPrefix(srv.URL, "http")}
	token, admin, err := core.SetUp(ctx, campfire.Signup{AccountName: "Test", Name: "Admin", Email: "admin@example.com", Password: "password1"}, campfire.Client{})
	if err != nil {
		t.Fatal(err)
	}
	e.tokens, e.users = append(e.tokens, token), append(e.users, admin)
	acct, err := core.Account(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < people; i++ {
		token, u, err := core.Join(ctx, acct.JoinCode, campfire.Signup{Name: fmt.Sprint("User ", i), Email: fmt.Sprintf("u%d@example.com", i), Password: "password1"}, campfire.Client{})
		if err != nil {
			t.Fatal(err)
		}
		e.tokens, e.users = append(e.tokens, token), append(e.users, u)
	}
	rooms, err := st.RoomsForUser(ctx, admin.ID)
	if err != nil || len(rooms) == 0 {
		t.Fatalf("the first room: %v %v", rooms, err)
	}
	e.roomID = rooms[0].ID
	return e
}

func (e *coreEnv) dial(t *testing.T, i int) *client {
	t.Helper()
	ws, _, err := (&websocket.Dialer{HandshakeTimeout: wait}).Dial(e.url, http.Header{"Authorization": {"Bearer " + e.tokens[i]}})
	if err != nil {
		t.Fatalf("dial as %d: %v", i, err)
	}
	c := &client{t: t, user: e.users[i].ID, ws: ws, frames: make(chan frame, 1<<14), done: make(chan struct{}), pings: make(chan struct{}, 1)}
	t.Cleanup(func() {
		ws.Close()
		<-c.done
	})
	c.start()
	return c
}

// The ordering and reconnect guarantees hold on the real message path.
func TestWithRealCore(t *testing.T) {
	const people, perPoster = 5, 20
	e := newCoreEnv(t, people)
	ctx := context.Background()
	clients := make([]*client, people)
	for i := range clients {
		clients[i] = e.dial(t, i)
		clients[i].subscribe(e.roomID, 0)
	}
	var wg sync.WaitGroup
	for i := range people {
		wg.Go(func() { // over the cable
			for n := range perPoster {
				if err := clients[i].ws.WriteJSON(map[string]any{"type": "post", "room_id": e.roomID, "body": fmt.Sprint("cable ", n), "client_message_id": fmt.Sprint(i, "-", n)}); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() { // the HTTP path
			for n := range perPoster {
				if _, _, err := e.core.PostMessage(ctx, e.users[i], e.roomID, fmt.Sprint("http ", n), ""); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	total := int64(2 * people * perPoster)
	for _, c := range clients {
		expectSeqs(t, "client "+strconv.FormatInt(c.user, 10), c.messages(e.roomID, int(total)), seqRange(1, total)...)
	}

	// One client leaves; messages arrive while it is away; it resumes.
	away := clients[1]
	away.ws.Close()
	<-away.done
	for n := range 10 {
		e.core.PostMessage(ctx, e.users[0], e.roomID, fmt.Sprint("while away ", n), "")
	}
	back := e.dial(t, 1)
	wg.Go(func() {
		for n := range 10 {
			e.core.PostMessage(ctx, e.users[2], e.roomID, fmt.Sprint("during replay ", n), "")
		}
	})
	back.subscribe(e.roomID, total)
	wg.Wait()
	expectSeqs(t, "resumed client", back.messages(e.roomID, 20), seqRange(total+1, total+20)...)
}

// since=0 replays the room from its first message on the real store (the
// store once read a zero cursor as "the newest page").
func TestReplayFromStartWithRealCore(t *testing.T) {
	e := newCoreEnv(t, 2)
	ctx := context.Background()
	const n = 150 // more than one replay page
	for i := range n {
		if _, _, err := e.core.PostMessage(ctx, e.users[i%2], e.roomID, fmt.Sprint("before ", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	c := e.dial(t, 1)
	c.subscribe(e.roomID, 0)
	expectSeqs(t, "replay from 0", c.messages(e.roomID, n), seqRange(1, n)...)
}
