package web_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/campfire-go/campfire/internal/web"
	"github.com/campfire-go/campfire/internal/web/webtest"
)

// syncBuffer is a log sink the server's goroutines may share.
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

// The logs of real requests (a sign-in with a password, a bot posting with
// its key in the path) carry the request id, taken from X-Request-Id when
// sane and made otherwise, on the access line and on every line logged with
// the request's context, and never a password, token, bot key, cookie or
// Authorization header.
func TestLogsCarryRequestIDAndNoSecrets(t *testing.T) {
	inner := &syncBuffer{}
	innerLog := slog.New(web.RequestIDHandler(slog.NewJSONHandler(inner, nil)))
	s := webtest.New(t, webtest.Options{Register: func(mux *http.ServeMux, _ *webtest.Server) {
		mux.HandleFunc("GET /test/log", func(w http.ResponseWriter, r *http.Request) {
			innerLog.InfoContext(r.Context(), "doing the work")
			innerLog.InfoContext(r.Context(), "already named", "request_id", "kept")
		})
	}})
	adminToken, _ := s.Setup(t)

	send := func(method, path string, body any, token, id string) *webtest.Response {
		t.Helper()
		req := s.NewRequest(t, method, path, body, token)
		if id != "" {
			req.Header.Set("X-Request-Id", id)
		}
		return s.Send(t, req)
	}

	// Sign in with the password; the cookie and token come back.
	res := send("POST", "/api/v1/session", map[string]string{"email": "ada@example.com", "password": webtest.AdminPassword}, "", "signin-req-42")
	if res.Status != http.StatusCreated && res.Status != http.StatusOK {
		t.Fatalf("sign-in: %d %s", res.Status, res.Body)
	}
	if got := res.Header.Get("X-Request-Id"); got != "signin-req-42" {
		t.Fatalf("X-Request-Id echoed as %q", got)
	}
	var signedIn struct {
		Token string `json:"token"`
	}
	res.JSON(t, &signedIn)
	var cookies []string
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		cookies = append(cookies, c.Value)
	}
	// A wrong password too.
	send("POST", "/api/v1/session", map[string]string{"email": "ada@example.com", "password": "Wr0ngPassw0rd!x"}, "", "")

	var bot struct {
		ID     int64  `json:"id"`
		BotKey string `json:"bot_key"`
	}
	s.Must(t, http.StatusCreated, "POST", "/api/v1/bots", map[string]string{"name": "Deploy Bot"}, adminToken).JSON(t, &bot)
	var rooms struct {
		Rooms []struct {
			ID int64 `json:"id"`
		} `json:"rooms"`
	}
	s.Must(t, http.StatusOK, "GET", "/api/v1/rooms", nil, adminToken).JSON(t, &rooms)
	room := rooms.Rooms[0].ID
	botPath := "/rooms/" + itoa(room) + "/" + bot.BotKey + "/messages"
	res = send("POST", botPath, webtest.Raw{ContentType: "text/plain", Body: "deployed"}, "", "bot-req-7")
	if res.Status != http.StatusCreated {
		t.Fatalf("bot post: %d %s", res.Status, res.Body)
	}
	// A bot key on a path that matches nothing is not logged either.
	send("GET", "/rooms/"+itoa(room)+"/"+bot.BotKey+"/nowhere", nil, "", "")

	// Ids that are not sane are replaced.
	for _, bad := range []string{"has space", strings.Repeat("a", 129), "quote\"d", "ré"} {
		res := send("GET", "/up", nil, "", bad)
		if got := res.Header.Get("X-Request-Id"); got == bad || got == "" {
			t.Errorf("X-Request-Id %q answered with %q, want a fresh id", bad, got)
		}
	}
	send("GET", "/test/log", nil, adminToken, "inner-1")

	logs := s.Logs()
	for _, want := range []string{
		`request_id=signin-req-42`,
		`request_id=bot-req-7`,
		`path=/rooms/` + itoa(room) + `/[redacted]/messages`,
		`route="POST /rooms/{room_id}/{bot_key}/messages"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s", want)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if strings.Contains(line, "msg=request ") && !strings.Contains(line, "request_id=") {
			t.Errorf("access line without a request id: %s", line)
		}
	}
	secrets := map[string]string{
		"the password":       webtest.AdminPassword,
		"the wrong password": "Wr0ngPassw0rd!x",
		"the admin's token":  adminToken,
		"the sign-in token":  signedIn.Token,
		"the bot key":        bot.BotKey,
		"the bot key's token": func() string {
			_, tok, _ := strings.Cut(bot.BotKey, "-")
			return tok
		}(),
		"an Authorization header": "Bearer",
	}
	for i, c := range cookies {
		secrets["cookie "+itoa(int64(i))] = c
	}
	for what, secret := range secrets {
		if secret != "" && (strings.Contains(logs, secret) || strings.Contains(inner.String(), secret)) {
			t.Errorf("the log holds %s", what)
		}
	}

	// Lines the handlers log with the request's context carry its id; a
	// line that names one keeps its own.
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(inner.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 || lines[0]["request_id"] != "inner-1" || lines[1]["request_id"] != "kept" {
		t.Fatalf("handler lines = %v", lines)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
