package ui

import (
	"net/http"
	"strings"

	"github.com/campfire-go/campfire/internal/chat"
)

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

// searchShow finds the newest 100 matches in my rooms and lists my recent
// searches, which the server keeps per person (so they follow me from
// device to device).
func (u *UI) searchShow(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	l, err := u.fullLayout(w, r, v, "search", "Search", 0)
	if err != nil {
		return err
	}
	forgetCookieSearches(w, r)
	p := &searchPage{layout: l, Query: q}
	if q != "" {
		p.Searched = true
		msgs, err := u.core.SearchAndRemember(r.Context(), v.me, q)
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
		}
	}
	recent, err := u.core.RecentSearches(r.Context(), v.me)
	if err != nil {
		return err
	}
	for _, rs := range recent {
		p.Recent = append(p.Recent, rs.Query)
	}
	u.render(w, http.StatusOK, "search", p)
	return nil
}

// forgetCookieSearches removes the cookie earlier versions kept recent
// searches in: the server keeps them now.
func forgetCookieSearches(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(searchesCookie); err == nil {
		http.SetCookie(w, &http.Cookie{Name: searchesCookie, Path: "/search", MaxAge: -1, HttpOnly: true,
			SameSite: http.SameSiteLaxMode})
	}
}
