package campfire

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
)

// answer is a ratelimit.Store that always gives the same answer.
type answer struct {
	ok    bool
	retry time.Duration
	err   error
}

func (a answer) AllowN(context.Context, string, int) (bool, time.Duration, error) {
	return a.ok, a.retry, a.err
}

func TestLimitPolicy(t *testing.T) {
	c := &Core{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()
	down := answer{err: errors.New("redis: connection refused")}

	if err := c.limit(ctx, answer{ok: true}, "k", 1, "posting", failOpen); err != nil {
		t.Errorf("allowed: %v", err)
	}
	err := c.limit(ctx, answer{retry: 3 * time.Second}, "k", 1, "posting", failOpen)
	if e, ok := chat.AsError(err); !ok || e.Kind != chat.KindRateLimited || e.Wait != 3*time.Second {
		t.Errorf("refused: %v, want rate_limited with a 3s wait", err)
	}
	if err := c.limit(ctx, down, "k", 1, "posting", failOpen); err != nil {
		t.Errorf("posting with an undecided limit: %v, want allowed", err)
	}
	err = c.limit(ctx, down, "k", 1, "signing in", failClosed)
	if e, ok := chat.AsError(err); !ok || e.Kind != chat.KindUnavailable {
		t.Errorf("signing in with an undecided limit: %v, want unavailable", err)
	}
}
