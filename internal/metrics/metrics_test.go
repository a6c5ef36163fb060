package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestLabelsStayBounded(t *testing.T) {
	m := New("test")
	m.ObserveRequest("GET", "GET /api/v1/rooms", 200, "", time.Millisecond)
	m.ObserveRequest("BREW", "", 404, "not_found", time.Millisecond)
	m.ObserveRequest("X-ANYTHING-A-CLIENT-SENDS", "", 404, "not_found", time.Millisecond)
	m.ObserveQuery("CreateMessage", time.Millisecond)
	m.ObservePublish(time.Microsecond)
	m.MessageStored(time.Millisecond)
	m.AddLabeledGauge("campfire_alert_active", "help", "alert", []string{"high_cpu", "slow_response"},
		func(a string) float64 {
			if a == "slow_response" {
				return 1
			}
			return 0
		})
	m.AddPool("campfire_db_pool", "Database", func() Pool {
		return Pool{InUse: 2, Idle: 3, Max: 10, Waits: 4, WaitTime: 1500 * time.Millisecond}
	}, true)
	out := scrape(t, m)
	for _, want := range []string{
		`campfire_http_requests_total{method="GET",route="GET /api/v1/rooms",status="2xx"} 1`,
		`campfire_http_requests_total{method="other",route="unmatched",status="4xx"} 2`,
		`campfire_http_request_duration_seconds_count{route="GET /api/v1/rooms",status="2xx"} 1`,
		`campfire_database_query_seconds_count{operation="CreateMessage"} 1`,
		"campfire_broker_publish_seconds_count 1",
		"campfire_messages_processed_total 1",
		`campfire_alert_active{alert="high_cpu"} 0`,
		`campfire_alert_active{alert="slow_response"} 1`,
		"campfire_db_pool_in_use 2", "campfire_db_pool_idle 3", "campfire_db_pool_max 10",
		"campfire_db_pool_waits_total 4", "campfire_db_pool_wait_seconds_total 1.5",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(out, "BREW") || strings.Contains(out, "X-ANYTHING") {
		t.Error("a client's method became a label value")
	}
	if m.Messages() != 1 {
		t.Errorf("Messages() = %d", m.Messages())
	}
}
