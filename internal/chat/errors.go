package chat

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error the way a client needs to react to it. The web
// layer maps each kind to one HTTP status in one place.
type Kind int

const (
	KindInternal     Kind = iota // a bug or an outage: 500/503, logged
	KindInvalid                  // 422: well-formed request, unacceptable values
	KindBadRequest               // 400: malformed request
	KindUnauthorized             // 401
	KindForbidden                // 403
	KindNotFound                 // 404 (also for rooms the caller may not see)
	KindConflict                 // 409
	KindTooLarge                 // 413
	KindUnsupported              // 415
	KindRateLimited              // 429
	KindUnavailable              // 503
)

// Error is an error a client may see: a kind, a stable snake_case code and a
// human sentence. It never carries internal detail.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	// Wait is how long a rate-limited client should wait (429 Retry-After).
	Wait time.Duration
}

func (e *Error) Error() string {
	if e.Code == "" { // a sentinel: say its kind, not ": "
		return kindNames[e.Kind]
	}
	return e.Code + ": " + e.Message
}

var kindNames = [...]string{
	KindInternal: "internal", KindInvalid: "invalid", KindBadRequest: "bad request",
	KindUnauthorized: "unauthorized", KindForbidden: "forbidden", KindNotFound: "not found",
	KindConflict: "conflict", KindTooLarge: "too large", KindUnsupported: "unsupported",
	KindRateLimited: "rate limited", KindUnavailable: "unavailable",
}

// RetryAfter is how long to wait before trying again; 0 when unknown.
func (e *Error) RetryAfter() time.Duration { return e.Wait }

// RateLimited is the error for a caller over a rate limit; what says what
// they were doing ("signing in", "posting").
func RateLimited(what string, wait time.Duration) *Error {
	secs := int(wait.Seconds()) + 1
	return &Error{Kind: KindRateLimited, Code: "rate_limited", Wait: wait,
		Message: fmt.Sprintf("too many attempts at %s; try again in %d seconds", what, secs)}
}

// Is makes errors.Is(err, chat.ErrNotFound) true for every not-found error,
// whatever its code, and likewise for the other sentinel kinds.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == "" && t.Kind == e.Kind
}

// Sentinels for errors.Is. Stores return these (wrapped with context) so the
// layers above can tell "absent" and "already exists" from failures.
var (
	ErrNotFound    = &Error{Kind: KindNotFound}
	ErrConflict    = &Error{Kind: KindConflict}
	ErrForbidden   = &Error{Kind: KindForbidden}
	ErrInvalid     = &Error{Kind: KindInvalid}
	ErrUnavailable = &Error{Kind: KindUnavailable}
)

// Errorf builds a client-facing error.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound is the error for anything absent or hidden from the caller; the
// message never reveals which.
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: "not_found", Message: what + " not found"}
}

// Invalid is the error for a field with an unacceptable value.
func Invalid(code, format string, args ...any) *Error {
	return Errorf(KindInvalid, code, format, args...)
}

// Forbidden is the error for an action the caller may not take.
func Forbidden(format string, args ...any) *Error {
	return Errorf(KindForbidden, "forbidden", format, args...)
}

// AsError returns the client-facing error inside err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e, true
	}
	return nil, false
}
