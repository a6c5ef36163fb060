package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/campfire-go/campfire/internal/chat"
)

// recentSearches is how many past queries the search page offers.
const recentSearches = 8

type searchPage struct {
	layout
	Query    string
	Error    string
	Results  []searchResult
	Recent   []string
	Searched bool
}

type searchResult struct {
	messageView
	RoomName string
}

// searchShow finds the newest 100 matches in my rooms. Recent searches live
// in a cookie scoped to /search, so no other request carries them.
func (u *UI) searchShow(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	l, err := u.fullLayout(w, r, v, "search", "Search", 0)
	if err != nil {
		return err
	}
	p := &searchPage{layout: l, Query: q, Recent: readRecent(r)}
	if q != "" {
		p.Searched = true
		msgs, err := u.core.Search(r.Context(), v.me, q)
		if msg, ok := formError(err); ok {
			p.Error = msg
		} else if err != nil {
			return err
		} else {
			names := map[int64]string{}
			for _, rl := range append(l.Sidebar.Direct, l.Sidebar.Shared...) {
				names[rl.ID] = rl.Name
			}
			if len(msgs) > 0 {
				// Rooms hidden from the sidebar still have names.
				rooms, err := u.core.Rooms(r.Context(), v.me)
				if err != nil {
					return err
				}
				for _, rm := range rooms {
					if _, ok := names[rm.ID]; !ok && rm.Type != chat.RoomDirect {
						names[rm.ID] = rm.Name
					}
				}
			}
			for _, mv := range messageViews(msgs, v.me, v.clock, u.now(), 0) {
				mv.Continued, mv.DaySeparator = false, ""
				name := names[mv.RoomID]
				if name == "" {
					name = "a ping"
				}
				p.Results = append(p.Results, searchResult{messageView: mv, RoomName: name})
			}
			p.Recent = remember(p.Recent, q)
			u.writeRecent(w, r, p.Recent)
		}
	}
	u.render(w, http.StatusOK, "search", p)
	return nil
}

func readRecent(r *http.Request) []string {
	c, err := r.Cookie(searchesCookie)
	if err != nil {
		return nil
	}
	raw, err := url.QueryUnescape(c.Value)
	if err != nil {
		return nil
	}
	var qs []string
	if json.Unmarshal([]byte(raw), &qs) != nil || len(qs) > recentSearches {
		return nil
	}
	return qs
}

func remember(recent []string, q string) []string {
	if len(q) > 100 {
		return recent // too long to be worth a cookie
	}
	out := []string{q}
	for _, x := range recent {
		if !strings.EqualFold(x, q) && len(out) < recentSearches {
			out = append(out, x)
		}
	}
	return slices.Clip(out)
}

func (u *UI) writeRecent(w http.ResponseWriter, r *http.Request, qs []string) {
	b, _ := json.Marshal(qs)
	http.SetCookie(w, &http.Cookie{Name: searchesCookie, Value: url.QueryEscape(string(b)), Path: "/search",
		MaxAge: 90 * 24 * 3600, HttpOnly: true, Secure: u.secure(r), SameSite: http.SameSiteLaxMode})
}
