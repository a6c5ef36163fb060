package campfire

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/unfurl"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The queue is bounded and never blocks a poster: past it, messages are
// dropped with a log line. Messages without a link are not queued at all.
func TestPreviewQueueBounded(t *testing.T) {
	var logs syncBuffer
	c := &Core{log: slog.New(slog.NewTextHandler(&logs, nil))}
	c.SetPreviews(PreviewConfig{Fetcher: unfurl.New(unfurl.Config{}), Queue: 2})
	c.queuePreview(chat.Message{ID: 1, Body: "no link here"})
	for id := int64(2); id <= 6; id++ {
		c.queuePreview(chat.Message{ID: id, Body: "see https://example.com/"})
	}
	if n := len(c.media.previews.jobs); n != 2 {
		t.Fatalf("%d queued, want 2", n)
	}
	if n := strings.Count(logs.String(), "link preview queue full"); n != 3 {
		t.Fatalf("%d drops logged, want 3:\n%s", n, logs.String())
	}
	// An edit of a message that had a preview is queued even without a
	// link (the preview must go).
	c2 := &Core{log: c.log}
	c2.SetPreviews(PreviewConfig{Fetcher: unfurl.New(unfurl.Config{})})
	c2.queuePreview(chat.Message{ID: 1, Body: "gone", Preview: &chat.LinkPreview{URL: "https://example.com/"}})
	if len(c2.media.previews.jobs) != 1 {
		t.Fatal("an edit removing a link was not queued")
	}
	// Off: nothing is queued, nothing runs.
	off := &Core{log: c.log}
	off.SetPreviews(PreviewConfig{})
	off.queuePreview(chat.Message{ID: 1, Body: "https://example.com/"})
	off.runPreviews(context.Background()) // returns at once
}

// The workers are owned by runPreviews and stop when its context ends.
func TestPreviewWorkersStop(t *testing.T) {
	c := &Core{log: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))}
	c.SetPreviews(PreviewConfig{Fetcher: unfurl.New(unfurl.Config{}), Workers: 4})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		c.runPreviews(ctx)
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the preview workers did not stop")
	}
}
