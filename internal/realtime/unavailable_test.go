package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/campfire-go/campfire/internal/chat"
)

// TestErrorFrameUnavailable: a post refused because the database is out of
// reach is answered as the API answers it (503 "unavailable"), so the
// client retries with the same client_message_id; only real failures are
// "internal".
func TestErrorFrameUnavailable(t *testing.T) {
	h := &Hub{log: slog.New(slog.DiscardHandler)}
	for _, tc := range []struct {
		err  error
		code string
	}{
		{fmt.Errorf("room 1 for user 7: postgres: acquire a connection: %w: %w", chat.ErrUnavailable, errors.New("connection refused")), "unavailable"},
		{fmt.Errorf("post: %w", context.DeadlineExceeded), "unavailable"},
		{chat.NotFound("room"), "not_found"},
		{errors.New("a bug"), "internal"},
	} {
		var f struct {
			Type, Code, Message string
			RoomID              int64  `json:"room_id"`
			ClientMessageID     string `json:"client_message_id"`
		}
		if err := json.Unmarshal(h.errorFrame(tc.err, 1, "c1"), &f); err != nil {
			t.Fatal(err)
		}
		if f.Type != "error" || f.Code != tc.code || f.Message == "" || f.RoomID != 1 || f.ClientMessageID != "c1" {
			t.Errorf("%v: frame %+v, want code %s", tc.err, f, tc.code)
		}
	}
}
