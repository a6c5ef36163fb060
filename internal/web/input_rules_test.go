package web_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/campfire-go/campfire/internal/web/webtest"
)

// One input rule set for every door (issue 11, item 6): invalid UTF-8 in a
// JSON body is refused like the bot API refuses it, not stored with U+FFFD;
// message bodies refuse what names refuse; ids are canonical decimal.
func TestOneInputRuleSet(t *testing.T) {
	s := newServer(t)
	room := allTalk(t, s)
	m := post(t, s, s.AdminToken, room, "hello")
	bot := s.Must(t, http.StatusCreated, "POST", "/api/v1/bots", map[string]string{"name": "Deploy"}, s.AdminToken).Map(t)
	botPath := fmt.Sprintf("/rooms/%d/%s/messages", room, bot["bot_key"])
	raw := func(s string) webtest.Raw { return webtest.Raw{ContentType: "application/json", Body: s} }
	text := func(s string) webtest.Raw { return webtest.Raw{ContentType: "text/plain", Body: s} }
	run(t, s, []scenario{
		{"invalid UTF-8 in a JSON message", "POST", roomPath(room, "messages"), raw("{\"body\":\"a\xffb\"}"), s.AdminToken, 422, "invalid_utf8"},
		{"invalid UTF-8 in a JSON name", "PATCH", "/api/v1/users/me", raw("{\"name\":\"Ad\xc3a\"}"), s.AdminToken, 422, "invalid_utf8"},
		{"invalid UTF-8 from a bot", "POST", botPath, text("a\xffb"), "", 422, "invalid_body"},
		{"C1 control in a message", "POST", roomPath(room, "messages"), map[string]string{"body": "a\u0085b"}, s.AdminToken, 422, "invalid_body"},
		{"C1 control from a bot", "POST", botPath, text("a\u009bb"), "", 422, "invalid_body"},
		{"escape in a message", "POST", roomPath(room, "messages"), map[string]string{"body": "a\x1b[31mb"}, s.AdminToken, 422, "invalid_body"},
		{"noncharacter in a message", "POST", roomPath(room, "messages"), map[string]string{"body": "a\uFFFEb"}, s.AdminToken, 422, "invalid_body"},
		{"noncharacter in an edit", "PATCH", fmt.Sprintf("/api/v1/messages/%d", m.ID), map[string]string{"body": "a\uFDD0b"}, s.AdminToken, 422, "invalid_body"},
		{"noncharacter in a name", "PATCH", "/api/v1/users/me", map[string]string{"name": "Ada\U0001FFFF"}, s.AdminToken, 422, "invalid_name"},
		{"only zero-width spaces", "POST", roomPath(room, "messages"), map[string]string{"body": "\u200b\u200b\n\u2060"}, s.AdminToken, 422, "body_blank"},
		{"only zero-width spaces from a bot", "POST", botPath, text("\u200b"), "", 422, "body_blank"},
		{"tabs, lines and marks are text", "POST", roomPath(room, "messages"), map[string]string{"body": "a\tb\r\nשלום\u200f!"}, s.AdminToken, 201, ""},
		{"leading zero id", "GET", "/api/v1/rooms/0" + fmt.Sprint(room), nil, s.AdminToken, 404, "not_found"},
		{"plus sign id", "GET", "/api/v1/rooms/%2B" + fmt.Sprint(room), nil, s.AdminToken, 404, "not_found"},
		{"space before id", "GET", "/api/v1/rooms/%20" + fmt.Sprint(room), nil, s.AdminToken, 404, "not_found"},
		{"leading zero message id", "GET", fmt.Sprintf("/api/v1/messages/0%d", m.ID), nil, s.AdminToken, 404, "not_found"},
		{"leading zero cursor", "GET", roomPath(room, "messages") + "?before=01", nil, s.AdminToken, 400, "invalid_parameter"},
		{"canonical id", "GET", roomPath(room), nil, s.AdminToken, 200, ""},
	})
}
