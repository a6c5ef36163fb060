package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/web/webtest"
	"github.com/campfire-go/campfire/internal/wire"
)

func TestAccountSettings(t *testing.T) {
	s := newServer(t)
	bea, _ := s.Join(t, "Bea Member")
	_, cyd := s.Join(t, "Cyd Member")

	run(t, s, []scenario{
		{"member can't read", "GET", "/api/v1/account/settings", nil, bea, 403, "forbidden"},
		{"member can't change", "PATCH", "/api/v1/account/settings", map[string]any{"admins_create_rooms": true}, bea, 403, "forbidden"},
		{"defaults", "GET", "/api/v1/account/settings", nil, s.AdminToken, 200, ""},
		{"member creates a room while allowed", "POST", "/api/v1/rooms", map[string]any{"name": "Before", "type": "open", "user_ids": []int64{}}, bea, 201, ""},
		{"only admins", "PATCH", "/api/v1/account/settings", map[string]any{"admins_create_rooms": true}, s.AdminToken, 200, ""},
		{"member refused", "POST", "/api/v1/rooms", map[string]any{"name": "After", "type": "closed", "user_ids": []int64{}}, bea, 403, "rooms_admins_only"},
		{"admin still creates", "POST", "/api/v1/rooms", map[string]any{"name": "Admin's", "type": "open", "user_ids": []int64{}}, s.AdminToken, 201, ""},
		{"pings still allowed", "POST", "/api/v1/rooms/direct", map[string]any{"user_ids": []int64{cyd.ID}}, bea, 201, ""},
		{"CSS too large", "PATCH", "/api/v1/account/settings", map[string]any{"custom_css": strings.Repeat("a", 64<<10+1)}, s.AdminToken, 413, "css_too_large"},
		{"not JSON", "PATCH", "/api/v1/account/settings", raw("text/plain", "x"), s.AdminToken, 415, ""},
	})

	var got struct {
		AdminsCreateRooms bool   `json:"admins_create_rooms"`
		CustomCSS         string `json:"custom_css"`
		CustomCSSURL      string `json:"custom_css_url"`
	}
	s.Must(t, http.StatusOK, "PATCH", "/api/v1/account/settings", map[string]any{"custom_css": "body { color: rgb(1, 2, 3) }"}, s.AdminToken).JSON(t, &got)
	if !got.AdminsCreateRooms || got.CustomCSS != "body { color: rgb(1, 2, 3) }" || got.CustomCSSURL != "/account/custom.css?v=1" {
		t.Fatalf("settings %+v", got)
	}
	s.Must(t, http.StatusOK, "PATCH", "/api/v1/account/settings", map[string]any{"admins_create_rooms": false}, s.AdminToken).JSON(t, &got)
	if got.AdminsCreateRooms || got.CustomCSSURL != "/account/custom.css?v=1" {
		t.Fatalf("settings after turning rooms back on %+v", got)
	}
	s.Must(t, http.StatusCreated, "POST", "/api/v1/rooms", map[string]any{"name": "Again", "type": "open", "user_ids": []int64{}}, bea)
}

// from sends a request as if from ip (the server trusts the proxy header).
func from(t *testing.T, s *webtest.Server, ip, method, path string, body any, token string) *webtest.Response {
	t.Helper()
	req := s.NewRequest(t, method, path, body, token)
	req.Header.Set("X-Forwarded-For", ip)
	return s.Send(t, req)
}

