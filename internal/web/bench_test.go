package web_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/campfire-go/campfire/internal/web/webtest"
)

// BenchmarkPostMessage drives POST /api/v1/rooms/{id}/messages through the
// whole handler chain (middleware, auth, decode, core, SQLite commit,
// broker publish, encode) with a recorder instead of a socket, so it
// measures the server, not the loopback.
//
//	go test ./internal/web -run '^$' -bench PostMessage -benchtime 3s
func BenchmarkPostMessage(b *testing.B) {
	s := webtest.New(b, webtest.Options{Quiet: true})
	s.Setup(b)
	room := allTalk(b, s)
	h := s.Config.Handler
	body := []byte(`{"body":"Hello, **everyone**: the build is green."}`)
	target := roomPath(room, "messages")
	post := func(b *testing.B) {
		req := httptest.NewRequest("POST", target, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.AdminToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Errorf("status %d: %s", rec.Code, rec.Body)
		}
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	}

	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			post(b)
		}
		report(b)
	})
	// Many posters at once: SQLite's group commit shares one fsync among
	// the writes that arrive together.
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				post(b)
			}
		})
		report(b)
	})
}
