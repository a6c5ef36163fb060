package ui

import (
	"cmp"
	"context"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/render"
	"github.com/campfire-go/campfire/internal/wire"
)

// layout is what every page's frame needs.
type layout struct {
	Title       string
	Page        string // <body data-page>, which app.js reads
	Me          chat.User
	SignedIn    bool
	AccountName string
	LogoURL     string   // the account logo, "" for the built-in icon
	Sidebar     *sidebar // nil: a page without the sidebar (sign-in, errors)
	Flash       flash
	// CustomCSS is the account's stylesheet URL ("" for none) and
	// CanCreateRooms whether the new-room button shows (admin_tools.go).
	CustomCSS      string
	CanCreateRooms bool
}

// bareLayout is the frame of pages without a sidebar.
func (u *UI) bareLayout(r *http.Request, v *visit, title string) layout {
	name, logo, err := u.core.AccountBrand(r.Context())
	if err != nil || name == "" {
		name = "Campfire"
	}
	l := layout{Title: title, Page: "bare", Me: v.me, SignedIn: v.signedIn, AccountName: name, LogoURL: wire.LogoURL(logo)}
	u.applySettings(r, v, &l)
	return l
}

// fullLayout is the frame of signed-in pages: the sidebar with currentRoom
// marked, and the flash left by the last redirect.
func (u *UI) fullLayout(w http.ResponseWriter, r *http.Request, v *visit, page, title string, currentRoom int64) (layout, error) {
	l := u.bareLayout(r, v, title)
	l.Page = page
	sb, err := u.sidebar(r.Context(), v.me, currentRoom)
	if err != nil {
		return l, err
	}
	l.Sidebar = sb
	l.Flash = u.takeFlash(w, r)
	return l, nil
}

// sidebar lists the rooms: pings most recent first, shared rooms by name.
type sidebar struct {
	Direct []roomLink
	Shared []roomLink
}

type roomLink struct {
	ID            int64
	Name          string
	Direct        bool
	Closed        bool
	Unread        bool
	Current       bool
	Avatars       []int64 // the other people of a ping (first three)
	LastMessageAt string  // RFC 3339, for ordering pings live
	sortTime      time.Time
}

