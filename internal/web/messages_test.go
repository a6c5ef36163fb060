package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/web/webtest"
	"github.com/campfire-go/campfire/internal/wire"
)

type messageList struct {
	Messages []wire.Message `json:"messages"`
}

func list(t testing.TB, s *webtest.Server, token string, roomID int64, query string) []wire.Message {
	t.Helper()
	var res messageList
	s.Must(t, http.StatusOK, "GET", roomPath(roomID, "messages")+query, nil, token).JSON(t, &res)
	return res.Messages
}

func bodies(ms []wire.Message) string {
	b := make([]string, len(ms))
	for i, m := range ms {
		b[i] = m.Body
	}
	return strings.Join(b, ",")
}

func TestMessages(t *testing.T) {
	s := newServer(t)
	bea, beaUser := s.Join(t, "Bea Member")
	cyd, _ := s.Join(t, "Cyd Member")
	room := allTalk(t, s)

	var first wire.Message
	s.Must(t, http.StatusCreated, "POST", roomPath(room, "messages"),
		map[string]string{"body": "**hello** <script>x</script> @Cyd Member", "client_message_id": "c-1"}, bea).JSON(t, &first)
	if first.Seq != 1 || first.Creator.ID != beaUser.ID || first.ClientMessageID != "c-1" || first.RoomID != room {
		t.Fatalf("message %+v", first)
	}
	if !strings.Contains(first.BodyHTML, "<strong>hello</strong>") || strings.Contains(first.BodyHTML, "<script") {
		t.Fatalf("body_html %q", first.BodyHTML)
	}
	if len(first.Mentions) != 1 || first.Boosts == nil {
		t.Fatalf("mentions %v boosts %v", first.Mentions, first.Boosts)
	}
	for i := 2; i <= 5; i++ {
		post(t, s, bea, room, fmt.Sprint(i))
	}
	// Each commit is published with its seq, for the hubs to order.
	s.Events.Wait(t, 5*time.Second, wire.TypeMessageCreated, func(e broker.Event) bool {
		return e.RoomID == room && e.Seq == 5
	})
	all := list(t, s, cyd, room, "")
	if len(all) != 5 || all[1].Body != "2" || all[4].Seq != 5 {
		t.Fatalf("list %s", bodies(all))
	}

	pages := []struct{ query, want string }{
		{"?limit=2", "4,5"},
		{fmt.Sprintf("?before=%d&limit=2", all[3].ID), "2,3"},
		{fmt.Sprintf("?after=%d&limit=2", all[1].ID), "3,4"},
		{"?after_seq=3", "4,5"},
		{"?after_seq=5", ""},
		{"?after_seq=0&limit=2", all[0].Body + ",2"},
		{"?after=0&limit=3", all[0].Body + ",2,3"},
		{"?limit=100000", bodies(all)},
		{"?limit=99999999999999999999999", bodies(all)},
	}
	for _, p := range pages {
		if got := bodies(list(t, s, cyd, room, p.query)); got != p.want {
			t.Errorf("%s: %q, want %q", p.query, got, p.want)
		}
	}

	long := strings.Repeat("x", 64<<10)
	run(t, s, []scenario{
		{"bad before", "GET", roomPath(room, "messages") + "?before=abc", nil, cyd, 400, "invalid_parameter"},
		{"negative after", "GET", roomPath(room, "messages") + "?after=-1", nil, cyd, 400, "invalid_parameter"},
		{"zero before", "GET", roomPath(room, "messages") + "?before=0", nil, cyd, 400, "invalid_parameter"},
		{"zero limit", "GET", roomPath(room, "messages") + "?limit=0", nil, cyd, 400, "invalid_parameter"},
		{"bad limit", "GET", roomPath(room, "messages") + "?limit=ten", nil, cyd, 400, "invalid_parameter"},
		{"bad updated_since", "GET", roomPath(room, "messages") + "?updated_since=yesterday", nil, cyd, 400, "invalid_parameter"},
		{"two cursors", "GET", roomPath(room, "messages") + "?before=3&after=1", nil, cyd, 422, "invalid_cursor"},
		{"before with after_seq=0", "GET", roomPath(room, "messages") + "?before=3&after_seq=0", nil, cyd, 422, "invalid_cursor"},
		{"blank body", "POST", roomPath(room, "messages"), map[string]string{"body": " \n "}, cyd, 422, "body_blank"},
		{"no body", "POST", roomPath(room, "messages"), map[string]string{}, cyd, 422, "body_blank"},
		{"body at the limit", "POST", roomPath(room, "messages"), map[string]string{"body": long}, cyd, 201, ""},
		{"body over the limit", "POST", roomPath(room, "messages"), map[string]string{"body": long + "x"}, cyd, 413, "body_too_large"},
		{"request over the limit", "POST", roomPath(room, "messages"), map[string]string{"body": strings.Repeat(`"`, 100<<10)}, cyd, 413, "body_too_large"},
		{"body wrong type", "POST", roomPath(room, "messages"), map[string]any{"body": 12}, cyd, 400, "invalid_field"},
		{"client id too long", "POST", roomPath(room, "messages"), map[string]string{"body": "x", "client_message_id": strings.Repeat("c", 65)}, cyd, 422, "invalid_client_message_id"},
		{"not json", "POST", roomPath(room, "messages"), raw("text/plain", "hello"), cyd, 415, "unsupported_media_type"},
		{"malformed", "POST", roomPath(room, "messages"), rawJSON(`{"body":"x"`), cyd, 400, "invalid_json"},
		{"no auth", "POST", roomPath(room, "messages"), map[string]string{"body": "x"}, "", 401, "unauthorized"},
		{"show", "GET", path("/api/v1/messages/%d", first.ID), nil, cyd, 200, ""},
		{"show unknown", "GET", "/api/v1/messages/99999", nil, cyd, 404, "not_found"},
		{"show bad id", "GET", "/api/v1/messages/x", nil, cyd, 404, "not_found"},

		// Edit and delete: author or admin.
		{"other can't edit", "PATCH", path("/api/v1/messages/%d", first.ID), map[string]string{"body": "mine"}, cyd, 403, "forbidden"},
		{"other can't delete", "DELETE", path("/api/v1/messages/%d", all[1].ID), nil, cyd, 403, "forbidden"},
		{"blank edit", "PATCH", path("/api/v1/messages/%d", first.ID), map[string]string{"body": ""}, bea, 422, "body_blank"},
		{"edit unknown", "PATCH", "/api/v1/messages/99999", map[string]string{"body": "x"}, bea, 404, "not_found"},
		{"author edits", "PATCH", path("/api/v1/messages/%d", first.ID), map[string]string{"body": "edited"}, bea, 200, ""},
		{"admin edits", "PATCH", path("/api/v1/messages/%d", all[2].ID), map[string]string{"body": "moderated"}, s.AdminToken, 200, ""},
		{"author deletes", "DELETE", path("/api/v1/messages/%d", all[1].ID), nil, bea, 204, ""},
		{"deleted is gone", "GET", path("/api/v1/messages/%d", all[1].ID), nil, bea, 404, "not_found"},
		{"admin deletes", "DELETE", path("/api/v1/messages/%d", all[3].ID), nil, s.AdminToken, 204, ""},
	})

	t.Run("updated_since", func(t *testing.T) {
		since := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		got := list(t, s, cyd, room, "?updated_since="+url.QueryEscape(since))
		if bodies(got) != "edited,moderated" {
			t.Fatalf("updated since %s: %q", since, bodies(got))
		}
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)
		if got := list(t, s, cyd, room, "?updated_since="+url.QueryEscape(future)); len(got) != 0 {
			t.Fatalf("updated in the future: %q", bodies(got))
		}
	})
}

