package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/monitor"
	"github.com/campfire-go/campfire/internal/testenv"
	"github.com/campfire-go/campfire/internal/web/webtest"
)

type statusAnswer struct {
	Preset     string `json:"preset"`
	Thresholds struct {
		MaxConnections    int     `json:"max_connections"`
		MaxResponseTimeMS float64 `json:"max_response_time_ms"`
	} `json:"thresholds"`
	Latest *struct {
		Connections int64 `json:"connections"`
	} `json:"latest"`
	Alerts []struct {
		Name   string     `json:"name"`
		Active bool       `json:"active"`
		Since  *time.Time `json:"since"`
	} `json:"alerts"`
	History []map[string]any `json:"history"`
}

func TestAdminStatus(t *testing.T) {
	s := newServer(t)
	member, _ := s.Join(t, "Bea Member")
	run(t, s, []scenario{
		{"anonymous", "GET", "/api/v1/admin/status", nil, "", http.StatusUnauthorized, "unauthorized"},
		{"member", "GET", "/api/v1/admin/status", nil, member, http.StatusForbidden, "forbidden"},
		{"admin", "GET", "/api/v1/admin/status", nil, s.AdminToken, http.StatusOK, ""},
		{"wrong method", "POST", "/api/v1/admin/status", nil, s.AdminToken, http.StatusMethodNotAllowed, "method_not_allowed"},
	})
	var st statusAnswer
	s.Must(t, http.StatusOK, "GET", "/api/v1/admin/status", nil, s.AdminToken).JSON(t, &st)
	if st.Preset != "small" || st.Thresholds.MaxConnections != 100 || st.Thresholds.MaxResponseTimeMS != 100 {
		t.Errorf("thresholds %+v", st)
	}
	if len(st.Alerts) != len(monitor.AlertNames) {
		t.Fatalf("%d alerts, want all five: %+v", len(st.Alerts), st.Alerts)
	}
	for i, a := range st.Alerts {
		if a.Name != monitor.AlertNames[i] {
			t.Errorf("alert %d is %q, want %q", i, a.Name, monitor.AlertNames[i])
		}
	}
	if st.History == nil {
		t.Error("history is null, want a list")
	}
}

// A connections threshold of 1 with two sockets open raises
// too_many_connections: in the log, in /metrics and in the API; it ends
// when a socket closes.
func TestCapacityAlertForced(t *testing.T) {
	s := webtest.New(t, webtest.Options{Config: func(c *config.Config) {
		c.Monitor.MaxConnections = 1
		// Samples are taken by the test; the ticker stays out of the way.
		c.Monitor.Interval, c.Monitor.Window = 5*time.Minute, 5*time.Minute
	}})
	s.Setup(t)
	mon := s.Graph.Monitor
	url := "ws" + strings.TrimPrefix(s.URL, "http") + "/api/v1/cable"
	var conns []*websocket.Conn
	for range 2 {
		ws, _, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial(url, http.Header{"Authorization": {"Bearer " + s.AdminToken}})
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		conns = append(conns, ws)
	}
	waitFor(t, "the alert", func() bool { mon.Sample(); return mon.Active(monitor.TooManyConnections) })

	// One socket subscribed to a room gets a post: one delivery.
	room := allTalk(t, s)
	if err := conns[0].WriteJSON(map[string]any{"type": "subscribe", "room_id": room}); err != nil {
		t.Fatal(err)
	}
	readUntil(t, conns[0], "subscribed")
	post(t, s, s.AdminToken, room, "counted")
	readUntil(t, conns[0], "message.created")

	metrics := getMetrics(t, s.URL+"/metrics")
	for _, want := range []string{
		`campfire_alert_active{alert="too_many_connections"} 1`,
		`campfire_alert_active{alert="high_cpu"} `,
		`campfire_alert_active{alert="slow_response"} 0`,
		`campfire_alert_active{alert="low_success_rate"} 0`,
		`campfire_alert_active{alert="high_memory"} `,
		`campfire_capacity_threshold{threshold="max_connections"} 1`,
		"campfire_active_connections 2",
		"campfire_deliveries_total 1\n",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	var st statusAnswer
	s.Must(t, http.StatusOK, "GET", "/api/v1/admin/status", nil, s.AdminToken).JSON(t, &st)
	if a := st.Alerts[2]; a.Name != "too_many_connections" || !a.Active || a.Since == nil {
		t.Fatalf("alert in the API: %+v", a)
	}
	if st.Latest == nil || st.Latest.Connections != 2 {
		t.Fatalf("latest %+v", st.Latest)
	}
	if !strings.Contains(s.Logs(), `msg="capacity alert started" component=monitor alert=too_many_connections value=2 threshold=1`) {
		t.Errorf("no start line in the log:\n%s", s.Logs())
	}

	conns[1].Close()
	waitFor(t, "the alert to end", func() bool { mon.Sample(); return !mon.Active(monitor.TooManyConnections) })
	if strings.Count(s.Logs(), "capacity alert started") != 1 || !strings.Contains(s.Logs(), `msg="capacity alert ended" component=monitor alert=too_many_connections`) {
		t.Errorf("start and end lines:\n%s", s.Logs())
	}
}

// After a post, /metrics has the store's calls by operation, the broker's
// publish, the pools and the HTTP duration by status class, on whichever
// backends the environment names.
func TestOperationalMetrics(t *testing.T) {
	s := newServer(t)
	post(t, s, s.AdminToken, allTalk(t, s), "hello")
	metrics := getMetrics(t, s.URL+"/metrics")
	want := []string{
		`campfire_database_query_seconds_count{operation="CreateMessage"} 1`,
		`campfire_database_query_seconds_bucket{operation="CreateMessage",le="0.0001"}`,
		"campfire_broker_publish_seconds_count ",
		`campfire_http_request_duration_seconds_count{route="POST /api/v1/rooms/{id}/messages",status="2xx"} 1`,
		"campfire_db_pool_in_use ", "campfire_db_pool_idle ", "campfire_db_pool_max ", "campfire_db_pool_waits_total ",
		"campfire_messages_processed_total 1", "campfire_memory_usage_bytes ", "campfire_memory_limit_bytes ",
		`campfire_capacity_threshold{threshold="max_response_time_seconds"} 0.1`,
		"process_cpu_seconds_total ", "go_goroutines ",
	}
	for _, a := range monitor.AlertNames {
		want = append(want, `campfire_alert_active{alert="`+a+`"} `)
	}
	if testenv.Backend() != "sqlite" {
		want = append(want, "campfire_redis_pool_in_use ", "campfire_redis_pool_idle ", "campfire_redis_pool_timeouts_total ", "campfire_broker_resyncs_total ")
	}
	for _, w := range want {
		if !strings.Contains(metrics, w) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
	if strings.Contains(metrics, `operation="Close"`) {
		t.Error("Close is timed as a query")
	}
}

// readUntil reads frames until one of type typ arrives.
func readUntil(t *testing.T, ws *websocket.Conn, typ string) {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var f struct {
			Type string `json:"type"`
		}
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		if f.Type == typ {
			return
		}
	}
}

func getMetrics(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return string(b)
}

// waitFor polls cond until it holds, failing after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
