package ui

import (
	"net/http"
	"strconv"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/web"
)

// applySettings puts the account's settings into a page's frame: the
// custom stylesheet's link and whether the new-room button shows. A
// failed read leaves the defaults: the page still works without them.
func (u *UI) applySettings(r *http.Request, v *visit, l *layout) {
	s, err := u.core.AccountSettings(r.Context())
	if err != nil {
		l.CanCreateRooms = true
		return
	}
	l.CustomCSS = web.CustomCSSURL(s)
	l.CanCreateRooms = !s.AdminsCreateRooms || v.me.IsAdmin()
}

// customCSSShow serves the account's stylesheet as a file of our own, so
// the pages' CSP (style-src 'self') admits it and nothing is inlined. A
// URL with the current version is cached for good (a change is a new
// URL); any other is revalidated.
func (u *UI) customCSSShow(w http.ResponseWriter, r *http.Request) {
	s, err := u.core.AccountSettings(r.Context())
	if err != nil {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == strconv.FormatInt(s.CSSVersion, 10) && s.CSSVersion > 0 {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("Content-Length", strconv.Itoa(len(s.CustomCSS)))
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(s.CustomCSS))
	}
}

type settingsPage struct {
	layout
	Error             string
	AdminsCreateRooms bool
	CSS               string // the stylesheet's text (layout.CustomCSS is its URL)
	MaxCSS            int
}

// settingsEdit is the account's settings (admin): who creates rooms and
// the custom CSS.
func (u *UI) settingsEdit(w http.ResponseWriter, r *http.Request, v *visit) error {
	s, err := u.core.AccountSettings(r.Context())
	if err != nil {
		return err
	}
	l, err := u.fullLayout(w, r, v, "settings", "Settings", 0)
	if err != nil {
		return err
	}
	u.render(w, http.StatusOK, "settings", &settingsPage{layout: l, AdminsCreateRooms: s.AdminsCreateRooms,
		CSS: s.CustomCSS, MaxCSS: campfire.CustomCSSBytes})
	return nil
}

// settingsUpdate saves them.
func (u *UI) settingsUpdate(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := parseForm(r); err != nil {
		return err
	}
	admins := r.PostForm.Get("admins_create_rooms") == "1"
	css := r.PostForm.Get("custom_css")
	_, err := u.core.UpdateAccountSettings(r.Context(), v.me, campfire.SettingsUpdate{AdminsCreateRooms: &admins, CustomCSS: &css})
	if msg, ok := formError(err); ok {
		l, lerr := u.fullLayout(w, r, v, "settings", "Settings", 0)
		if lerr != nil {
			return lerr
		}
		u.render(w, formStatus(err), "settings", &settingsPage{layout: l, Error: msg, AdminsCreateRooms: admins,
			CSS: css, MaxCSS: campfire.CustomCSSBytes})
		return nil
	}
	if err != nil {
		return err
	}
	u.redirect(w, r, "/account/settings", "Settings saved.")
	return nil
}

// userBan bans a person (admin): deactivated, their addresses banned,
// their messages removed in the background.
func (u *UI) userBan(w http.ResponseWriter, r *http.Request, v *visit) error {
	return u.adminAction(w, r, "/account/bans", "Banned. Their messages are being removed.", func(id int64) error {
		return u.core.Ban(r.Context(), v.me, id)
	})
}

// userUnban lets a banned person back (admin).
func (u *UI) userUnban(w http.ResponseWriter, r *http.Request, v *visit) error {
	return u.adminAction(w, r, "/account/bans", "Unbanned: they can sign in again.", func(id int64) error {
		return u.core.Unban(r.Context(), v.me, id)
	})
}

func (u *UI) adminAction(w http.ResponseWriter, r *http.Request, back, done string, act func(int64) error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = act(id)
	if msg, ok := formError(err); ok {
		u.redirect(w, r, back, msg)
		return nil
	}
	if err != nil {
		return err
	}
	u.redirect(w, r, back, done)
	return nil
}

type bansPage struct {
	layout
	People []bannedPerson
	IPs    []string
}

type bannedPerson struct {
	chat.User
	IPs []string
}

// bansIndex lists banned people and banned addresses (admin), each with
// an unban button.
func (u *UI) bansIndex(w http.ResponseWriter, r *http.Request, v *visit) error {
	people, err := u.core.BannedPeople(r.Context(), v.me)
	if err != nil {
		return err
	}
	p := bansPage{People: make([]bannedPerson, 0, len(people))}
	for _, x := range people {
		ips, err := u.core.BanAddresses(r.Context(), v.me, x.ID)
		if err != nil {
			return err
		}
		p.People = append(p.People, bannedPerson{User: x, IPs: ips})
	}
	if p.IPs, err = u.core.BannedIPs(r.Context(), v.me); err != nil {
		return err
	}
	if p.layout, err = u.fullLayout(w, r, v, "bans", "Bans", 0); err != nil {
		return err
	}
	u.render(w, http.StatusOK, "bans", &p)
	return nil
}

// banDelete lifts one address's ban (admin).
func (u *UI) banDelete(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := parseForm(r); err != nil {
		return err
	}
	err := u.core.UnbanIP(r.Context(), v.me, r.PostForm.Get("ip"))
	if msg, ok := formError(err); ok {
		u.redirect(w, r, "/account/bans", msg)
		return nil
	}
	if err != nil {
		return err
	}
	u.redirect(w, r, "/account/bans", "Address unbanned.")
	return nil
}