func TestBoosts(t *testing.T) {
	s := newServer(t)
	bea, _ := s.Join(t, "Bea Member")
	cyd, _ := s.Join(t, "Cyd Member")
	room := allTalk(t, s)
	m := post(t, s, bea, room, "boost me")
	secret := createRoom(t, s, bea, "Secret", "closed")
	hidden := post(t, s, bea, secret.ID, "hidden")

	var b wire.Boost
	s.Must(t, http.StatusCreated, "POST", path("/api/v1/messages/%d/boosts", m.ID), map[string]string{"content": " 🔥 "}, cyd).JSON(t, &b)
	if b.Content != "🔥" || b.MessageID != m.ID || b.Booster.Name != "Cyd Member" {
		t.Fatalf("boost %+v", b)
	}
	run(t, s, []scenario{
		{"at the limit", "POST", path("/api/v1/messages/%d/boosts", m.ID), map[string]string{"content": strings.Repeat("b", 16)}, bea, 201, ""},
		{"too long", "POST", path("/api/v1/messages/%d/boosts", m.ID), map[string]string{"content": strings.Repeat("b", 17)}, bea, 422, "boost_too_long"},
		{"blank", "POST", path("/api/v1/messages/%d/boosts", m.ID), map[string]string{"content": ""}, bea, 422, "boost_blank"},
		{"unknown message", "POST", "/api/v1/messages/9999/boosts", map[string]string{"content": "x"}, bea, 404, "not_found"},
		{"hidden message", "POST", path("/api/v1/messages/%d/boosts", hidden.ID), map[string]string{"content": "x"}, cyd, 404, "not_found"},
		{"other can't unboost", "DELETE", path("/api/v1/boosts/%d", b.ID), nil, bea, 403, "forbidden"},
		{"unknown boost", "DELETE", "/api/v1/boosts/9999", nil, cyd, 404, "not_found"},
		{"booster unboosts", "DELETE", path("/api/v1/boosts/%d", b.ID), nil, cyd, 204, ""},
		{"twice", "DELETE", path("/api/v1/boosts/%d", b.ID), nil, cyd, 404, "not_found"},
	})
	var got wire.Message
	s.Must(t, http.StatusOK, "GET", path("/api/v1/messages/%d", m.ID), nil, cyd).JSON(t, &got)
	if len(got.Boosts) != 1 || got.Boosts[0].Content != strings.Repeat("b", 16) {
		t.Fatalf("boosts %+v", got.Boosts)
	}
}