func (u *UI) sidebar(ctx context.Context, me chat.User, current int64) (*sidebar, error) {
	rooms, err := u.core.Rooms(ctx, me)
	if err != nil {
		return nil, err
	}
	sb := &sidebar{Direct: []roomLink{}, Shared: []roomLink{}}
	for _, r := range rooms {
		if r.Involvement == chat.InvolvementInvisible && r.ID != current {
			continue
		}
		l := roomLink{ID: r.ID, Name: r.Name, Unread: r.Unread && r.ID != current, Current: r.ID == current,
			Closed: r.Type == chat.RoomClosed, sortTime: r.LastMessageAt}
		if l.sortTime.IsZero() {
			l.sortTime = r.CreatedAt
		}
		l.LastMessageAt = wire.FormatTime(l.sortTime)
		if r.Type == chat.RoomDirect {
			members, err := u.core.Members(ctx, me, r.ID)
			if err != nil {
				return nil, err
			}
			l.Direct = true
			l.Name, l.Avatars = directName(members, me.ID)
			sb.Direct = append(sb.Direct, l)
		} else {
			sb.Shared = append(sb.Shared, l)
		}
	}
	slices.SortStableFunc(sb.Direct, func(a, b roomLink) int { return b.sortTime.Compare(a.sortTime) })
	slices.SortStableFunc(sb.Shared, func(a, b roomLink) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return sb, nil
}

// directName names a ping by its other people, as static/sidebar.js does.
func directName(members []chat.Member, me int64) (string, []int64) {
	var names []string
	var avatars []int64
	for _, m := range members {
		if m.User.ID == me {
			continue
		}
		names = append(names, m.User.Name)
		if len(avatars) < 3 {
			avatars = append(avatars, m.User.ID)
		}
	}
	if len(names) == 0 {
		return "Just you", []int64{me}
	}
	return strings.Join(names, ", "), avatars
}

// roomTitle is how a room is named in its header and the window title.
func roomTitle(r chat.RoomView, members []chat.Member, me int64) string {
	if r.Type == chat.RoomDirect {
		name, _ := directName(members, me)
		return name
	}
	return r.Name
}

// groupWindow is how close two messages by one person must be to share a
// header, as in static/messages.js.
const groupWindow = 5 * time.Minute

// messageView is a message as the page shows it; static/messages.js fills
// the same markup (the "message" template) from the JSON message.
type messageView struct {
	ID, RoomID, Seq, CreatorID int64
	ClientMessageID            string
	Body                       string
	BodyHTML                   template.HTML
	CreatorName                string
	CreatorIsBot               bool
	CreatedAt                  string // RFC 3339 with milliseconds, UTC
	UpdatedAt                  string
	EditedTime                 string // "Edited Jan 2 at 3:04 PM", "" when never edited
	Time                       string // "3:04 PM"
	FullTime                   string
	DaySeparator               string // label of a day separator before it, if any
	Continued                  bool   // same author within groupWindow: no header
	Mine, MentionsMe           bool
	EmojiOnly                  bool
	CanEdit                    bool
	Highlight                  bool // the permalink's target
	Boosts                     []boostView
	Attachment                 *attachmentView // the file, nil for none
	Preview                    *wire.Preview   // the link card, nil for none
	Sound                      *wire.Sound     // what "/play NAME" plays, nil otherwise
}

type boostView struct {
	ID          int64
	Content     string
	BoosterID   int64
	BoosterName string
	Mine        bool
}

// messageViews lays messages out: day separators and grouping, computed
// here for the first paint and by static/messages.js after.
func messageViews(ms []chat.Message, me chat.User, c clock, now time.Time, highlight int64) []messageView {
	out := make([]messageView, len(ms))
	var prev *chat.Message
	for i := range ms {
		m := &ms[i]
		v := messageView{
			ID: m.ID, RoomID: m.RoomID, Seq: m.Seq, CreatorID: m.CreatorID,
			ClientMessageID: m.ClientMessageID, Body: m.Body,
			// Sanitized by internal/render before it was stored.
			BodyHTML:     template.HTML(m.BodyHTML),
			CreatorName:  m.Creator.Name,
			CreatorIsBot: m.Creator.Role == chat.RoleBot,
			CreatedAt:    wire.FormatTime(m.CreatedAt),
			UpdatedAt:    wire.FormatTime(m.UpdatedAt),
			Time:         c.Time(m.CreatedAt),
			FullTime:     c.DateTime(m.CreatedAt, now),
			Mine:         m.CreatorID == me.ID,
			MentionsMe:   slices.Contains(m.Mentions, me.ID),
			EmojiOnly:    render.EmojiOnly(m.Body),
			CanEdit:      m.CreatorID == me.ID || me.IsAdmin(),
			Highlight:    m.ID == highlight,
			Attachment:   newAttachmentView(m.Attachment),
			Preview:      wire.NewPreview(m.Preview),
			Sound:        wire.NewSound(m.Body),
		}
		if !m.EditedAt.IsZero() {
			v.EditedTime = "Edited " + c.DateTime(m.EditedAt, now)
		}
		if prev == nil || c.DayKey(prev.CreatedAt) != c.DayKey(m.CreatedAt) {
			v.DaySeparator = c.Day(m.CreatedAt, now)
		} else if prev.CreatorID == m.CreatorID && m.CreatedAt.Sub(prev.CreatedAt) < groupWindow {
			v.Continued = true
		}
		for _, b := range m.Boosts {
			v.Boosts = append(v.Boosts, boostView{ID: b.ID, Content: b.Content, BoosterID: b.BoosterID,
				BoosterName: b.Booster.Name, Mine: b.BoosterID == me.ID})
		}
		out[i] = v
		prev = m
	}
	return out
}

// userView is a person in pickers and lists.
type userView struct {
	ID      int64
	Name    string
	Email   string
	Role    chat.Role
	Checked bool
	IsMe    bool
}
