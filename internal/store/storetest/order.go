package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

// testSeqCommitOrder pins down that seq order is commit order: whenever a
// post returns seq N, a read straight after sees every seq up to N. A store
// that hands out seqs before it commits, or commits them out of order,
// fails here (a poster sees N while N-1 is still uncommitted), which is
// what would make the hub drop a late N-1 as a duplicate.
func testSeqCommitOrder(t *testing.T, s store.Store) {
	w := setup(t, s)
	const posters, each = 16, 25
	// window is how far back each check looks: well past the number of
	// posts that can be in flight at once (one per poster).
	const window = 2 * posters
	users := make([]chat.User, posters)
	for i := range users {
		users[i] = w.user(t, fmt.Sprintf("P%d", i))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failure string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if failure == "" {
			failure = fmt.Sprintf(format, args...)
		}
	}
	failed := func() bool { mu.Lock(); defer mu.Unlock(); return failure != "" }
	start := make(chan struct{})
	for i := range posters {
		wg.Go(func() {
			<-start
			for j := range each {
				if failed() {
					return
				}
				m, _, _, err := s.CreateMessage(ctx(t), store.NewMessage{RoomID: w.allTalk.ID, CreatorID: users[i].ID,
					Body: fmt.Sprintf("%d/%d", i, j), BodyHTML: "x", CreatedAt: time.Now()})
				if err != nil {
					fail("post: %v", err)
					return
				}
				from := max(0, m.Seq-window)
				page := store.Page{AfterSeq: from, Forward: true, Limit: chat.DefaultLimits.PageSize}
				got, err := s.Messages(ctx(t), w.allTalk.ID, page)
				if err != nil {
					fail("read after seq %d: %v", m.Seq, err)
					return
				}
				// The oldest of the page are from+1, from+2, … N, with no
				// hole; newer posts may follow them.
				for k, want := 0, from+1; want <= m.Seq; k, want = k+1, want+1 {
					if k >= len(got) || got[k].Seq != want {
						fail("post returned seq %d, but a read right after sees seqs %v (from %d): seq %d is not committed yet",
							m.Seq, seqs(got), from+1, want)
						return
					}
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if failure != "" {
		t.Fatal(failure)
	}
}

// testHostileText: text that is not valid UTF-8, or holds NUL, is taken
// without an error (PostgreSQL refuses such text, SQLite keeps it): it
// comes back unchanged or with the bad bytes replaced, and stays usable as
// a key (an idempotency key, a search term).
func testHostileText(t *testing.T, s store.Store) {
	setup(t, s)
	bad := "fox\x00den \xff\xfe end"
	okText := func(what, got, sent string) {
		t.Helper()
		if got != sent && (!utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0) {
			t.Errorf("%s: stored %q for %q: want it unchanged, or valid UTF-8 without NUL", what, got, sent)
		}
	}

	u, err := s.CreateUser(ctx(t), store.NewUser{Name: "N\x00a\xffme", Email: "x\xff@example.com", Bio: bad, Role: chat.RoleMember})
	must(t, err)
	got, err := s.User(ctx(t), u.ID)
	must(t, err)
	if got != u {
		t.Errorf("User() = %+v, CreateUser returned %+v", got, u)
	}
	okText("name", got.Name, "N\x00a\xffme")
	okText("bio", got.Bio, bad)
	if _, err := s.UserByEmail(ctx(t), "x\xff@example.com"); err != nil {
		t.Errorf("UserByEmail with the same bytes: %v", err)
	}

	ss, err := s.CreateSession(ctx(t), chat.Session{UserID: u.ID, TokenHash: "tok\x00\xff", IP: "10.0.0.1", UserAgent: "Agent\xff\x00/1"})
	must(t, err)
	gs, _, err := s.SessionByTokenHash(ctx(t), "tok\x00\xff")
	must(t, err)
	if gs.ID != ss.ID || gs.UserAgent != ss.UserAgent || gs.TokenHash != ss.TokenHash {
		t.Errorf("SessionByTokenHash = %+v, CreateSession returned %+v", gs, ss)
	}
	okText("user agent", gs.UserAgent, "Agent\xff\x00/1")
	must(t, s.TouchSession(ctx(t), ss.ID, time.Now(), "10.0.0.2", "Other\xc0\x00"))

	room, err := s.CreateRoom(ctx(t), store.NewRoom{Name: "R\x00\xff", Type: chat.RoomOpen, CreatorID: u.ID})
	must(t, err)
	gr, err := s.Room(ctx(t), room.ID)
	must(t, err)
	if gr.Name != room.Name {
		t.Errorf("Room().Name = %q, CreateRoom returned %q", gr.Name, room.Name)
	}
	okText("room name", gr.Name, "R\x00\xff")

	nm := store.NewMessage{RoomID: room.ID, CreatorID: u.ID, ClientMessageID: "k\x00\xff", Body: bad, BodyHTML: "<p>" + bad + "</p>",
		CreatedAt: time.Now()}
	m, created, _, err := s.CreateMessage(ctx(t), nm)
	must(t, err)
	if !created {
		t.Fatal("first post: created=false")
	}
	okText("body", m.Body, bad)
	okText("client message id", m.ClientMessageID, nm.ClientMessageID)
	gm, err := s.Message(ctx(t), m.ID)
	must(t, err)
	sameMessage(t, "Message() returns what CreateMessage did", gm, m)
	again, created, _, err := s.CreateMessage(ctx(t), nm)
	must(t, err)
	if created || again.ID != m.ID {
		t.Fatalf("retry with the same hostile key: created=%v id %d, want %d", created, again.ID, m.ID)
	}
	found, err := s.Search(ctx(t), u.ID, "den", 10)
	must(t, err)
	sameIDs(t, "search finds the hostile message", messageIDs(found), []int64{m.ID})

	um, err := s.UpdateMessage(ctx(t), m.ID, store.MessageUpdate{Body: "edit\x00\xff", BodyHTML: "x", UpdatedAt: time.Now()})
	must(t, err)
	okText("edited body", um.Body, "edit\x00\xff")
	b, err := s.CreateBoost(ctx(t), m.ID, u.ID, "\xff\x00!")
	must(t, err)
	gb, err := s.Boost(ctx(t), b.ID)
	must(t, err)
	if gb.Content != b.Content {
		t.Errorf("Boost().Content = %q, CreateBoost returned %q", gb.Content, b.Content)
	}
	okText("boost", gb.Content, "\xff\x00!")

	must(t, s.BanIP(ctx(t), "1.2.3.4\x00\xff"))
	wantErr(t, s.BanIP(ctx(t), "1.2.3.4\x00\xff"), chat.ErrConflict, "ban the same hostile ip twice")
	must(t, s.UnbanIP(ctx(t), "1.2.3.4\x00\xff"))
	_, err = s.UpdateAccountName(ctx(t), "Acme\x00\xff")
	must(t, err)
}
