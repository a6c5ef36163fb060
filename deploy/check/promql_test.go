package check

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// exported lists the series names the server exports (internal/metrics and
// the Go runtime and process collectors) that the rules and the dashboard
// may read; a name outside it is a typo or a metric that does not exist.
// Histograms are listed by base name.
var exported = []string{
	"up",
	"campfire_message_processing_seconds",
	"campfire_active_connections",
	"campfire_memory_usage_bytes",
	"campfire_memory_limit_bytes",
	"campfire_database_query_seconds",
	"campfire_messages_processed_total",
	"campfire_http_requests_total",
	"campfire_http_request_duration_seconds",
	"campfire_ws_frames_sent_total",
	"campfire_ws_slow_closed_total",
	"campfire_broker_publish_seconds",
	"campfire_broker_resyncs_total",
	"campfire_db_pool_in_use",
	"campfire_db_pool_idle",
	"campfire_db_pool_max",
	"campfire_alert_active",
	"campfire_capacity_threshold",
	"process_cpu_seconds_total",
	"process_resident_memory_bytes",
	"go_goroutines",
	"go_sched_gomaxprocs_threads",
}

// histograms are the exported histograms: only their _bucket, _sum and
// _count series exist.
var histograms = []string{
	"campfire_message_processing_seconds",
	"campfire_database_query_seconds",
	"campfire_http_request_duration_seconds",
	"campfire_broker_publish_seconds",
}

var promql = parser.NewParser(parser.Options{})

// checkExpr parses e with Prometheus's own parser and checks what a parser
// does not: every series named is exported, and every quantile is computed
// the only correct way, histogram_quantile(φ, sum by (le, …) (rate(x_bucket[5m]))),
// keeping le and instance (one line per instance).
func checkExpr(e string) (parser.Expr, error) {
	expr, err := promql.ParseExpr(e)
	if err != nil {
		return nil, err
	}
	var errs []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			if err := checkName(n.Name); err != nil {
				errs = append(errs, err.Error())
			}
		case *parser.Call:
			if n.Func.Name == "histogram_quantile" {
				if err := checkQuantile(n); err != nil {
					errs = append(errs, err.Error())
				}
			}
		}
		return nil
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %s", e, strings.Join(errs, "; "))
	}
	return expr, nil
}

func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("selector without a metric name")
	}
	if slices.Contains(exported, name) && !slices.Contains(histograms, name) {
		return nil
	}
	for _, h := range histograms {
		if name == h+"_bucket" || name == h+"_sum" || name == h+"_count" {
			return nil
		}
		if name == h {
			return fmt.Errorf("%s is a histogram: read %s_bucket, _sum or _count", name, name)
		}
	}
	return fmt.Errorf("%s is not a metric Campfire exports", name)
}

func checkQuantile(c *parser.Call) error {
	agg, ok := unparen(c.Args[1]).(*parser.AggregateExpr)
	if !ok || agg.Op != parser.SUM || agg.Without {
		return fmt.Errorf("histogram_quantile over %s: want sum by (le, instance) (rate(…_bucket[5m]))", c.Args[1])
	}
	if !slices.Contains(agg.Grouping, "le") || !slices.Contains(agg.Grouping, "instance") {
		return fmt.Errorf("histogram_quantile: the sum must keep le and instance, not %v", agg.Grouping)
	}
	rate, ok := unparen(agg.Expr).(*parser.Call)
	if !ok || rate.Func.Name != "rate" {
		return fmt.Errorf("histogram_quantile: sum over %s, want rate(…_bucket[5m])", agg.Expr)
	}
	ms := rate.Args[0].(*parser.MatrixSelector)
	vs := ms.VectorSelector.(*parser.VectorSelector)
	if !strings.HasSuffix(vs.Name, "_bucket") {
		return fmt.Errorf("histogram_quantile: rate of %s, want a _bucket series", vs.Name)
	}
	if ms.Range != 5*time.Minute {
		return fmt.Errorf("histogram_quantile: rate over %s, want 5m", ms.Range)
	}
	return nil
}

