package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/web/webtest"
	"github.com/campfire-go/campfire/internal/wire"
)

type bot struct {
	wire.User
	WebhookURL string `json:"webhook_url"`
	BotKey     string `json:"bot_key"`
}

func createBot(t testing.TB, s *webtest.Server, name, webhook string) bot {
	t.Helper()
	var b bot
	s.Must(t, http.StatusCreated, "POST", "/api/v1/bots", map[string]string{"name": name, "webhook_url": webhook}, s.AdminToken).JSON(t, &b)
	if b.Role != "bot" || b.BotKey == "" || !strings.HasPrefix(b.BotKey, fmt.Sprint(b.ID)+"-") {
		t.Fatalf("bot %+v", b)
	}
	return b
}

func botPath(roomID int64, key string, rest ...string) string {
	p := fmt.Sprintf("/rooms/%d/%s/messages", roomID, key)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

func text(body string) webtest.Raw { return raw("text/plain", body) }

func TestBotAdministration(t *testing.T) {
	s := newServer(t)
	bea, _ := s.Join(t, "Bea Member")
	b := createBot(t, s, "Deploy Bot", "")
	run(t, s, []scenario{
		{"member can't create", "POST", "/api/v1/bots", map[string]string{"name": "Mine"}, bea, 403, "forbidden"},
		{"member can't list", "GET", "/api/v1/bots", nil, bea, 403, "forbidden"},
		{"blank name", "POST", "/api/v1/bots", map[string]string{"name": ""}, s.AdminToken, 422, "invalid_name"},
		{"bad webhook", "POST", "/api/v1/bots", map[string]string{"name": "x", "webhook_url": "ftp://x"}, s.AdminToken, 422, "invalid_webhook_url"},
		{"list", "GET", "/api/v1/bots", nil, s.AdminToken, 200, ""},
		{"update", "PATCH", path("/api/v1/bots/%d", b.ID), map[string]string{"name": "Ship Bot", "webhook_url": "https://example.com/hook"}, s.AdminToken, 200, ""},
		{"update a person", "PATCH", path("/api/v1/bots/%d", s.Admin.ID), map[string]string{"name": "x"}, s.AdminToken, 404, "not_found"},
		{"update bad id", "PATCH", "/api/v1/bots/zz", map[string]string{"name": "x"}, s.AdminToken, 404, "not_found"},
		{"member can't reset", "POST", path("/api/v1/bots/%d/key", b.ID), nil, bea, 403, "forbidden"},
	})
	var res struct {
		Bots []bot `json:"bots"`
	}
	s.Must(t, http.StatusOK, "GET", "/api/v1/bots", nil, s.AdminToken).JSON(t, &res)
	if len(res.Bots) != 1 || res.Bots[0].Name != "Ship Bot" || res.Bots[0].WebhookURL != "https://example.com/hook" || res.Bots[0].BotKey != "" {
		t.Fatalf("bots %+v", res.Bots)
	}

	room := allTalk(t, s)
	s.Must(t, http.StatusCreated, "POST", botPath(room, b.BotKey), text("v1"), "")
	var reset bot
	s.Must(t, http.StatusOK, "POST", path("/api/v1/bots/%d/key", b.ID), nil, s.AdminToken).JSON(t, &reset)
	if reset.BotKey == "" || reset.BotKey == b.BotKey {
		t.Fatalf("reset key %q", reset.BotKey)
	}
	s.Must(t, http.StatusNotFound, "POST", botPath(room, b.BotKey), text("old key"), "")
	s.Must(t, http.StatusCreated, "POST", botPath(room, reset.BotKey), text("new key"), "")
	s.Must(t, http.StatusNoContent, "DELETE", path("/api/v1/bots/%d", b.ID), nil, s.AdminToken)
	s.Must(t, http.StatusNotFound, "POST", botPath(room, reset.BotKey), text("deleted"), "")
}

func TestBotAPI(t *testing.T) {
	s := newServer(t)
	bea, _ := s.Join(t, "Bea Member")
	b := createBot(t, s, "Deploy Bot", "")
	room := allTalk(t, s)
	closed := createRoom(t, s, bea, "No Bots", "closed")
	withBot := createRoom(t, s, bea, "Bots Welcome", "closed", b.ID)

	res := s.Must(t, http.StatusCreated, "POST", botPath(room, b.BotKey), raw("application/x-www-form-urlencoded", "Deployed *v2*"), "")
	var m wire.Message
	res.JSON(t, &m)
	if m.Body != "Deployed *v2*" || m.Creator.ID != b.ID || m.Creator.Role != "bot" {
		t.Fatalf("bot message %+v", m)
	}
	loc := res.Header.Get("Location")
	if loc != path("/api/v1/messages/%d", m.ID) {
		t.Fatalf("Location %q", loc)
	}
	s.Must(t, http.StatusOK, "GET", loc, nil, bea)
	people := post(t, s, bea, room, "a person's message")

	wrongKey := fmt.Sprintf("%d-%s", b.ID, strings.Repeat("A", 43))
	run(t, s, []scenario{
		{"empty body", "POST", botPath(room, b.BotKey), text(""), "", 422, "body_blank"},
		{"blank body", "POST", botPath(room, b.BotKey), text(" \n"), "", 422, "body_blank"},
		{"too large", "POST", botPath(room, b.BotKey), text(strings.Repeat("x", 64<<10+1)), "", 413, "body_too_large"},
		{"multipart without a file", "POST", botPath(room, b.BotKey), raw("multipart/form-data; boundary=x", "--x--"), "", 422, "file_missing"},
		{"room not joined", "POST", botPath(closed.ID, b.BotKey), text("hi"), "", 404, "not_found"},
		{"room invited", "POST", botPath(withBot.ID, b.BotKey), text("hi"), "", 201, ""},
		{"unknown room", "POST", botPath(99999, b.BotKey), text("hi"), "", 404, "not_found"},
		{"bad room id", "POST", "/rooms/abc/" + b.BotKey + "/messages", text("hi"), "", 404, "not_found"},
		{"wrong key", "POST", botPath(room, wrongKey), text("hi"), "", 404, "not_found"},
		{"malformed key", "POST", botPath(room, "nonsense"), text("hi"), "", 404, "not_found"},
		{"a person's id", "POST", botPath(room, fmt.Sprintf("%d-x", s.Admin.ID)), text("hi"), "", 404, "not_found"},
		{"list", "GET", botPath(room, b.BotKey) + "?limit=5", nil, "", 200, ""},
		{"list bad param", "GET", botPath(room, b.BotKey) + "?before=x", nil, "", 400, "invalid_parameter"},
		{"list not joined", "GET", botPath(closed.ID, b.BotKey), nil, "", 404, "not_found"},
		{"edit own", "PUT", botPath(room, b.BotKey, fmt.Sprint(m.ID)), text("Deployed v3"), "", 200, ""},
		{"edit a person's", "PUT", botPath(room, b.BotKey, fmt.Sprint(people.ID)), text("hacked"), "", 403, "forbidden"},
		{"edit in the wrong room", "PUT", botPath(withBot.ID, b.BotKey, fmt.Sprint(m.ID)), text("x"), "", 404, "not_found"},
		{"edit blank", "PUT", botPath(room, b.BotKey, fmt.Sprint(m.ID)), text(""), "", 422, "body_blank"},
		{"boost", "POST", botPath(room, b.BotKey, fmt.Sprint(people.ID), "boosts"), text("👍"), "", 201, ""},
		{"boost too long", "POST", botPath(room, b.BotKey, fmt.Sprint(people.ID), "boosts"), text(strings.Repeat("b", 17)), "", 422, "boost_too_long"},
		{"boost way too long", "POST", botPath(room, b.BotKey, fmt.Sprint(people.ID), "boosts"), text(strings.Repeat("b", 1000)), "", 413, "body_too_large"},
		{"delete a person's", "DELETE", botPath(room, b.BotKey, fmt.Sprint(people.ID)), nil, "", 403, "forbidden"},
		{"delete own", "DELETE", botPath(room, b.BotKey, fmt.Sprint(m.ID)), nil, "", 204, ""},
		{"delete again", "DELETE", botPath(room, b.BotKey, fmt.Sprint(m.ID)), nil, "", 404, "not_found"},
	})

	t.Run("a bot key is not a session", func(t *testing.T) {
		s.Must(t, http.StatusUnauthorized, "GET", "/api/v1/users/me", nil, b.BotKey)
	})
	t.Run("logs never hold keys or tokens", func(t *testing.T) {
		logs := s.Logs()
		for _, secret := range []string{b.BotKey, s.AdminToken, bea, webtest.AdminPassword} {
			if strings.Contains(logs, secret) {
				t.Fatalf("the log holds a secret %q", secret)
			}
		}
		if !strings.Contains(logs, `route="POST /rooms/{room_id}/{bot_key}/messages"`) {
			t.Fatal("bot requests are not logged by route pattern")
		}
	})
}

func TestBotWebhook(t *testing.T) {
	s := newServer(t)
	bea, _ := s.Join(t, "Bea Member")
	type payload struct {
		User    wire.User          `json:"user"`
		Room    struct{ ID int64 } `json:"room"`
		Message wire.Message       `json:"message"`
	}
	got := make(chan payload, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p payload
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &p); err != nil || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		got <- p
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "pong to %s", p.User.Name)
	}))
	defer hook.Close()
	b := createBot(t, s, "Echo Bot", hook.URL)
	room := allTalk(t, s)

	post(t, s, bea, room, "nobody is called")
	m := post(t, s, bea, room, "hey @Echo Bot, ping")
	if len(m.Mentions) != 1 || m.Mentions[0] != b.ID {
		t.Fatalf("mentions %v, want the bot %d", m.Mentions, b.ID)
	}
	select {
	case p := <-got:
		if p.Message.ID != m.ID || p.Room.ID != room || p.User.Name != "Bea Member" {
			t.Fatalf("payload %+v", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook was not called")
	}

	// The reply appears in the room as the bot.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ms := list(t, s, bea, room, fmt.Sprintf("?after=%d", m.ID))
		if len(ms) > 0 {
			if ms[0].Body != "pong to Bea Member" || ms[0].Creator.ID != b.ID {
				t.Fatalf("reply %+v", ms[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no reply from the bot")
		}
		time.Sleep(10 * time.Millisecond) // polling the API, not synchronising
	}
	select {
	case p := <-got:
		t.Fatalf("unexpected webhook call for %q", p.Message.Body)
	default:
	}
}
