package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/campfire-go/campfire/internal/chat"
)

// bodyReadTimeout bounds how long a client may take to send a request body
// (the server has no ReadTimeout, for the cable's sake).
const bodyReadTimeout = 30 * time.Second

var (
	errNotJSON   = chat.Errorf(chat.KindUnsupported, "unsupported_media_type", "send the body as Content-Type: application/json")
	errEmptyBody = chat.Errorf(chat.KindBadRequest, "invalid_json", "the request body is empty; send a JSON object")
	errTrailing  = chat.Errorf(chat.KindBadRequest, "invalid_json", "the request body has data after its JSON object")
	// 422 like a raw body's invalid_body: the JSON is well formed, its text is not.
	errInvalidUTF8 = chat.Invalid("invalid_utf8", "the request body is not valid UTF-8")
)

// decode reads r's JSON body into dst, a pointer to a request struct.
// Unknown fields are ignored, so clients may send fields a newer server
// understands. Failures are client errors: 415 for another content type,
// 413 past the size limit, 400 for malformed JSON or a field of the wrong
// type (naming the field).
func (a *API) decode(w http.ResponseWriter, r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errNotJSON
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTimeout))
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.maxJSON))
	if err != nil {
		return decodeError(err, a.maxJSON)
	}
	// encoding/json would store each invalid byte as U+FFFD; every door
	// refuses invalid UTF-8 instead, as the bot API's raw bodies do.
	if !utf8.Valid(b) {
		return errInvalidUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, a.maxJSON)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}

func decodeError(err error, limit int64) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return chat.Errorf(chat.KindTooLarge, "body_too_large", "the request body is larger than %d bytes", limit)
	case errors.Is(err, io.EOF):
		return errEmptyBody
	case errors.As(err, &ute):
		if ute.Field == "" {
			return chat.Errorf(chat.KindBadRequest, "invalid_json", "the request body must be a JSON object")
		}
		return chat.Errorf(chat.KindBadRequest, "invalid_field", "field %q must be %s", ute.Field, jsonKind(ute.Type))
	case errors.As(err, &se):
		return chat.Errorf(chat.KindBadRequest, "invalid_json", "the request body is not valid JSON (at byte %d)", se.Offset)
	}
	// io.ErrUnexpectedEOF, a read error of a client gone away, or a
	// field's own UnmarshalJSON failing: all the request's fault.
	return chat.Errorf(chat.KindBadRequest, "invalid_json", "the request body is not valid JSON")
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(jsonKind(t.Elem()), "a "), "an ") + "s"
	}
	return "an object"
}

// readText reads a raw (non-JSON) body, as the bot API sends messages: at
// most max bytes, 413 beyond.
func readText(w http.ResponseWriter, r *http.Request, max int) (string, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") {
		return "", chat.Errorf(chat.KindUnsupported, "unsupported_media_type", "attachments are not supported; send the message text as the body")
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTimeout))
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(max)))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", chat.Errorf(chat.KindTooLarge, "body_too_large", "the message is larger than %d bytes", max)
		}
		return "", chat.Errorf(chat.KindBadRequest, "invalid_body", "reading the request body failed")
	}
	return string(b), nil
}

// pathID parses the positive id in path segment name. Anything else names
// nothing that exists: 404 for what.
func pathID(r *http.Request, name, what string) (int64, error) {
	id, ok := ParseID(r.PathValue(name))
	if !ok || id <= 0 {
		return 0, chat.NotFound(what)
	}
	return id, nil
}

// ParseID parses an id written the one way the API writes it: canonical
// decimal, so "01", "+1" and " 1" name nothing rather than 1. The pages
// use it too, so every door reads ids alike.
func ParseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

// queryID parses an optional positive integer query parameter (0 when
// absent); a malformed one is a 400 naming it.
func queryID(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	id, ok := ParseID(v)
	if !ok || id <= 0 {
		return 0, badParam(name, "a positive integer")
	}
	return id, nil
}

// queryCursor parses an optional non-negative cursor (0 when absent).
func queryCursor(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, ok := ParseID(v)
	if !ok || n < 0 {
		return 0, badParam(name, "a non-negative integer")
	}
	return n, nil
}

// queryLimit parses the optional limit (0 when absent: the core's default
// page). Values past the page size are clamped, not refused.
func queryLimit(r *http.Request, pageSize int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-") {
		return pageSize, nil
	}
	if err != nil || n <= 0 {
		return 0, badParam("limit", "a positive integer")
	}
	return int(min(n, int64(pageSize))), nil
}

func badParam(name, want string) error {
	return chat.Errorf(chat.KindBadRequest, "invalid_parameter", "query parameter %s must be %s", name, want)
}
