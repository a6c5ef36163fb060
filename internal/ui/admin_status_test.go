package ui_test

import (
	"net/http"
	"strings"
	"testing"
)

// The status page is for admins, linked from the admin tabs, complete as
// rendered (every alert's state and each chart's current value as text)
// and loads its own script and stylesheet from /assets (the CSP allows
// nothing inline).
func TestAdminStatusPage(t *testing.T) {
	srv := newServer(t)
	admin := setUp(t, srv)
	bea := joinAs(t, srv, admin, "Bea", "bea@example.com")
	want(t, bea.get("/account/status"), http.StatusForbidden)
	want(t, admin.get("/account/users"), http.StatusOK, `href="/account/status"`)
	p := admin.get("/account/status")
	want(t, p, http.StatusOK, `aria-current="page">Status</a>`,
		`data-alert="high_cpu"`, `data-alert="high_memory"`, `data-alert="too_many_connections"`,
		`data-alert="slow_response"`, `data-alert="low_success_rate"`,
		`data-chart="connections"`, `data-chart="posts"`, `data-chart="p99"`, `data-chart="memory"`,
		"now 0 (threshold 100)", "Preset <strong>small</strong>", "Connections above")
	for _, asset := range []string{`<script type="module" src="/assets/admin_status-`, `<link rel="stylesheet" href="/assets/admin_status-`} {
		if !strings.Contains(p.body, asset) {
			t.Errorf("page lacks %s", asset)
		}
	}
	if strings.Contains(p.body, "style=") || strings.Contains(p.body, "<script>") {
		t.Error("inline style or script on the page")
	}
}