func unparen(e parser.Expr) parser.Expr {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// keepsInstance reports whether e's result still has an instance label:
// an aggregation on top drops it unless it groups by it.
func keepsInstance(e parser.Expr) bool {
	switch e := unparen(e).(type) {
	case *parser.AggregateExpr:
		return !e.Without && slices.Contains(e.Grouping, "instance") ||
			e.Without && !slices.Contains(e.Grouping, "instance") ||
			e.Op == parser.TOPK || e.Op == parser.BOTTOMK
	case *parser.BinaryExpr:
		return keepsInstance(e.LHS) || keepsInstance(e.RHS)
	case *parser.Call:
		for _, a := range e.Args {
			if keepsInstance(a) {
				return true
			}
		}
		return false
	case *parser.MatrixSelector, *parser.VectorSelector:
		return true
	}
	return false
}

// TestCheckExprCatches: the checks fail on the broken expressions they exist
// for, among them the scaling guide's own dashboard quantile.
func TestCheckExprCatches(t *testing.T) {
	for _, e := range []string{
		`histogram_quantile(0.95, campfire_database_query_seconds)`, // the guide's
		`histogram_quantile(0.95, rate(campfire_database_query_seconds_bucket[5m]))`,
		`histogram_quantile(0.95, sum(rate(campfire_database_query_seconds_bucket[5m])))`,
		`histogram_quantile(0.95, sum by (le) (rate(campfire_database_query_seconds_bucket[5m])))`,
		`histogram_quantile(0.95, sum by (le, instance) (rate(campfire_database_query_seconds_bucket[1m])))`,
		`histogram_quantile(0.95, sum by (le, instance) (rate(campfire_database_query_seconds_sum[5m])))`,
		`rate(campfire_messages_processed_total)`,           // no range: a parse error
		`rate(campfire_message_processed_total[5m])`,        // a typo
		`campfire_active_connections > `,                    // incomplete
		`campfire_http_request_duration_seconds{route="x"}`, // a histogram's base name
		`sum by (instance) (campfire_active_connection)`,    // a typo
	} {
		if _, err := checkExpr(e); err == nil {
			t.Errorf("accepted: %s", e)
		}
	}
	if _, err := checkExpr(`histogram_quantile(0.99, sum by (le, instance) (rate(campfire_http_request_duration_seconds_bucket[5m])))`); err != nil {
		t.Errorf("the right form refused: %v", err)
	}
}

// TestRulesPromQL: the rules file passes Prometheus's own rule loader
// (unknown fields refused, every expr and template parsed), and every expr
// passes checkExpr and keeps the instance label (alerts are per instance).
func TestRulesPromQL(t *testing.T) {
	groups, errs := rulefmt.ParseFile(deployPath(t, "prometheus/campfire_rules.yml"), false, model.UTF8Validation, promql, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, err := range errs {
		t.Error(err)
	}
	if groups == nil {
		t.FailNow()
	}
	var alerts []string
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			expr, err := checkExpr(r.Expr)
			if err != nil {
				t.Errorf("%s: %v", r.Alert, err)
				continue
			}
			if !keepsInstance(expr) {
				t.Errorf("%s drops the instance label: %s", r.Alert, r.Expr)
			}
			alerts = append(alerts, r.Alert)
		}
	}
	for _, want := range []string{"CampfireDown", "CampfireHighCPU", "CampfireHighMemory", "CampfireTooManyConnections",
		"CampfireSlowResponses", "CampfireLowSuccessRate", "CampfireCapacityAlert"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no alert %s", want)
		}
	}
}