func TestBanAndUnban(t *testing.T) {
	s := webtest.New(t, webtest.Options{Config: func(c *config.Config) { c.TrustProxy = true }})
	s.Setup(t)
	_, bea := s.Join(t, "Bea Member")
	cydToken, _ := s.Join(t, "Cyd Member")
	room := allTalk(t, s)

	const beaIP = "203.0.113.7"
	signIn := func() *webtest.Response {
		return from(t, s, beaIP, "POST", "/api/v1/session", map[string]string{"email": "bea.member@example.com", "password": webtest.AdminPassword}, "")
	}
	res := signIn()
	if res.Status != http.StatusCreated {
		t.Fatalf("sign in: %d %s", res.Status, res.Body)
	}
	beaToken := res.Map(t)["token"].(string)
	var ids []int64
	for i := range 3 {
		var m wire.Message
		r := from(t, s, beaIP, "POST", roomPath(room, "messages"), map[string]string{"body": "spam " + string(rune('a'+i))}, beaToken)
		if r.Status != http.StatusCreated {
			t.Fatalf("post: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &m)
		ids = append(ids, m.ID)
	}
	keep := post(t, s, cydToken, room, "not spam")

	run(t, s, []scenario{
		{"member can't ban", "POST", path("/api/v1/users/%d/ban", bea.ID), nil, cydToken, 403, "forbidden"},
		{"member can't unban", "POST", path("/api/v1/users/%d/unban", bea.ID), nil, cydToken, 403, "forbidden"},
		{"not banned", "POST", path("/api/v1/users/%d/unban", bea.ID), nil, s.AdminToken, 422, "not_banned"},
		{"ban", "POST", path("/api/v1/users/%d/ban", bea.ID), nil, s.AdminToken, 204, ""},
		{"unknown", "POST", "/api/v1/users/999999/unban", nil, s.AdminToken, 404, "not_found"},
	})

	// Every message is removed, each announced to the room.
	for _, id := range ids {
		s.Events.Wait(t, 10*time.Second, wire.TypeMessageDeleted, func(e broker.Event) bool {
			return e.RoomID == room && strings.Contains(string(e.Frame), itoa(id))
		})
		s.Must(t, http.StatusNotFound, "GET", path("/api/v1/messages/%d", id), nil, s.AdminToken)
	}
	s.Must(t, http.StatusOK, "GET", path("/api/v1/messages/%d", keep.ID), nil, s.AdminToken)

	// Her address is banned: no sign-in from it, for anyone.
	if r := signIn(); r.Status == http.StatusCreated || r.ErrorCode() != "banned" {
		t.Fatalf("sign in from a banned address: %d %s", r.Status, r.Body)
	}
	// Her sessions from this machine (the test's own API calls) are not
	// banned: that would lock everyone out.
	if bans := string(s.Must(t, http.StatusOK, "GET", "/api/v1/bans", nil, s.AdminToken).Body); !strings.Contains(bans, beaIP) || strings.Contains(bans, "127.0.0.1") {
		t.Fatalf("bans %s", bans)
	}

	s.Must(t, http.StatusNoContent, "POST", path("/api/v1/users/%d/unban", bea.ID), nil, s.AdminToken)
	if r := signIn(); r.Status != http.StatusCreated {
		t.Fatalf("sign in after unban: %d %s", r.Status, r.Body)
	}
	if strings.Contains(string(s.Must(t, http.StatusOK, "GET", "/api/v1/bans", nil, s.AdminToken).Body), beaIP) {
		t.Fatal("ban outlived the unban")
	}
}

// A bot is removed from the Bots page, not banned: a ban made it a
// "banned" user whose messages the purge deleted, and unban answered 404,
// so it could never come back.
func TestBanRefusesBots(t *testing.T) {
	s := newServer(t)
	b := createBot(t, s, "Deploy Bot", "")
	run(t, s, []scenario{
		{"ban a bot", "POST", path("/api/v1/users/%d/ban", b.ID), nil, s.AdminToken, 422, "invalid_user"},
	})
	s.Must(t, http.StatusOK, "GET", "/api/v1/bots", nil, s.AdminToken)
	if !strings.Contains(string(s.Must(t, http.StatusOK, "GET", "/api/v1/bots", nil, s.AdminToken).Body), "Deploy Bot") {
		t.Fatal("the bot is gone after a refused ban")
	}
}
