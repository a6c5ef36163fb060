package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/app"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/testenv"
)

// server is one app.Build graph behind httptest, the way the binary and
// webtest run it.
type server struct {
	*httptest.Server
	stop func()
}

func startGraph(t *testing.T, cfg config.Config, log *slog.Logger) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g, err := app.Build(ctx, cfg, log, app.Options{NoUI: true})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := g.Run(ctx); err != nil {
			t.Errorf("background work: %v", err)
		}
	})
	var once sync.Once
	stop := func() {
		once.Do(func() {
			srv.Close()
			sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer scancel()
			_ = g.Hub.Shutdown(sctx)
			cancel()
			wg.Wait()
			g.Close()
		})
	}
	t.Cleanup(stop)
	return &server{Server: srv, stop: stop}
}

// call sends body (a string as text/plain, anything else as JSON) and
// decodes a JSON answer into out when given.
func (s *server) call(t *testing.T, method, path, token string, body any, out any) *http.Response {
	t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = bytes.NewBufferString(b), "text/plain"
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, path, res.StatusCode, b, err)
		}
	}
	return res
}

type botInfo struct {
	ID     int64  `json:"id"`
	BotKey string `json:"bot_key"`
}

// A team's CI bot posting 20 messages a second for 2 s gets through once
// the operator raises its limit (RATE_LIMIT_BOT_OVERRIDES, read by the real
// configuration loader), while a bot on the default budget is still refused
// with 429 and Retry-After. The bots are made first and the server started
// again with the override, as an operator would.
func TestBotWithRaisedLimitPostsTwentyASecond(t *testing.T) {
	if testing.Short() {
		t.Skip("posts for 2 s")
	}
	cfg := testenv.Config(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	s := startGraph(t, cfg, log)
	var setup struct {
		Token string `json:"token"`
	}
	if res := s.call(t, "POST", "/api/v1/setup", "", map[string]string{
		"account_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": "correct horse",
	}, &setup); res.StatusCode != 201 {
		t.Fatalf("setup: %d", res.StatusCode)
	}
	var ci, other botInfo
	for _, b := range []struct {
		name string
		dst  *botInfo
	}{{"CI", &ci}, {"Other", &other}} {
		if res := s.call(t, "POST", "/api/v1/bots", setup.Token, map[string]string{"name": b.name}, b.dst); res.StatusCode != 201 {
			t.Fatalf("creating bot %s: %d", b.name, res.StatusCode)
		}
	}
	var rooms struct {
		Rooms []struct {
			ID int64 `json:"id"`
		} `json:"rooms"`
	}
	s.call(t, "GET", "/api/v1/rooms", setup.Token, nil, &rooms)
	if len(rooms.Rooms) != 1 {
		t.Fatalf("rooms: %+v", rooms)
	}
	room := rooms.Rooms[0].ID
	s.stop()

	loaded, err := config.Load(nil, []string{fmt.Sprintf("RATE_LIMIT_BOT_OVERRIDES=%d=20/1s", ci.ID)})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Limits = loaded.Limits
	s = startGraph(t, cfg, log)

	// 20 a second for 2 s, paced by a ticker (a slow machine only posts
	// slower, never faster).
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for i := range 40 {
		<-tick.C
		res := s.call(t, "POST", fmt.Sprintf("/rooms/%d/%s/messages", room, ci.BotKey), "", fmt.Sprintf("build %d passed", i), nil)
		if res.StatusCode != 201 {
			t.Fatalf("CI bot post %d: %d (Retry-After %q), want 201", i, res.StatusCode, res.Header.Get("Retry-After"))
		}
	}

	// The default (30 per 10 s) still holds for the other bot.
	for i := range 200 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		res := s.call(t, "POST", fmt.Sprintf("/rooms/%d/%s/messages", room, other.BotKey), "", fmt.Sprintf("note %d", i), &e)
		if res.StatusCode == 201 {
			continue
		}
		if res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("default bot post %d: %d, want 201 or 429", i, res.StatusCode)
		}
		ra, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if err != nil || ra < 1 {
			t.Fatalf("429 with Retry-After %q, want whole seconds", res.Header.Get("Retry-After"))
		}
		if i < 30 || e.Error.Code != "rate_limited" {
			t.Fatalf("refused after %d posts with %q; the default allows 30 at once, then rate_limited", i, e.Error.Code)
		}
		return
	}
	t.Fatal("the default bot posted 200 messages in a row without a 429")
}