func TestSearch(t *testing.T) {
	s := newServer(t)
	bea, _ := s.Join(t, "Bea Member")
	cyd, _ := s.Join(t, "Cyd Member")
	secret := createRoom(t, s, bea, "Secret", "closed")
	post(t, s, bea, secret.ID, "the pineapple plan")
	post(t, s, bea, allTalk(t, s), "pineapple for everyone")
	direct := wire.Room{}
	s.Must(t, http.StatusCreated, "POST", "/api/v1/rooms/direct", map[string]any{"user_ids": []int64{s.Admin.ID}}, bea).JSON(t, &direct)
	post(t, s, bea, direct.ID, "pineapple between us")

	search := func(token, q string) string {
		var res messageList
		s.Must(t, http.StatusOK, "GET", "/api/v1/search?q="+url.QueryEscape(q), nil, token).JSON(t, &res)
		return bodies(res.Messages)
	}
	if got := search(cyd, "pineapple"); got != "pineapple for everyone" {
		t.Fatalf("cyd finds %q", got)
	}
	if got := search(bea, "pineapple"); strings.Count(got, "pineapple") != 3 {
		t.Fatalf("bea finds %q", got)
	}
	for _, q := range []string{"", `"unbalanced`, "AND OR NOT", "*", "pine*", "-x", "((("} {
		search(cyd, q) // odd queries are searched or ignored, never a 500
	}
	run(t, s, []scenario{
		{"too long", "GET", "/api/v1/search?q=" + strings.Repeat("q", 201), nil, cyd, 422, "query_too_long"},
		{"no auth", "GET", "/api/v1/search?q=x", nil, "", 401, "unauthorized"},
	})
}

func TestIdempotentPost(t *testing.T) {
	s := newServer(t)
	bea, _ := s.Join(t, "Bea Member")
	room := allTalk(t, s)
	const n = 10
	var (
		wg       sync.WaitGroup
		statuses [n]int
		ids      [n]int64
		errs     [n]error
		reqs     [n]*http.Request
	)
	for i := range n {
		reqs[i] = s.NewRequest(t, "POST", roomPath(room, "messages"),
			map[string]string{"body": "only once", "client_message_id": "retry-me"}, bea)
	}
	for i := range n {
		wg.Go(func() {
			res, err := s.Client().Do(reqs[i])
			if err != nil {
				errs[i] = err
				return
			}
			defer res.Body.Close()
			var m wire.Message
			errs[i] = json.NewDecoder(res.Body).Decode(&m)
			statuses[i], ids[i] = res.StatusCode, m.ID
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	created := 0
	for i := range n {
		switch statuses[i] {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Fatalf("post %d: status %d", i, statuses[i])
		}
		if ids[i] == 0 || ids[i] != ids[0] {
			t.Fatalf("ids %v", ids)
		}
	}
	if created != 1 {
		t.Fatalf("%d posts created a message; statuses %v", created, statuses)
	}
	if got := list(t, s, bea, room, ""); len(got) != 1 {
		t.Fatalf("stored %d messages", len(got))
	}
	// The same key from someone else, or in another room, is another message.
	cyd, _ := s.Join(t, "Cyd Member")
	s.Must(t, http.StatusCreated, "POST", roomPath(room, "messages"), map[string]string{"body": "only once", "client_message_id": "retry-me"}, cyd)
}
