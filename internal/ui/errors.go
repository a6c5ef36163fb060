package ui

import (
	"context"
	"errors"
	"net/http"
	"unicode"
	"unicode/utf8"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/web"
)

type errorPage struct {
	layout
	Status  int
	Heading string
	Message string
}

// fail is the one place a handler's error becomes a response: a signed-out
// visitor goes to sign in; a client error is a readable page with its
// status; anything else is logged and shown as a calm "try again" page.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	if e, ok := chat.AsError(err); ok {
		if e.Kind == chat.KindUnauthorized && !v.signedIn {
			u.toSignIn(w, r)
			return
		}
		status := web.Status(e.Kind)
		heading := http.StatusText(status)
		switch e.Kind {
		case chat.KindNotFound:
			heading = "Not found"
			e = &chat.Error{Message: "There's nothing here, or it isn't yours to see."}
		case chat.KindForbidden:
			heading = "Not allowed"
		}
		if status >= 500 {
			u.log.Warn("page unavailable", "route", r.Pattern, "err", err)
		}
		web.SetRetryAfter(w, err)
		u.renderError(w, r, v, status, heading, sentence(e.Message))
		return
	}
	if errors.Is(err, context.Canceled) {
		return // the browser went away
	}
	u.log.Error("page failed", "method", r.Method, "route", r.Pattern, "err", err)
	u.renderError(w, r, v, http.StatusInternalServerError, "Something went wrong",
		"That didn't work, and it's not your fault. Try again in a moment.")
}

func (u *UI) renderError(w http.ResponseWriter, r *http.Request, v *visit, status int, heading, msg string) {
	p := errorPage{Status: status, Heading: heading, Message: msg}
	p.layout = u.bareLayout(r, v, heading)
	u.render(w, status, "error", &p)
}

// pathID parses a numeric path segment; anything else is a not-found page.
func pathID(r *http.Request, name string) (int64, error) {
	id, ok := web.ParseID(r.PathValue(name))
	if !ok || id <= 0 {
		return 0, chat.NotFound("page")
	}
	return id, nil
}

// formStatus is the status of a form shown again with its error.
func formStatus(err error) int {
	if e, ok := chat.AsError(err); ok {
		return web.Status(e.Kind)
	}
	return http.StatusUnprocessableEntity
}

// formError is the message to show beside a form for an error the person
// can fix by changing what they typed; ok is false for anything else.
func formError(err error) (string, bool) {
	e, ok := chat.AsError(err)
	if !ok {
		return "", false
	}
	switch e.Kind {
	case chat.KindInvalid, chat.KindConflict, chat.KindUnauthorized, chat.KindRateLimited,
		chat.KindTooLarge, chat.KindBadRequest, chat.KindForbidden:
		return sentence(e.Message), true
	}
	return "", false
}

// sentence starts a message with a capital letter, as a page shows it
// (the API's messages are lowercase fragments: "email or password is
// incorrect").
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
