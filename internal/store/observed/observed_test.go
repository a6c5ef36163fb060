package observed_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store/observed"
	"github.com/campfire-go/campfire/internal/store/sqlite"
)

func TestObservesEachCallByMethodName(t *testing.T) {
	ctx := context.Background()
	inner, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ops []string
	st := observed.New(inner, func(op string, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if d < 0 {
			t.Errorf("%s took %v", op, d)
		}
		ops = append(ops, op)
	})
	defer st.Close()
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	// Errors pass through unchanged, and are timed too.
	if _, err := st.Account(ctx); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("Account before setup: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(ops, []string{"Ping", "Account"}) {
		t.Fatalf("observed %v", ops)
	}
	if st.Unwrap() != inner {
		t.Error("Unwrap is not the inner store")
	}
	if !slices.Contains(observed.Operations(), "CreateMessage") || slices.Contains(observed.Operations(), "Close") {
		t.Errorf("operations %v", observed.Operations())
	}
}
