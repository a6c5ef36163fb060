package ui_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// The sign-in page's 429 says when to try again, as the API's does (issue
// 11, item 6).
func TestSignInLimitSaysWhenToRetry(t *testing.T) {
	srv := newServer(t)
	setUp(t, srv)
	b := newBrowser(t, srv)
	for i := range 20 {
		p := b.post("/session", url.Values{"email": {"ada@example.com"}, "password": {"wrong password"}})
		if p.status == http.StatusUnauthorized || p.status == http.StatusUnprocessableEntity {
			continue
		}
		if p.status != http.StatusTooManyRequests {
			t.Fatalf("attempt %d: status %d", i+1, p.status)
		}
		if s, err := strconv.Atoi(p.header.Get("Retry-After")); err != nil || s <= 0 {
			t.Fatalf("429 with Retry-After %q, want seconds", p.header.Get("Retry-After"))
		}
		return
	}
	t.Fatal("20 wrong passwords from one address were never limited")
}
