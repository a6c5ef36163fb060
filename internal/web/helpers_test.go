package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/campfire-go/campfire/internal/web/webtest"
	"github.com/campfire-go/campfire/internal/wire"
)

// newServer is a stack that is already set up: s.AdminToken is the admin's.
func newServer(t testing.TB) *webtest.Server {
	t.Helper()
	s := webtest.New(t, webtest.Options{})
	s.Setup(t)
	return s
}

// scenario is one request and the answer it must get.
type scenario struct {
	name   string
	method string
	path   string
	body   any
	token  string
	status int
	code   string // expected error code, when status >= 400
}

func run(t *testing.T, s *webtest.Server, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			res := s.Do(t, sc.method, sc.path, sc.body, sc.token)
			if res.Status != sc.status {
				t.Fatalf("%s %s: status %d, want %d; body %s", sc.method, sc.path, res.Status, sc.status, res.Body)
			}
			if sc.status >= 400 {
				if got := res.ErrorCode(); sc.code != "" && got != sc.code {
					t.Fatalf("error code %q, want %q; body %s", got, sc.code, res.Body)
				}
				if ct := res.Header.Get("Content-Type"); ct != "application/json" {
					t.Fatalf("error Content-Type %q", ct)
				}
			}
		})
	}
}

// createRoom makes a room as token and returns it.
func createRoom(t testing.TB, s *webtest.Server, token, name, typ string, userIDs ...int64) wire.Room {
	t.Helper()
	if userIDs == nil {
		userIDs = []int64{}
	}
	var room wire.Room
	s.Must(t, http.StatusCreated, "POST", "/api/v1/rooms",
		map[string]any{"name": name, "type": typ, "user_ids": userIDs}, token).JSON(t, &room)
	return room
}

// post posts body to a room as token and returns the message.
func post(t testing.TB, s *webtest.Server, token string, roomID int64, body string) wire.Message {
	t.Helper()
	var m wire.Message
	s.Must(t, http.StatusCreated, "POST", roomPath(roomID, "messages"), map[string]string{"body": body}, token).JSON(t, &m)
	return m
}

// allTalk is the id of the room setup creates.
func allTalk(t testing.TB, s *webtest.Server) int64 {
	t.Helper()
	var res struct {
		Rooms []wire.Room `json:"rooms"`
	}
	s.Must(t, http.StatusOK, "GET", "/api/v1/rooms", nil, s.AdminToken).JSON(t, &res)
	for _, r := range res.Rooms {
		if r.Name == "All Talk" {
			return r.ID
		}
	}
	t.Fatal("no All Talk room")
	return 0
}

func roomPath(id int64, rest ...string) string {
	p := fmt.Sprintf("/api/v1/rooms/%d", id)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

func path(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// rawJSON is a body sent as is, labelled application/json.
func rawJSON(body string) webtest.Raw { return raw("application/json", body) }

// raw is a body sent as is with a content type.
func raw(contentType, body string) webtest.Raw {
	return webtest.Raw{ContentType: contentType, Body: body}
}
