package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/campfire-go/campfire/client"
)

func TestNew(t *testing.T) {
	for _, u := range []string{"", "localhost:3000", "ftp://x", "http://"} {
		if _, err := client.New(u); err == nil {
			t.Errorf("New(%q): no error", u)
		}
	}
	c, err := client.New("http://example.com/chat/", client.WithToken("t"))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != "http://example.com/chat" || c.Token() != "t" || c.WithToken("u").Token() != "u" || c.Token() != "t" {
		t.Errorf("BaseURL %q Token %q", c.BaseURL(), c.Token())
	}
}

func TestOperations(t *testing.T) {
	w := newWorld(t)
	h := must[*client.Health](t)(w.anon.Health(ctx(t)))
	if h.Status != "ok" || h.Version != "test" {
		t.Errorf("health %+v", h)
	}
	if err := w.anon.Ready(ctx(t)); err != nil {
		t.Errorf("ready: %v", err)
	}
}

func TestAccountsAndSessions(t *testing.T) {
	w := newWorld(t)
	if w.me.Role != client.RoleAdmin || w.me.Email != "ada@example.com" || w.me.CreatedAt.IsZero() {
		t.Errorf("setup user %+v", w.me)
	}
	_, err := w.anon.Setup(ctx(t), "Again", "Eve", "eve@example.com", password)
	wantCode(t, err, http.StatusConflict, "already_set_up")

	// Sign in and out.
	s := must[*client.Session](t)(w.anon.SignIn(ctx(t), "ada@example.com", password))
	if s.Token == "" || s.User.ID != w.me.ID {
		t.Fatalf("sign in %+v", s)
	}
	other := w.anon.WithToken(s.Token)
	if _, err := other.Me(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := other.SignOut(ctx(t)); err != nil {
		t.Fatal(err)
	}
	_, err = other.Me(ctx(t))
	wantCode(t, err, http.StatusUnauthorized, "unauthorized")
	_, err = w.anon.SignIn(ctx(t), "ada@example.com", "wrong password")
	wantCode(t, err, http.StatusUnauthorized, "invalid_credentials")

	// Account and joining.
	acct := must[*client.Account](t)(w.admin.Account(ctx(t)))
	if acct.Name != "Test Co" || acct.JoinCode == "" || acct.JoinPath != "/join/"+acct.JoinCode {
		t.Errorf("account %+v", acct)
	}
	bea := must[*client.Session](t)(w.anon.Join(ctx(t), acct.JoinCode, "Bea", "bea@example.com", password))
	if bea.User.Role != client.RoleMember {
		t.Errorf("joined %+v", bea.User)
	}
	_, err = w.anon.Join(ctx(t), acct.JoinCode, "Bea 2", "bea@example.com", password)
	wantCode(t, err, http.StatusConflict, "email_taken")
	_, err = w.anon.Join(ctx(t), acct.JoinCode, "Cy", "cy@example.com", "short")
	wantCode(t, err, http.StatusUnprocessableEntity, "password_too_short")

	rotated := must[*client.Account](t)(w.admin.RotateJoinCode(ctx(t)))
	if rotated.JoinCode == acct.JoinCode {
		t.Error("join code did not change")
	}
	_, err = w.anon.Join(ctx(t), acct.JoinCode, "Cy", "cy@example.com", password)
	wantCode(t, err, http.StatusNotFound, "not_found")
	_, err = w.anon.WithToken(bea.Token).RotateJoinCode(ctx(t))
	wantCode(t, err, http.StatusForbidden, "forbidden")
}

// Sign-in is limited to 10 attempts per 3 minutes per address; the 429
// says when to try again.
func TestRateLimitRetryAfter(t *testing.T) {
	w := newWorld(t)
	var err error
	for range 20 {
		if _, err = w.anon.SignIn(ctx(t), "ada@example.com", "wrong password"); client.ErrorCode(err) == "rate_limited" {
			break
		}
	}
	e := wantCode(t, err, http.StatusTooManyRequests, "rate_limited")
	if e.RetryAfter <= 0 || e.RetryAfter > 3*time.Minute {
		t.Errorf("RetryAfter %v", e.RetryAfter)
	}
	if !strings.Contains(e.Error(), "429 rate_limited") {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestUsers(t *testing.T) {
	w := newWorld(t)
	bea, beaUser := w.join(t, "Bea", "bea@example.com")

	users := must[[]client.User](t)(bea.Users(ctx(t)))
	if len(users) != 2 {
		t.Fatalf("users %+v", users)
	}
	for _, u := range users {
		if u.ID == w.me.ID && u.Email != "" {
			t.Error("a member sees another user's email")
		}
	}
	u := must[*client.User](t)(bea.User(ctx(t), w.me.ID))
	if u.Name != "Ada Admin" || u.AvatarURL == "" {
		t.Errorf("user %+v", u)
	}
	_, err := bea.User(ctx(t), 999999)
	wantCode(t, err, http.StatusNotFound, "not_found")

	me := must[*client.User](t)(bea.Me(ctx(t)))
	if me.ID != beaUser.ID || me.Email != "bea@example.com" {
		t.Errorf("me %+v", me)
	}
	me = must[*client.User](t)(bea.UpdateMe(ctx(t), client.ProfileUpdate{Bio: new("Writes tests"), Name: new("Bea B")}))
	if me.Bio != "Writes tests" || me.Name != "Bea B" || me.Email != "bea@example.com" {
		t.Errorf("updated %+v", me)
	}
	_, err = bea.UpdateMe(ctx(t), client.ProfileUpdate{Name: new("")})
	wantCode(t, err, http.StatusUnprocessableEntity, "invalid_name")

	// Roles and deactivation are the admin's.
	_, err = bea.SetRole(ctx(t), w.me.ID, client.RoleMember)
	wantCode(t, err, http.StatusForbidden, "forbidden")
	promoted := must[*client.User](t)(w.admin.SetRole(ctx(t), beaUser.ID, client.RoleAdmin))
	if promoted.Role != client.RoleAdmin {
		t.Errorf("role %s", promoted.Role)
	}
	_, err = w.admin.SetRole(ctx(t), w.me.ID, client.RoleMember)
	wantCode(t, err, http.StatusUnprocessableEntity, "cannot_change_own_role")
	if err := w.admin.Deactivate(ctx(t), beaUser.ID); err != nil {
		t.Fatal(err)
	}
	_, err = bea.Me(ctx(t))
	wantCode(t, err, http.StatusUnauthorized, "unauthorized")
}

func TestRooms(t *testing.T) {
	w := newWorld(t)
	bea, beaUser := w.join(t, "Bea", "bea@example.com")
	cy, cyUser := w.join(t, "Cy", "cy@example.com")

	room := must[*client.Room](t)(w.admin.CreateRoom(ctx(t), client.NewRoom{Name: "Design", UserIDs: []int64{beaUser.ID}}))
	if room.Type != client.RoomClosed || room.CreatorID != w.me.ID || room.Name != "Design" || room.CreatedAt.IsZero() {
		t.Errorf("room %+v", room)
	}
	_, err := w.admin.CreateRoom(ctx(t), client.NewRoom{Name: strings.Repeat("x", 200)})
	wantCode(t, err, http.StatusUnprocessableEntity, "name_too_long")

	got := must[*client.Room](t)(bea.Room(ctx(t), room.ID))
	if len(got.Members) != 2 || got.Involvement == "" {
		t.Errorf("room with members %+v", got)
	}
	// Cy is not in the closed room: it does not exist for them.
	_, err = cy.Room(ctx(t), room.ID)
	wantCode(t, err, http.StatusNotFound, "not_found")

	rooms := must[[]client.Room](t)(bea.Rooms(ctx(t)))
	if len(rooms) != 2 { // All Talk and Design
		t.Errorf("rooms %+v", rooms)
	}

	renamed := must[*client.Room](t)(w.admin.UpdateRoom(ctx(t), room.ID, client.RoomUpdate{Name: new("Design 2"), UserIDs: []int64{beaUser.ID, cyUser.ID}}))
	if renamed.Name != "Design 2" {
		t.Errorf("renamed %+v", renamed)
	}
	if _, err := cy.Room(ctx(t), room.ID); err != nil {
		t.Errorf("cy added: %v", err)
	}
	_, err = bea.UpdateRoom(ctx(t), room.ID, client.RoomUpdate{Name: new("mine")})
	wantCode(t, err, http.StatusForbidden, "forbidden")
	open := client.RoomOpen
	opened := must[*client.Room](t)(w.admin.UpdateRoom(ctx(t), room.ID, client.RoomUpdate{Type: &open}))
	if opened.Type != client.RoomOpen {
		t.Errorf("type %s", opened.Type)
	}

	inv := must[*client.Room](t)(bea.SetInvolvement(ctx(t), room.ID, client.InvolvementInvisible))
	if inv.Involvement != client.InvolvementInvisible || !inv.Invisible {
		t.Errorf("involvement %+v", inv)
	}
	_, err = bea.SetInvolvement(ctx(t), room.ID, "loud")
	wantCode(t, err, http.StatusUnprocessableEntity, "invalid_involvement")

	dm, created := must2(t)(bea.DirectRoom(ctx(t), cyUser.ID))
	if !created || dm.Type != client.RoomDirect {
		t.Errorf("direct %+v created %v", dm, created)
	}
	again, created := must2(t)(cy.DirectRoom(ctx(t), beaUser.ID))
	if created || again.ID != dm.ID {
		t.Errorf("direct again %d created %v, want %d", again.ID, created, dm.ID)
	}

	if _, err := w.admin.PostMessage(ctx(t), room.ID, "hello", ""); err != nil {
		t.Fatal(err)
	}
	if err := bea.MarkRead(ctx(t), room.ID); err != nil {
		t.Fatal(err)
	}

	if err := bea.DeleteRoom(ctx(t), room.ID); client.ErrorCode(err) != "forbidden" {
		t.Errorf("member deleting: %v", err)
	}
	if err := w.admin.DeleteRoom(ctx(t), room.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.admin.Room(ctx(t), room.ID)
	wantCode(t, err, http.StatusNotFound, "not_found")
}

func must2(t testing.TB) func(r *client.Room, created bool, err error) (*client.Room, bool) {
	return func(r *client.Room, created bool, err error) (*client.Room, bool) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r, created
	}
}

func TestMessages(t *testing.T) {
	w := newWorld(t)
	bea, beaUser := w.join(t, "Bea", "bea@example.com")
	room := w.allTalk(t)

	var ids []int64
	for i := range 5 {
		m := must[*client.Message](t)(w.admin.PostMessage(ctx(t), room, "message "+string(rune('a'+i)), ""))
		if m.Seq != int64(i+1) || m.RoomID != room || m.Creator.ID != w.me.ID || len(m.ClientMessageID) != 32 {
			t.Fatalf("posted %+v", m)
		}
		ids = append(ids, m.ID)
	}
	m := must[*client.Message](t)(bea.PostMessage(ctx(t), room, "Hi **@Ada Admin**", "bea-1"))
	if m.BodyHTML == "" || m.Body != "Hi **@Ada Admin**" || !m.EditedAt.IsZero() || m.Creator.ID != beaUser.ID {
		t.Errorf("message %+v", m)
	}
	// The same client_message_id again: the same message, stored once.
	again := must[*client.Message](t)(bea.PostMessage(ctx(t), room, "Hi **@Ada Admin**", "bea-1"))
	if again.ID != m.ID {
		t.Errorf("retry stored a second message: %d != %d", again.ID, m.ID)
	}
	ids = append(ids, m.ID)

	seqs := func(ms []client.Message) (out []int64) {
		for _, m := range ms {
			out = append(out, m.Seq)
		}
		return out
	}
	check := func(name string, want []int64, opts ...client.MessagesOption) {
		t.Helper()
		got := seqs(must[[]client.Message](t)(bea.Messages(ctx(t), room, opts...)))
		if len(got) != len(want) {
			t.Errorf("%s: seqs %v, want %v", name, got, want)
			return
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: seqs %v, want %v", name, got, want)
				return
			}
		}
	}
	check("newest", []int64{1, 2, 3, 4, 5, 6})
	check("limit", []int64{5, 6}, client.Limit(2))
	check("before", []int64{2, 3}, client.Before(ids[3]), client.Limit(2))
	check("after", []int64{1, 2}, client.After(0), client.Limit(2))
	check("after id", []int64{5, 6}, client.After(ids[3]))
	check("after_seq", []int64{4, 5, 6}, client.AfterSeq(3))
	_, err := bea.Messages(ctx(t), room, client.After(1), client.Before(3))
	wantCode(t, err, http.StatusUnprocessableEntity, "invalid_cursor")
	_, err = bea.Messages(ctx(t), 999999)
	wantCode(t, err, http.StatusNotFound, "not_found")

	one := must[*client.Message](t)(bea.Message(ctx(t), ids[0]))
	if one.Body != "message a" {
		t.Errorf("message %+v", one)
	}

	// Edits and boosts show in updated_since.
	since := time.Now().Add(-time.Second)
	edited := must[*client.Message](t)(w.admin.EditMessage(ctx(t), ids[0], "message A"))
	if edited.Body != "message A" || edited.EditedAt.IsZero() {
		t.Errorf("edited %+v", edited)
	}
	_, err = bea.EditMessage(ctx(t), ids[0], "not mine")
	wantCode(t, err, http.StatusForbidden, "forbidden")
	b := must[*client.Boost](t)(bea.Boost(ctx(t), ids[1], "🔥"))
	if b.Content != "🔥" || b.MessageID != ids[1] || b.Booster.ID != beaUser.ID {
		t.Errorf("boost %+v", b)
	}
	_, err = bea.Boost(ctx(t), ids[1], strings.Repeat("x", 40))
	wantCode(t, err, http.StatusUnprocessableEntity, "boost_too_long")
	updated := must[[]client.Message](t)(bea.Messages(ctx(t), room, client.UpdatedSince(since)))
	if len(updated) != 2 {
		t.Errorf("updated since: %d messages", len(updated))
	}
	for _, m := range updated {
		if m.ID == ids[1] && (len(m.Boosts) != 1 || m.Boosts[0].ID != b.ID) {
			t.Errorf("boosted message %+v", m)
		}
	}
	if err := w.admin.DeleteBoost(ctx(t), b.ID); client.ErrorCode(err) != "forbidden" {
		t.Errorf("deleting another's boost: %v", err)
	}
	if err := bea.DeleteBoost(ctx(t), b.ID); err != nil {
		t.Fatal(err)
	}

	// Search, and its 422.
	found := must[[]client.Message](t)(bea.Search(ctx(t), "message"))
	if len(found) != 5 {
		t.Errorf("search: %d results", len(found))
	}
	_, err = bea.Search(ctx(t), strings.Repeat("q", 300))
	wantCode(t, err, http.StatusUnprocessableEntity, "query_too_long")

	_, err = bea.PostMessage(ctx(t), room, "   ", "")
	wantCode(t, err, http.StatusUnprocessableEntity, "body_blank")

	if err := w.admin.DeleteMessage(ctx(t), ids[2]); err != nil {
		t.Fatal(err)
	}
	_, err = bea.Message(ctx(t), ids[2])
	wantCode(t, err, http.StatusNotFound, "not_found")
	check("after delete", []int64{1, 2, 4, 5, 6})
}

// loseFirstAnswer sends the first POST to the server and then pretends
// the connection broke before the answer came back.
type loseFirstAnswer struct {
	rt   http.RoundTripper
	lost atomic.Bool
}

func (l *loseFirstAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := l.rt.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost && l.lost.CompareAndSwap(false, true) {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return nil, io.ErrUnexpectedEOF
	}
	return res, err
}

// PostMessage retries a post whose answer was lost, with the same
// client_message_id: the message is stored once.
func TestPostMessageRetry(t *testing.T) {
	w := newWorld(t)
	room := w.allTalk(t)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	lossy, err := client.New(w.srv.URL, client.WithToken(w.admin.Token()),
		client.WithHTTPClient(&http.Client{Transport: &loseFirstAnswer{rt: tr}}))
	if err != nil {
		t.Fatal(err)
	}
	m := must[*client.Message](t)(lossy.PostMessage(ctx(t), room, "once", ""))
	ms := must[[]client.Message](t)(w.admin.Messages(ctx(t), room))
	if len(ms) != 1 || ms[0].ID != m.ID {
		t.Fatalf("stored %d messages, want 1 (id %d)", len(ms), m.ID)
	}

	// A cancelled context is not retried.
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.admin.PostMessage(cctx, room, "never", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled post: %v", err)
	}
}

// A proxy's error page is still an *Error, with the status and what the
// headers said.
func TestErrorWithoutContractBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		http.Error(w, "<html>bad gateway</html>", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	_, err := c.Me(ctx(t))
	e := wantCode(t, err, http.StatusServiceUnavailable, "")
	if e.RetryAfter != 7*time.Second || e.Message != "Service Unavailable" {
		t.Errorf("error %+v", e)
	}
}

func TestBots(t *testing.T) {
	w := newWorld(t)
	bea, _ := w.join(t, "Bea", "bea@example.com")
	room := w.allTalk(t)

	_, err := bea.CreateBot(ctx(t), "Nope", "")
	wantCode(t, err, http.StatusForbidden, "forbidden")
	_, err = w.admin.CreateBot(ctx(t), "Hook", "not a url")
	wantCode(t, err, http.StatusUnprocessableEntity, "invalid_webhook_url")
	bot := must[*client.Bot](t)(w.admin.CreateBot(ctx(t), "Deploy Bot", ""))
	if bot.Key == "" || bot.Role != client.RoleBot {
		t.Fatalf("bot %+v", bot)
	}
	bots := must[[]client.Bot](t)(w.admin.Bots(ctx(t)))
	if len(bots) != 1 || bots[0].Key != "" || bots[0].ID != bot.ID {
		t.Errorf("bots %+v", bots)
	}

	bc := w.admin.Bot(bot.Key)
	m := must[*client.Message](t)(bc.Post(ctx(t), room, "Deployed **v2**"))
	if m.Creator.ID != bot.ID || m.BodyHTML != "<p>Deployed <strong>v2</strong></p>" {
		t.Errorf("bot message %+v", m)
	}
	_, err = bc.Post(ctx(t), room, "")
	wantCode(t, err, http.StatusUnprocessableEntity, "body_blank")
	_, err = bc.Post(ctx(t), 999999, "hello")
	wantCode(t, err, http.StatusNotFound, "not_found")

	ms := must[[]client.Message](t)(bc.Messages(ctx(t), room, client.AfterSeq(0)))
	if len(ms) != 1 || ms[0].ID != m.ID {
		t.Errorf("bot messages %+v", ms)
	}
	edited := must[*client.Message](t)(bc.Edit(ctx(t), room, m.ID, "Deployed v3"))
	if edited.Body != "Deployed v3" {
		t.Errorf("edited %+v", edited)
	}
	people := must[*client.Message](t)(bea.PostMessage(ctx(t), room, "nice", ""))
	_, err = bc.Edit(ctx(t), room, people.ID, "hijacked")
	wantCode(t, err, http.StatusForbidden, "forbidden")
	b := must[*client.Boost](t)(bc.Boost(ctx(t), room, people.ID, "🎉"))
	if b.Booster.ID != bot.ID || b.Content != "🎉" {
		t.Errorf("boost %+v", b)
	}
	if err := bc.Delete(ctx(t), room, m.ID); err != nil {
		t.Fatal(err)
	}

	// A new key replaces the old one at once; a deleted bot has none.
	reset := must[*client.Bot](t)(w.admin.ResetBotKey(ctx(t), bot.ID))
	_, err = bc.Post(ctx(t), room, "old key")
	wantCode(t, err, http.StatusNotFound, "not_found")
	if _, err := w.admin.Bot(reset.Key).Post(ctx(t), room, "new key"); err != nil {
		t.Fatal(err)
	}
	if err := w.admin.DeleteBot(ctx(t), bot.ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.admin.Bot(reset.Key).Post(ctx(t), room, "gone")
	wantCode(t, err, http.StatusNotFound, "not_found")
}
