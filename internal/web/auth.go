package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/session"
)

// SessionCookie is the cookie that carries a browser's session token.
const SessionCookie = "session_token"

// DeviceCookie holds the signed known-device token; it outlives sessions
// (signing out keeps it) so the owner's browser keeps its sign-in budget.
const DeviceCookie = "known_device"

const deviceCookieAge = 365 * 24 * time.Hour

// sessionCookieAge keeps people signed in, as Campfire does; signing out or
// deactivation revokes the token on the server regardless.
const sessionCookieAge = 365 * 24 * time.Hour

var (
	errUnauthorized = chat.Errorf(chat.KindUnauthorized, "unauthorized", "sign in first")
	errBadAuthz     = chat.Errorf(chat.KindUnauthorized, "unauthorized", "the Authorization header must be \"Bearer <token>\"")
	errCrossOrigin  = chat.Errorf(chat.KindForbidden, "cross_origin", "cross-origin requests can't change anything with a session cookie")
)

// UserFrom returns the user Authenticate put in ctx.
func UserFrom(ctx context.Context) (chat.User, bool) {
	u, ok := ctx.Value(authKey).(chat.User)
	return u, ok
}

// credentials returns the session token r presents: the Authorization
// header when there is one (a wrong one is not silently replaced by the
// cookie), else the session cookie.
func credentials(r *http.Request) (token string, viaCookie bool, err error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		tok = strings.TrimSpace(tok)
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return "", false, errBadAuthz
		}
		return tok, false, nil
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return c.Value, true, nil
	}
	return "", false, errUnauthorized
}

// Authenticate identifies the caller of r by bearer token or session cookie
// and returns r with the user in its context (see UserFrom). It fails with
// 401 unauthorized, or with 403 cross_origin for an unsafe request from
// another origin that relies on the cookie (a bearer token cannot be sent
// by a forged cross-site request, so it needs no such check). The UI
// package calls it to decide between a page and a redirect to sign in.
func (a *API) Authenticate(r *http.Request) (*http.Request, error) {
	token, viaCookie, err := credentials(r)
	if err != nil {
		return r, err
	}
	if viaCookie {
		if err := a.csrf.Check(r); err != nil {
			return r, errCrossOrigin
		}
	}
	ctx := r.Context()
	u, err := a.core.Authenticate(ctx, token, ClientFrom(r))
	if err != nil {
		return r, err
	}
	if info := infoFrom(ctx); info != nil {
		info.userID = u.ID
	}
	ctx = session.NewContext(context.WithValue(ctx, authKey, u), session.Hash(token))
	return r.WithContext(ctx), nil
}

// RequireUser is middleware for handlers that need a signed-in user; a
// failure is answered in JSON through WriteError.
func (a *API) RequireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, err := a.Authenticate(r)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// SetSessionCookie gives the browser its session token: HttpOnly, SameSite
// Lax, for the whole site, Secure when the browser came over TLS. It also
// marks the browser as a known device of the session's user, which keeps
// its own sign-in budget (campfire.Core.SignIn).
func (a *API) SetSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/",
		MaxAge: int(sessionCookieAge.Seconds()), Expires: time.Now().Add(sessionCookieAge),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.Secure(r),
	})
	// One session read, only when signing in; without it the browser just
	// stays unknown.
	if u, err := a.core.Authenticate(r.Context(), token, ClientFrom(r)); err == nil {
		http.SetCookie(w, &http.Cookie{
			Name: DeviceCookie, Value: a.core.DeviceToken(u.ID), Path: "/",
			MaxAge: int(deviceCookieAge.Seconds()), Expires: time.Now().Add(deviceCookieAge),
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.Secure(r),
		})
	}
}

// ClearSessionCookie tells the browser to forget its session token.
func (a *API) ClearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.Secure(r),
	})
}

// SignOut revokes the token r presents and clears the cookie. It succeeds
// for a token that is already invalid (signing out twice is fine), but a
// cookie-carried sign-out from another origin is refused.
func (a *API) SignOut(w http.ResponseWriter, r *http.Request) error {
	token, viaCookie, err := credentials(r)
	if err == errBadAuthz {
		return err
	}
	if viaCookie {
		if err := a.csrf.Check(r); err != nil {
			return errCrossOrigin
		}
	}
	if token != "" {
		if err := a.core.SignOut(r.Context(), token); err != nil {
			return err
		}
	}
	a.ClearSessionCookie(w, r)
	return nil
}
