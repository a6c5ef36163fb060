package campfire_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/broker/memory"
	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/render"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/store/sqlite"
)

func newRetryCore(t *testing.T) (*campfire.Core, chat.User, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	core := campfire.New(st, &session.DB{Store: st}, memory.New(0), render.New(),
		campfire.Options{BcryptCost: 4, PostBurst: 3, PostPer: time.Hour},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	_, admin, err := core.SetUp(ctx, campfire.Signup{AccountName: "A", Name: "Ada", Email: "ada@example.com", Password: "a password"}, campfire.Client{})
	if err != nil {
		t.Fatal(err)
	}
	rooms, err := core.Rooms(ctx, admin)
	if err != nil || len(rooms) == 0 {
		t.Fatalf("rooms: %v %v", rooms, err)
	}
	return core, admin, rooms[0].ID
}

func expectRetry(t *testing.T, core *campfire.Core, u chat.User, roomID int64, orig chat.Message) {
	t.Helper()
	m, created, err := core.PostMessage(context.Background(), u, roomID, "first", "c-1")
	if err != nil || created || m.ID != orig.ID {
		t.Fatalf("retry of c-1: id %d created %v err %v; want the original %d", m.ID, created, err, orig.ID)
	}
}

// A retry of a stored client_message_id answers the original even when the
// posting budget is spent (issue 11, item 5: it answered 429).
func TestRetryAfterBudgetIsSpent(t *testing.T) {
	ctx := context.Background()
	core, u, room := newRetryCore(t)
	orig, created, err := core.PostMessage(ctx, u, room, "first", "c-1")
	if err != nil || !created {
		t.Fatal(created, err)
	}
	for i := range 2 {
		if _, _, err := core.PostMessage(ctx, u, room, "more", "c-more-"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := core.PostMessage(ctx, u, room, "over", "c-over"); !isRateLimited(err) {
		t.Fatalf("a new message past the budget: %v, want rate_limited", err)
	}
	expectRetry(t, core, u, room, orig)
}

// Retries spend no budget at all: after five retries the rest of the
// budget is still there for new messages.
func TestRetrySpendsNoBudget(t *testing.T) {
	ctx := context.Background()
	core, u, room := newRetryCore(t)
	orig, created, err := core.PostMessage(ctx, u, room, "first", "c-1")
	if err != nil || !created {
		t.Fatal(created, err)
	}
	for range 5 {
		expectRetry(t, core, u, room, orig)
	}
	for i := range 2 {
		if _, created, err := core.PostMessage(ctx, u, room, "more", "c-more-"+string(rune('a'+i))); err != nil || !created {
			t.Fatalf("post %d after retries: created %v, %v; the retries spent the budget", i, created, err)
		}
	}
	if _, _, err := core.PostMessage(ctx, u, room, "over", "c-over"); !isRateLimited(err) {
		t.Fatalf("a new message past the budget: %v, want rate_limited", err)
	}
}

func isRateLimited(err error) bool {
	e, ok := chat.AsError(err)
	return ok && e.Kind == chat.KindRateLimited
}
