package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/web/webtest"
	"github.com/campfire-go/campfire/internal/wire"
)

func recentQueries(t *testing.T, s *webtest.Server, token string) []string {
	t.Helper()
	var res wire.RecentSearches
	s.Must(t, http.StatusOK, "GET", "/api/v1/searches/recent", nil, token).JSON(t, &res)
	if res.Searches == nil {
		t.Fatal(`"searches" is null, want a list`)
	}
	out := []string{}
	for i, r := range res.Searches {
		if time.Time(r.SearchedAt).IsZero() {
			t.Fatalf("search %d has no searched_at", i)
		}
		if i > 0 && !time.Time(r.SearchedAt).Before(time.Time(res.Searches[i-1].SearchedAt)) {
			t.Fatalf("searches not most recent first: %+v", res.Searches)
		}
		out = append(out, r.Query)
	}
	return out
}

func wantRecent(t *testing.T, s *webtest.Server, token string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := recentQueries(t, s, token); !slices.Equal(got, want) {
		t.Fatalf("recent searches = %q, want %q", got, want)
	}
}

func TestRecentSearches(t *testing.T) {
	s := newServer(t)
	ada := s.AdminToken
	bea, _ := s.Join(t, "Bea")
	search := func(token, q string, status int) {
		t.Helper()
		s.Must(t, status, "GET", "/api/v1/search?q="+url.QueryEscape(q), nil, token)
	}

	wantRecent(t, s, ada)
	search(ada, "pineapple", 200)
	search(ada, "  quarterly   report ", 200) // spaces are trimmed and collapsed
	search(ada, "pineapple", 200)             // a repeat moves to the front, once
	search(ada, "quarterly report", 200)
	search(ada, "", 200)       // nothing searched, nothing kept
	search(ada, "a\x07b", 422) // refused searches are not kept
	search(ada, string(make([]byte, 201)), 422)
	wantRecent(t, s, ada, "quarterly report", "pineapple")

	// Per person: Bea sees only hers, and clearing is hers alone.
	search(bea, "bea's secret", 200)
	wantRecent(t, s, bea, "bea's secret")
	wantRecent(t, s, ada, "quarterly report", "pineapple")
	s.Must(t, http.StatusNoContent, "DELETE", "/api/v1/searches/recent", nil, bea)
	wantRecent(t, s, bea)
	wantRecent(t, s, ada, "quarterly report", "pineapple")

	// The list is capped, the oldest dropped.
	var want []string
	for i := range campfire.RecentSearchesKept + 3 {
		q := fmt.Sprintf("query %d", i)
		search(ada, q, 200)
		want = append([]string{q}, want...)
	}
	wantRecent(t, s, ada, want[:campfire.RecentSearchesKept]...)

	s.Must(t, http.StatusNoContent, "DELETE", "/api/v1/searches/recent", nil, ada)
	wantRecent(t, s, ada)

	run(t, s, []scenario{
		{"list signed out", "GET", "/api/v1/searches/recent", nil, "", 401, "unauthorized"},
		{"clear signed out", "DELETE", "/api/v1/searches/recent", nil, "", 401, "unauthorized"},
		{"wrong method", "POST", "/api/v1/searches/recent", nil, ada, 405, ""},
	})
}
