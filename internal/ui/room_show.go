package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// firstPage is how many messages a room opens with; a permalink shows
// half as many on each side of its message.
const firstPage = 40

// quickBoosts are the boost picker's one-tap choices.
var quickBoosts = []string{"👍", "👏", "😂", "❤️", "🎉", "🔥", "👀", "🙏"}

type roomPage struct {
	layout
	Room         chat.RoomView
	RoomName     string
	Messages     []messageView
	Members      []memberData
	MemberCount  int
	CanManage    bool
	AtStart      bool // no older messages to load
	AtEnd        bool // the newest message is shown
	Focus        int64
	LastSeq      int64
	SyncedAt     string
	Involvement  involvementView
	QuickBoosts  []string
	Blank        messageView
	ComposerHint string
	MaxBodyBytes int
}

// memberData is what the composer's @-autocomplete knows of a member.
type memberData struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// roomShow is a room with its newest messages; reading them marks it read.
func (u *UI) roomShow(w http.ResponseWriter, r *http.Request, v *visit) error {
	return u.showRoom(w, r, v, 0)
}

// roomShowMessage is a permalink, /rooms/{id}/@{message_id}: the room
// around that message, which is highlighted and scrolled to.
func (u *UI) roomShowMessage(w http.ResponseWriter, r *http.Request, v *visit) error {
	at, ok := strings.CutPrefix(r.PathValue("at"), "@")
	id, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || id <= 0 {
		return chat.NotFound("page")
	}
	return u.showRoom(w, r, v, id)
}

func (u *UI) showRoom(w http.ResponseWriter, r *http.Request, v *visit, focus int64) error {
	ctx := r.Context()
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	// The room is read before its messages, so subscribing from its
	// LastSeq can only replay a message twice (dropped by id), never skip.
	room, err := u.core.RoomForUser(ctx, v.me, id)
	if err != nil {
		return err
	}
	members, err := u.core.Members(ctx, v.me, id)
	if err != nil {
		return err
	}
	syncedAt := u.now()
	var msgs []chat.Message
	atStart, atEnd := false, true
	if focus == 0 {
		if msgs, err = u.core.Messages(ctx, v.me, id, campfire.Page{Limit: firstPage}); err != nil {
			return err
		}
		atStart = len(msgs) < firstPage
	} else {
		m, err := u.core.Message(ctx, v.me, focus)
		if err != nil || m.RoomID != id {
			return chat.NotFound("message")
		}
		before, err := u.core.Messages(ctx, v.me, id, campfire.Page{Before: focus, Limit: firstPage / 2})
		if err != nil {
			return err
		}
		after, err := u.core.Messages(ctx, v.me, id, campfire.Page{After: focus, Limit: firstPage / 2})
		if err != nil {
			return err
		}
		msgs = append(append(before, m), after...)
		atStart, atEnd = len(before) < firstPage/2, len(after) < firstPage/2
		if atEnd {
			if err := u.core.MarkRead(ctx, v.me, id); err != nil {
				return err
			}
		}
	}

	name := roomTitle(room, members, v.me.ID)
	l, err := u.fullLayout(w, r, v, "room", name, id)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: lastRoomCookie, Value: strconv.FormatInt(id, 10), Path: "/",
		MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: u.secure(r), SameSite: http.SameSiteLaxMode})

	p := roomPage{
		layout: l, Room: room, RoomName: name,
		Messages:    messageViews(msgs, v.me, v.clock, u.now(), focus),
		MemberCount: len(members),
		CanManage:   v.me.IsAdmin() || room.CreatorID == v.me.ID,
		AtStart:     atStart, AtEnd: atEnd, Focus: focus,
		LastSeq:      room.LastSeq,
		SyncedAt:     wire.FormatTime(syncedAt),
		Involvement:  newInvolvementView(room),
		QuickBoosts:  quickBoosts,
		Blank:        messageView{CanEdit: true},
		MaxBodyBytes: u.core.Limits().MessageBytes,
	}
	p.ComposerHint = "Message " + name
	if room.Type != chat.RoomDirect {
		p.ComposerHint = "Message #" + name
	}
	for _, m := range members {
		p.Members = append(p.Members, memberData{ID: m.User.ID, Name: m.User.Name})
	}
	u.render(w, http.StatusOK, "room", &p)
	return nil
}

// involvementView is the room header's bell: where it is and where a click
// moves it.
type involvementView struct {
	Current     chat.Involvement
	Next        chat.Involvement
	Label       string
	Icon        string
	Description string
}

func newInvolvementView(r chat.RoomView) involvementView {
	next := chat.NextInvolvement(r.Type, r.Involvement)
	v := involvementView{Current: r.Involvement, Next: next}
	switch r.Involvement {
	case chat.InvolvementEverything:
		v.Label, v.Icon = "All messages", "bell-ring"
	case chat.InvolvementMentions:
		v.Label, v.Icon = "Mentions only", "bell"
	case chat.InvolvementNothing:
		v.Label, v.Icon = "Nothing", "bell-off"
	default:
		v.Label, v.Icon = "Hidden", "eye-off"
	}
	v.Description = involvementSentence(r.Involvement, next)
	return v
}

// involvementSentence is the bell's tooltip and accessible name: where it
// is and what a click does, in words (room.js's bellSentence matches).
func involvementSentence(current, next chat.Involvement) string {
	now := map[chat.Involvement]string{
		chat.InvolvementEverything: "every message",
		chat.InvolvementMentions:   "mentions only",
		chat.InvolvementNothing:    "off",
		chat.InvolvementInvisible:  "off, and the room is hidden from the sidebar",
	}
	click := map[chat.Involvement]string{
		chat.InvolvementEverything: "get every message",
		chat.InvolvementMentions:   "get mentions only",
		chat.InvolvementNothing:    "turn them off",
		chat.InvolvementInvisible:  "turn them off and hide the room",
	}
	return "Notifications: " + now[current] + ". Click to " + click[next] + "."
}
