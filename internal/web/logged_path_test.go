package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestLoggedPathOfASubtreeRoute: a catch-all route ("/", the UI's 404
// page; "/api/", the API's) logs that more followed, redacted, rather
// than a path the client never asked for.
func TestLoggedPathOfASubtreeRoute(t *testing.T) {
	mux := http.NewServeMux()
	var got string
	h := func(w http.ResponseWriter, r *http.Request) { got = loggedPath(r) }
	mux.HandleFunc("/", h)
	mux.HandleFunc("/api/", h)
	mux.HandleFunc("GET /rooms/{id}/{key}/messages", h)
	for path, want := range map[string]string{
		"/":                          "/",
		"/api/":                      "/api/",
		"/no/such/page":              "/[redacted]",
		"/api/v1/nope/s3cr3t":        "/api/[redacted]",
		"/rooms/5/2-abcdef/messages": "/rooms/5/[redacted]/messages",
	} {
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
		if got != want {
			t.Errorf("%s logged as %q, want %q", path, got, want)
		}
	}
}