// TestRulesLoaderCatches: the rule loader refuses a misspelt field and a
// broken expression.
func TestRulesLoaderCatches(t *testing.T) {
	for _, doc := range []string{
		"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        fro: 1m\n",
		"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(up)\n",
		"groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        annotations:\n          summary: '{{ $labels.instance '\n",
	} {
		_, errs := rulefmt.Parse([]byte(doc), false, model.UTF8Validation, promql, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if len(errs) == 0 {
			t.Errorf("accepted:\n%s", doc)
		}
	}
}

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Datasource json.RawMessage `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title      string      `json:"title"`
	Type       string      `json:"type"`
	Datasource *datasource `json:"datasource"`
	Panels     []panel     `json:"panels"` // a collapsed row's
	Targets    []struct {
		Expr         string      `json:"expr"`
		LegendFormat string      `json:"legendFormat"`
		Datasource   *datasource `json:"datasource"`
	} `json:"targets"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// checkDashboard checks every panel of a Grafana dashboard: each query
// parses and passes checkExpr, each series that keeps an instance label is
// drawn with {{instance}} in its legend, and every datasource is the
// provisioned one (uid).
func checkDashboard(b []byte, dsUID string) (queries int, errs []string) {
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return 0, []string{err.Error()}
	}
	if d.UID == "" || d.Title == "" {
		errs = append(errs, "dashboard without uid or title")
	}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				errs = append(errs, fmt.Sprintf("panel %q has no query", p.Title))
			}
			if p.Datasource == nil || p.Datasource.UID != dsUID {
				errs = append(errs, fmt.Sprintf("panel %q: datasource is not uid %q", p.Title, dsUID))
			}
			for _, tg := range p.Targets {
				queries++
				expr, err := checkExpr(tg.Expr)
				if err != nil {
					errs = append(errs, fmt.Sprintf("panel %q: %v", p.Title, err))
					continue
				}
				if keepsInstance(expr) && !strings.Contains(tg.LegendFormat, "{{instance}}") {
					errs = append(errs, fmt.Sprintf("panel %q: legend %q hides which instance: add {{instance}}", p.Title, tg.LegendFormat))
				}
				if tg.Datasource != nil && tg.Datasource.UID != dsUID {
					errs = append(errs, fmt.Sprintf("panel %q: query datasource is not uid %q", p.Title, dsUID))
				}
			}
		}
	}
	walk(d.Panels)
	return queries, errs
}

// TestDashboardPromQL: every query of the shipped dashboard passes, the
// guide's panels are there, and the datasource uid is the provisioned one.
func TestDashboardPromQL(t *testing.T) {
	uid := provisionedDatasourceUID(t)
	b := readDeploy(t, "grafana/dashboards/campfire.json")
	n, errs := checkDashboard(b, uid)
	for _, e := range errs {
		t.Error(e)
	}
	if n < 20 {
		t.Errorf("%d queries; the dashboard has lost panels", n)
	}
	for _, want := range []string{"campfire_active_connections", "campfire_messages_processed_total",
		"campfire_database_query_seconds_bucket", "campfire_memory_usage_bytes", "campfire_http_request_duration_seconds_bucket",
		"campfire_ws_slow_closed_total", "campfire_broker_publish_seconds_bucket", "campfire_alert_active"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("no panel reads %s", want)
		}
	}
}

// TestDashboardCatches: the guide's own dashboard fails the check (its
// quantiles read a histogram's base name and its legends hide instances).
func TestDashboardCatches(t *testing.T) {
	guide := `{"uid":"x","title":"Campfire Rust Performance","panels":[
	  {"title":"Database Query Performance","type":"graph","datasource":{"uid":"prometheus"},"targets":[
	    {"expr":"histogram_quantile(0.95, campfire_database_query_seconds)","legendFormat":"95th percentile"}]},
	  {"title":"Memory Usage","type":"graph","datasource":{"uid":"prometheus"},"targets":[
	    {"expr":"campfire_memory_usage_bytes / 1024 / 1024","legendFormat":"Memory MB"}]},
	  {"title":"Rate","type":"graph","datasource":{"uid":"other"},"targets":[
	    {"expr":"rate(campfire_messages_processed_total[5m])","legendFormat":"{{instance}}"}]}]}`
	_, errs := checkDashboard([]byte(guide), "prometheus")
	if len(errs) != 3 {
		t.Errorf("want 3 errors (quantile, legend, datasource), got %d: %q", len(errs), errs)
	}
	if _, errs := checkDashboard([]byte(`{"uid": "x", "panels": [}`), "prometheus"); len(errs) == 0 {
		t.Error("broken JSON accepted")
	}
}
