package ui

import (
	"net/http"
	"strconv"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/campfire-go/campfire/internal/chat"
)

type signinLinkPage struct {
	layout
	Token   string
	For     chat.User
	URL     string
	Expires string
	// Until is the expiry as the person's clock reads it ("12:05 PM", or
	// with its day when that is not today).
	Until string
	ForMe bool
}

// signinLinkShow is where a sign-in link lands: it names the person and
// asks, because a link preview or a mail scanner may GET it; only the
// button's POST signs in.
func (u *UI) signinLinkShow(w http.ResponseWriter, r *http.Request, v *visit) error {
	tok := r.PathValue("token")
	x, err := u.core.SignInLinkUser(r.Context(), tok, u.client(r))
	if err != nil {
		return u.linkError(w, r, v, err)
	}
	p := signinLinkPage{layout: u.bareLayout(r, v, "Sign in as "+x.Name), Token: tok, For: x}
	u.render(w, http.StatusOK, "signin_link", &p)
	return nil
}

// signinLinkUse signs this device in with the link (the page's button).
func (u *UI) signinLinkUse(w http.ResponseWriter, r *http.Request, v *visit) error {
	token, _, err := u.core.SignInWithLink(r.Context(), r.PathValue("token"), u.client(r))
	if err != nil {
		return u.linkError(w, r, v, err)
	}
	u.setSession(w, r, token)
	u.redirect(w, r, "/", "You're signed in on this device.")
	return nil
}

// signinLinkCreate makes a link for me (my profile) or, for an admin, for
// the person at /account/users/{id}/signin_link, and shows it with its QR
// code. It is a POST so a link is made only when asked for.
func (u *UI) signinLinkCreate(w http.ResponseWriter, r *http.Request, v *visit) error {
	id := v.me.ID
	if r.PathValue("id") != "" {
		var err error
		if id, err = pathID(r, "id"); err != nil {
			return err
		}
	}
	l, err := u.core.CreateSignInLink(r.Context(), v.me, id)
	if err != nil {
		return err
	}
	x, err := u.core.User(r.Context(), v.me, id)
	if err != nil {
		return err
	}
	lay, err := u.fullLayout(w, r, v, "signin-link", "Sign in on another device", 0)
	if err != nil {
		return err
	}
	u.render(w, http.StatusOK, "signin_link_new", &signinLinkPage{layout: lay, Token: l.Token, For: x,
		URL: u.api.SignInLinkURL(r, l.Token), Expires: l.ExpiresAt.UTC().Format(time.RFC3339), Until: until(v.clock, l.ExpiresAt, time.Now()), ForMe: id == v.me.ID})
	return nil
}

// signinLinkQR is a link as a QR code, for the other device's camera. It
// is only the token drawn, so it checks nothing but that the viewer is
// signed in (the token is the secret; it is never a sign-in by itself).
func (u *UI) signinLinkQR(w http.ResponseWriter, r *http.Request, v *visit) error {
	tok := r.PathValue("token")
	if len(tok) > 160 {
		return chat.NotFound("sign-in link")
	}
	png, err := qrcode.Encode(u.api.SignInLinkURL(r, tok), qrcode.Medium, 320)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(png)))
	_, _ = w.Write(png)
	return nil
}

// linkError says why a link did not work (the core's one message for
// every bad link) instead of the generic not-found page.
func (u *UI) linkError(w http.ResponseWriter, r *http.Request, v *visit, err error) error {
	if e, ok := chat.AsError(err); ok && e.Code == "invalid_signin_link" {
		u.renderError(w, r, v, http.StatusNotFound, "This link doesn't work", sentence(e.Message))
		return nil
	}
	return err
}

// until is t as a local time, with the day when it is not today.
func until(c clock, t, now time.Time) string {
	if c.DayKey(t) == c.DayKey(now) {
		return c.Time(t)
	}
	return c.DateTime(t, now)
}
