package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/campfire-go/campfire/internal/chat"
)

// Register adds every route of the API to mux. Each handler lives in its
// own noun_verb.go file. The adapters say who may call:
//
//	a.public  anyone (the handler or the core decides)
//	a.authed  a signed-in user: bearer token or session cookie
//	a.bot     a bot, by the key in the path ({bot_key})
func (a *API) Register(mux *http.ServeMux) {
	routes := []struct {
		pattern string
		handler http.Handler
	}{
		// Operations.
		{"GET /health", a.public(a.healthShow)},
		{"GET /up", a.public(a.healthShow)},
		{"GET /ready", a.public(a.readyShow)},

		// Account, sessions, joining.
		{"POST /api/v1/setup", a.public(a.setupCreate)},
		{"POST /api/v1/session", a.public(a.sessionCreate)},
		{"DELETE /api/v1/session", a.public(a.sessionDelete)},
		{"GET /api/v1/account", a.authed(a.accountShow)},
		{"PATCH /api/v1/account", a.authed(a.accountUpdate)},
		{"POST /api/v1/account/join_code", a.authed(a.joinCodeReset)},
		{"GET /api/v1/account/settings", a.authed(a.accountSettingsShow)},
		{"PATCH /api/v1/account/settings", a.authed(a.accountSettingsUpdate)},
		{"PUT /api/v1/account/logo", a.authed(a.logoUpdate)},
		{"POST /api/v1/account/logo", a.authed(a.logoUpdate)},
		{"DELETE /api/v1/account/logo", a.authed(a.logoDelete)},
		{"GET /logo", a.public(a.logoShow)},
		{"POST /api/v1/join/{join_code}", a.public(a.joinCreate)},

		// Users.
		{"GET /api/v1/users", a.authed(a.usersList)},
		{"GET /api/v1/users/me", a.authed(a.meShow)},
		{"PATCH /api/v1/users/me", a.authed(a.meUpdate)},
		{"GET /api/v1/users/{id}", a.authed(a.userShow)},
		{"PATCH /api/v1/users/{id}", a.authed(a.userUpdate)},
		{"DELETE /api/v1/users/{id}", a.authed(a.userDelete)},
		{"POST /api/v1/users/{id}/ban", a.authed(a.userBan)},
		{"POST /api/v1/users/{id}/unban", a.authed(a.userUnban)},
		{"POST /api/v1/users/me/signin_link", a.authed(a.signinLinkCreate)},
		{"POST /api/v1/users/{id}/signin_link", a.authed(a.signinLinkCreate)},
		{"GET /api/v1/users/{id}/avatar", a.authed(a.avatarShow)},
		{"PUT /api/v1/users/{id}/avatar", a.authed(a.avatarUpdate)},
		{"POST /api/v1/users/{id}/avatar", a.authed(a.avatarUpdate)},
		{"DELETE /api/v1/users/{id}/avatar", a.authed(a.avatarDelete)},
		{"GET /api/v1/users/me/avatar", a.authed(a.avatarShow)},
		{"PUT /api/v1/users/me/avatar", a.authed(a.avatarUpdate)},
		{"POST /api/v1/users/me/avatar", a.authed(a.avatarUpdate)},
		{"DELETE /api/v1/users/me/avatar", a.authed(a.avatarDelete)},
		{"GET /api/v1/bans", a.authed(a.bansList)},
		{"GET /api/v1/admin/status", a.authed(a.adminStatusShow)},
		{"POST /api/v1/bans", a.authed(a.banCreate)},
		{"DELETE /api/v1/bans/{ip}", a.authed(a.banDelete)},

		// Rooms.
		{"GET /api/v1/rooms", a.authed(a.roomsList)},
		{"POST /api/v1/rooms", a.authed(a.roomCreate)},
		{"POST /api/v1/rooms/direct", a.authed(a.directRoomCreate)},
		{"GET /api/v1/rooms/{id}", a.authed(a.roomShow)},
		{"PATCH /api/v1/rooms/{id}", a.authed(a.roomUpdate)},
		{"DELETE /api/v1/rooms/{id}", a.authed(a.roomDelete)},
		{"PUT /api/v1/rooms/{id}/involvement", a.authed(a.involvementUpdate)},
		{"POST /api/v1/rooms/{id}/read", a.authed(a.roomRead)},

		// Messages and boosts.
		{"GET /api/v1/rooms/{id}/messages", a.authed(a.messagesList)},
		{"POST /api/v1/rooms/{id}/messages", a.authed(a.messageCreate)},
		{"GET /api/v1/messages/{id}", a.authed(a.messageShow)},
		{"PATCH /api/v1/messages/{id}", a.authed(a.messageUpdate)},
		{"DELETE /api/v1/messages/{id}", a.authed(a.messageDelete)},
		{"POST /api/v1/messages/{id}/boosts", a.authed(a.boostCreate)},
		{"DELETE /api/v1/boosts/{id}", a.authed(a.boostDelete)},
		{"GET /api/v1/search", a.authed(a.searchShow)},

		// Files.
		{"POST /api/v1/rooms/{id}/attachments", a.authed(a.attachmentCreate)},
		{"GET /api/v1/messages/{id}/attachment", a.authed(a.attachmentShow)},
		{"GET /api/v1/messages/{id}/attachment/thumbnail", a.authed(a.thumbnailShow)},
		{"GET /api/v1/messages/{id}/preview_image", a.authed(a.previewImageShow)},
		{"GET /api/v1/searches/recent", a.authed(a.recentSearchesList)},
		{"DELETE /api/v1/searches/recent", a.authed(a.recentSearchesDelete)},

		// Bots, administered.
		{"GET /api/v1/bots", a.authed(a.botsList)},
		{"POST /api/v1/bots", a.authed(a.botCreate)},
		{"PATCH /api/v1/bots/{id}", a.authed(a.botUpdate)},
		{"POST /api/v1/bots/{id}/key", a.authed(a.botKeyReset)},
		{"DELETE /api/v1/bots/{id}", a.authed(a.botDelete)},

		// Campfire's bot API: the key in the path is the only credential.
		{"GET /rooms/{room_id}/{bot_key}/messages", a.bot(a.botMessagesList)},
		{"POST /rooms/{room_id}/{bot_key}/messages", a.bot(a.botMessageCreate)},
		{"PUT /rooms/{room_id}/{bot_key}/messages/{id}", a.bot(a.botMessageUpdate)},
		{"DELETE /rooms/{room_id}/{bot_key}/messages/{id}", a.bot(a.botMessageDelete)},
		{"POST /rooms/{room_id}/{bot_key}/messages/{id}/boosts", a.bot(a.botBoostCreate)},

		// Sounds for "/play NAME".
		{"GET /api/v1/sounds", a.public(a.soundsList)},
		{"GET /api/v1/sounds/{file}", a.public(a.soundShow)},

		// Web Push.
		{"GET /api/v1/push/vapid_public_key", a.authed(a.pushVAPIDKeyShow)},
		{"POST /api/v1/push_subscriptions", a.authed(a.pushSubscriptionCreate)},
		{"DELETE /api/v1/push_subscriptions", a.authed(a.pushSubscriptionDelete)},

		// Real time.
		{"GET /api/v1/cable", a.authed(a.cableServe)},
	}
	for _, rt := range routes {
		mux.Handle(rt.pattern, rt.handler)
	}
	// Anything else under /api/ answers in JSON, not the mux's plain text.
	mux.Handle("/api/", a.public(unmatched(mux)))
}

// unmatched answers paths under /api/ that no route takes: 405 with Allow
// when the path exists for other methods, else 404, both in JSON.
func unmatched(mux *http.ServeMux) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/api/" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			return chat.NotFound("page")
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return &statusError{http.StatusMethodNotAllowed, "method_not_allowed",
			fmt.Sprintf("%s is not allowed here; use %s", r.Method, strings.Join(allow, " or "))}
	}
}
