package ui

import (
	"net/http"

	"github.com/campfire-go/campfire/internal/chat"
)

// access says who may use a route.
type access int

const (
	anyone access = iota // signed in or not (sign-in, join, first run)
	member               // signed in; others are sent to sign in
	admin                // signed-in administrators only
)

// route is one row of the table.
type route struct {
	pattern string
	who     access
	handle  handlerFunc
}

// routes is every page the UI serves. The JSON API (/api/v1/…), the bot
// API (/rooms/{room_id}/{bot_key}/messages…), /health, /up, /ready and
// /metrics belong to internal/web and share the mux; no pattern here
// overlaps them. A permalink /rooms/{id}/@{message_id} is matched as
// /rooms/{id}/{at} because a ServeMux wildcard is a whole segment.
func (u *UI) routes() []route {
	return []route{
		{"GET /{$}", member, u.homeShow},

		{"GET /first_run", anyone, u.firstRunShow},
		{"POST /first_run", anyone, u.firstRunCreate},
		{"GET /session/new", anyone, u.sessionNew},
		{"POST /session", anyone, u.sessionCreate},
		{"POST /session/delete", anyone, u.sessionDestroy},
		{"GET /join/{code}", anyone, u.joinShow},
		{"POST /join/{code}", anyone, u.joinCreate},
		{"GET /signin/{token}", anyone, u.signinLinkShow},
		{"POST /signin/{token}", anyone, u.signinLinkUse},
		{"GET /signin/{token}/qr.png", member, u.signinLinkQR},

		{"GET /rooms/new", member, u.roomNew},
		{"POST /rooms", member, u.roomCreate},
		{"GET /rooms/{id}", member, u.roomShow},
		{"GET /rooms/{id}/{at}", member, u.roomShowMessage},
		{"POST /rooms/{id}/messages", member, u.messageCreate},
		{"GET /rooms/{id}/edit", member, u.roomEdit},
		{"POST /rooms/{id}", member, u.roomUpdate},
		{"GET /rooms/{id}/delete", member, u.roomDeleteConfirm},
		{"POST /rooms/{id}/delete", member, u.roomDelete},
		{"POST /rooms/{id}/involvement", member, u.involvementUpdate},

		{"GET /pings/new", member, u.pingNew},
		{"POST /pings", member, u.pingCreate},

		{"GET /profile", member, u.profileEdit},
		{"POST /profile", member, u.profileUpdate},
		{"POST /profile/signin_link", member, u.signinLinkCreate},
		{"GET /users/{id}", member, u.userShow},
		{"GET /search", member, u.searchShow},
		{"POST /search/recent/delete", member, u.recentSearchesDelete},

		{"GET /account", admin, u.accountEdit},
		{"POST /account", admin, u.accountUpdate},
		{"POST /account/join_code", admin, u.joinCodeRegenerate},
		{"GET /account/join_code.png", admin, u.joinCodeQR},
		{"GET /account/users", admin, u.usersIndex},
		{"POST /account/users/{id}/role", admin, u.userRoleUpdate},
		{"POST /account/users/{id}/deactivate", admin, u.userDeactivate},
		{"POST /account/users/{id}/signin_link", admin, u.signinLinkCreate},
		{"POST /account/users/{id}/ban", admin, u.userBan},
		{"POST /account/users/{id}/unban", admin, u.userUnban},
		{"GET /account/bans", admin, u.bansIndex},
		{"POST /account/bans/delete", admin, u.banDelete},
		{"GET /account/settings", admin, u.settingsEdit},
		{"POST /account/settings", admin, u.settingsUpdate},
		{"GET /account/bots", admin, u.botsIndex},
		{"POST /account/bots", admin, u.botCreate},
		{"POST /account/bots/{id}", admin, u.botUpdate},
		{"POST /account/bots/{id}/key", admin, u.botKeyReset},
		{"POST /account/bots/{id}/delete", admin, u.botDelete},
		{"GET /account/status", admin, u.adminStatusShow},
	}
}

// Register mounts every page route and the assets on mux.
func (u *UI) Register(mux *http.ServeMux) {
	for _, rt := range u.routes() {
		mux.Handle(rt.pattern, u.wrap(rt))
	}
	mux.HandleFunc("GET /assets/{file}", u.assetShow)
	mux.HandleFunc("GET /favicon.ico", u.faviconShow)
	// The installable app (pwa.go): public, nothing personal.
	mux.HandleFunc("GET /manifest.webmanifest", u.manifestShow)
	mux.HandleFunc("GET /sw.js", u.serviceWorkerShow)
	mux.HandleFunc("GET /offline", u.offlineShow)
	mux.HandleFunc("GET /account/custom.css", u.customCSSShow)
	// Any other path outside /api/ is a readable "not found" page rather
	// than the mux's plain text.
	mux.Handle("/", u.wrap(route{"/", anyone, u.notFound}))
}

func (u *UI) notFound(http.ResponseWriter, *http.Request, *visit) error {
	return chat.NotFound("page")
}
