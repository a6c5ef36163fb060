package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
)

// handlerFunc is an API handler: it writes its success itself and returns
// any failure to WriteError, the one place that answers errors.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// userHandlerFunc is a handler for an authenticated caller (person or bot).
type userHandlerFunc func(w http.ResponseWriter, r *http.Request, u chat.User) error

// public adapts a handler that needs no credentials.
func (a *API) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// API answers are per user and often secret (tokens, join codes).
		w.Header().Set("Cache-Control", "no-store")
		if err := h(w, r); err != nil {
			a.WriteError(w, r, err)
		}
	})
}

// authed adapts a handler for a signed-in user (see Authenticate).
func (a *API) authed(h userHandlerFunc) http.Handler {
	return a.public(func(w http.ResponseWriter, r *http.Request) error {
		r, err := a.Authenticate(r)
		if err != nil {
			return err
		}
		u, _ := UserFrom(r.Context())
		return h(w, r, u)
	})
}

// bot adapts a handler of Campfire's bot API: the {bot_key} path segment is
// the credential, and any failure to match it is a plain 404.
func (a *API) bot(h userHandlerFunc) http.Handler {
	return a.public(func(w http.ResponseWriter, r *http.Request) error {
		u, err := a.core.AuthenticateBot(r.Context(), r.PathValue("bot_key"))
		if err != nil {
			return err
		}
		if info := infoFrom(r.Context()); info != nil {
			info.userID = u.ID
		}
		return h(w, r, u)
	})
}

// statusError is an answer with a status chat.Kind has no name for (405).
type statusError struct {
	status        int
	code, message string
}

func (e *statusError) Error() string { return e.code + ": " + e.message }

// retryAfterer is implemented by errors that know when to try again; the
// 429 answer then carries Retry-After.
type retryAfterer interface{ RetryAfter() time.Duration }

// errorBody is the contract's error shape.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// statusOf maps each kind of client-facing error to its one status.
var statusOf = map[chat.Kind]int{
	chat.KindInternal:     http.StatusInternalServerError,
	chat.KindInvalid:      http.StatusUnprocessableEntity,
	chat.KindBadRequest:   http.StatusBadRequest,
	chat.KindUnauthorized: http.StatusUnauthorized,
	chat.KindForbidden:    http.StatusForbidden,
	chat.KindNotFound:     http.StatusNotFound,
	chat.KindConflict:     http.StatusConflict,
	chat.KindTooLarge:     http.StatusRequestEntityTooLarge,
	chat.KindUnsupported:  http.StatusUnsupportedMediaType,
	chat.KindRateLimited:  http.StatusTooManyRequests,
	chat.KindUnavailable:  http.StatusServiceUnavailable,
}

// Status is the HTTP status of an error kind, for the API and the pages
// alike.
func Status(k chat.Kind) int {
	if status, ok := statusOf[k]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// statusClientGone is logged (never seen) when the client hung up first;
// nginx's convention.
const statusClientGone = 499

// classify turns any error into a status and what the client may read.
// Only chat.Error carries client-facing text; everything else is internal
// and described generically.
func classify(ctx context.Context, err error) (int, errorDetail) {
	var se *statusError
	if errors.As(err, &se) {
		return se.status, errorDetail{se.code, se.message}
	}
	if e, ok := chat.AsError(err); ok {
		status, ok := statusOf[e.Kind]
		if !ok || status == http.StatusInternalServerError {
			return http.StatusInternalServerError, internalDetail(ctx)
		}
		return status, errorDetail{e.Code, e.Message}
	}
	// Sentinels that reached us without a client-facing code.
	switch {
	case errors.Is(err, chat.ErrNotFound):
		return http.StatusNotFound, errorDetail{"not_found", "not found"}
	case errors.Is(err, chat.ErrConflict):
		return http.StatusConflict, errorDetail{"conflict", "that conflicts with the current state; reload and try again"}
	case errors.Is(err, chat.ErrForbidden):
		return http.StatusForbidden, errorDetail{"forbidden", "you can't do that"}
	case errors.Is(err, chat.ErrInvalid):
		return http.StatusUnprocessableEntity, errorDetail{"invalid", "the request has an unacceptable value"}
	case errors.Is(err, chat.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, errorDetail{"unavailable", "the server is busy; try again shortly"}
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return statusClientGone, errorDetail{"client_gone", "the request was cancelled"}
	}
	return http.StatusInternalServerError, internalDetail(ctx)
}

func internalDetail(ctx context.Context) errorDetail {
	msg := "something went wrong on our side; it has been logged"
	if info := infoFrom(ctx); info != nil {
		msg += " (request " + info.id + ")"
	}
	return errorDetail{"internal_error", msg}
}

// WriteError answers a request with err: the status of its kind, the
// contract's JSON body, Retry-After for 429s when known, and a log line for
// 5xx (the request log line carries the code of every other failure). Pages
// in the UI package use it for their JSON endpoints.
func (a *API) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	status, detail := classify(ctx, err)
	info := infoFrom(ctx)
	if info != nil {
		info.code = detail.Code
	}
	if status >= 500 && status != statusClientGone {
		// Never the path (bot keys), the query, the headers or the body.
		attrs := []any{"method", r.Method, "route", routeLabel(r), "status", status, "err", err}
		if info != nil {
			attrs = append(attrs, "request_id", info.id)
		}
		a.log.ErrorContext(ctx, "request failed", attrs...)
	}
	switch status {
	case http.StatusTooManyRequests:
		SetRetryAfter(w, err)
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="campfire"`)
	}
	WriteJSON(w, status, errorBody{detail})
}

// SetRetryAfter sets Retry-After when err knows when to try again; every
// 429, JSON or page, carries it.
func SetRetryAfter(w http.ResponseWriter, err error) {
	var ra retryAfterer
	if errors.As(err, &ra) && ra.RetryAfter() > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.RetryAfter().Seconds()))))
	}
}

// WriteJSON writes v as the JSON body with status. HTML is not escaped:
// the body is served as application/json with nosniff, and body_html
// reads better without \u003c.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Our own types always encode; this is a bug, not a client's fault.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error":{"code":"internal_error","message":"encoding the answer failed"}}`+"\n")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// noContent answers 204.
func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}
