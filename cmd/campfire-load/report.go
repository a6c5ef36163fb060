package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
)

func writeOutputs(cfg *config, r *result) error {
	if cfg.jsonFile != "" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(cfg.jsonFile, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("writing -json: %w", err)
		}
	}
	if cfg.reportFile != "" {
		var buf bytes.Buffer
		if err := writeHTML(&buf, r); err != nil {
			return err
		}
		if err := os.WriteFile(cfg.reportFile, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing -report: %w", err)
		}
	}
	return nil
}

// summaryRows is the summary table, shared by the terminal and the page.
func summaryRows(r *result) [][2]string {
	var rows [][2]string
	add := func(k, format string, args ...any) { rows = append(rows, [2]string{k, fmt.Sprintf(format, args...)}) }
	add("sockets", "%d in %d rooms of %d (%d people, %d bots)", r.Connections, r.Rooms, r.RoomSize, r.People, r.Bots)
	add("connect", "%.2f s, %.0f/s, p50 %.1f ms, p99 %.1f ms, %d failed", r.ConnectS, r.ConnectRate, r.ConnectP50, r.ConnectP99, r.ConnectFailed)
	if r.PostVia != "none" {
		add("posts", "%d acknowledged (%.0f/s), %d failed, %d sent late (the schedule slipped), ack p50 %.1f ms p99 %.1f ms, %d retries across a restart", r.Posts, r.PostsPerS, r.PostsFailed, r.PostsLate, r.PostAckP50, r.PostAckP99, r.PostRetries)
		add("deliveries", "%d of %d expected, lost %d, duplicated %d, out of order %d", r.Delivered, r.Expected, r.Lost, r.Duplicated, r.OutOfOrder)
		add("throughput", "%.0f deliveries/s over %.2f s", r.DeliveriesPerS, r.MeasuredS)
		add("latency", "p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms (post → delivery)", r.P50, r.P90, r.P99, r.P999, r.Max)
	}
	if r.ServerOK {
		add("server RSS", "%.1f MB → %.1f MB", r.ServerRSSBefore/(1<<20), r.ServerRSSAfter/(1<<20))
	} else {
		add("server", "no /metrics: server figures missing")
	}
	if r.ServerRSSPerSocketKB != 0 {
		add("per socket", "%.1f KB server RSS, %.1f KB heap", r.ServerRSSPerSocketKB, r.ServerHeapPerSocketKB)
	}
	if r.Delivered > 0 {
		add("server CPU", "%.2f s (%.2f cores), %.2f µs per delivery, %.0f GCs, %.2f frames per write", r.ServerCPUS, r.ServerCores, r.ServerCPUPerDeliveryUs, r.ServerGCs, r.FramesPerWrite)
		add("tool CPU", "%.2f s (%.2f cores), %.2f µs per delivery, on CPUs %s", r.ToolCPUS, r.ToolCores, r.ToolCPUPerDeliveryUs, r.ToolCPUs)
		add("machine", "%.0f%% busy during the measurement (all processes)", r.MachineBusyPct)
	}
	if r.Storm != nil {
		how := "cut"
		if r.Storm.Restart {
			how = fmt.Sprintf("dropped by a server restart (the command took %.2f s)", r.Storm.RestartS)
		}
		add("storm", "%d sockets %s; resubscribed in %.2f s, caught up in %.2f s (%d not back)", r.Storm.Dropped, how, r.Storm.ReconnectS, r.Storm.CaughtUpS, r.Storm.NotReconnected)
	}
	if len(r.Errors) == 0 {
		add("errors", "none")
	}
	for _, k := range sortedKeys(r.Errors) {
		add("error", "%s: %d", k, r.Errors[k])
	}
	for _, t := range r.Thresholds {
		add("threshold", "%s", t)
	}
	verdict := "PASS"
	if !r.Pass {
		verdict = "FAIL"
	}
	add("result", "%s", verdict)
	return rows
}

func printSummary(w io.Writer, r *result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\n%s\t\n", strings.ToUpper(r.Scenario))
	for _, row := range summaryRows(r) {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	_ = tw.Flush()
}

// The HTML report: one page, no external assets, charts as inline SVG.
var page = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>campfire-load {{.R.Scenario}}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse}td{padding:.2rem .8rem .2rem 0;vertical-align:top}td:first-child{color:#666}
.fail{color:#b00020;font-weight:600}.pass{color:#1b7f3b;font-weight:600}
svg{background:#fafafa;border:1px solid #ddd}svg text{font-size:11px;fill:#555}
</style></head><body>
<h1>campfire-load · {{.R.Scenario}} · <span class="{{if .R.Pass}}pass">PASS{{else}}fail">FAIL{{end}}</span></h1>
<p>{{.R.Started}} · targets {{range .R.Targets}}{{.}} {{end}} · seed {{.R.Seed}}<br>{{.R.Posting}}</p>
<table>{{range .Rows}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td></tr>{{end}}</table>
<h2>Post → delivery latency</h2>{{.Hist}}
<h2>Throughput over time</h2>{{.Timeline}}
</body></html>
`))

func writeHTML(w io.Writer, r *result) error {
	return page.Execute(w, map[string]any{"R": r, "Rows": summaryRows(r), "Hist": histSVG(r), "Timeline": timelineSVG(r)})
}

const svgW, svgH, padL, padB = 880.0, 260.0, 60.0, 30.0

// histSVG draws the latency buckets on a log time axis.
func histSVG(r *result) template.HTML {
	if len(r.Histogram) == 0 {
		return "<p>No deliveries.</p>"
	}
	lo := math.Log10(math.Max(float64(r.Histogram[0][0]), 1))
	hi := math.Log10(float64(r.Histogram[len(r.Histogram)-1][1]) + 1)
	if hi-lo < 1 {
		hi = lo + 1
	}
	var peak int64
	for _, b := range r.Histogram {
		peak = max(peak, b[2])
	}
	x := func(us float64) float64 { return padL + (math.Log10(math.Max(us, 1))-lo)/(hi-lo)*(svgW-padL-10) }
	var s strings.Builder
	fmt.Fprintf(&s, `<svg viewBox="0 0 %g %g" width="100%%" role="img" aria-label="latency histogram">`, svgW, svgH)
	for _, b := range r.Histogram {
		x0, x1 := x(float64(b[0])), x(float64(b[1]+1))
		h := float64(b[2]) / float64(peak) * (svgH - padB - 10)
		fmt.Fprintf(&s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#d9822b"><title>%s–%s: %d</title></rect>`,
			x0, svgH-padB-h, math.Max(x1-x0, 1), h, fmtUs(b[0]), fmtUs(b[1]), b[2])
	}
	for e := math.Ceil(lo); e <= hi; e++ {
		fmt.Fprintf(&s, `<line x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#999"/><text x="%.1f" y="%g" text-anchor="middle">%s</text>`,
			x(math.Pow(10, e)), x(math.Pow(10, e)), svgH-padB, svgH-padB+4, x(math.Pow(10, e)), svgH-padB+16, fmtUs(int64(math.Pow(10, e))))
	}
	for _, q := range []struct {
		name string
		v    float64
	}{{"p50", r.P50}, {"p99", r.P99}} {
		lx, anchor := x(q.v*1000)+4, "start"
		if lx > svgW-110 {
			lx, anchor = x(q.v*1000)-4, "end" // keep the label inside the chart
		}
		fmt.Fprintf(&s, `<line x1="%.1f" x2="%.1f" y1="10" y2="%g" stroke="#333" stroke-dasharray="4 3"/><text x="%.1f" y="20" text-anchor="%s">%s %.2f ms</text>`,
			x(q.v*1000), x(q.v*1000), svgH-padB, lx, anchor, q.name, q.v)
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// timelineSVG draws deliveries and posts per second.
func timelineSVG(r *result) template.HTML {
	n := len(r.DeliveriesPerSecond)
	if n == 0 {
		return "<p>No data.</p>"
	}
	var peakD, peakP int64
	for i := range n {
		peakD, peakP = max(peakD, r.DeliveriesPerSecond[i]), max(peakP, r.PostsPerSecond[i])
	}
	x := func(i int) float64 { return padL + float64(i)/float64(max(n-1, 1))*(svgW-padL-10) }
	y := func(v, peak int64) float64 { return svgH - padB - float64(v)/float64(max(peak, 1))*(svgH-padB-20) }
	line := func(vals []int64, peak int64) string {
		var b strings.Builder
		for i, v := range vals {
			fmt.Fprintf(&b, "%.1f,%.1f ", x(i), y(v, peak))
		}
		return b.String()
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg viewBox="0 0 %g %g" width="100%%" role="img" aria-label="throughput over time">`, svgW, svgH)
	fmt.Fprintf(&s, `<polyline fill="none" stroke="#d9822b" stroke-width="2" points="%s"/>`, line(r.DeliveriesPerSecond, peakD))
	fmt.Fprintf(&s, `<polyline fill="none" stroke="#3b6ea5" stroke-width="1.5" points="%s"/>`, line(r.PostsPerSecond, peakP))
	fmt.Fprintf(&s, `<text x="%g" y="14" style="fill:#d9822b">deliveries/s (peak %d)</text><text x="%g" y="28" style="fill:#3b6ea5">posts/s (peak %d, own scale)</text>`, padL, peakD, padL, peakP)
	for i := 0; i < n; i += max(1, n/10) {
		fmt.Fprintf(&s, `<text x="%.1f" y="%g" text-anchor="middle">%ds</text>`, x(i), svgH-padB+16, i)
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

func fmtUs(us int64) string {
	switch {
	case us >= 1_000_000:
		return fmt.Sprintf("%gs", float64(us)/1e6)
	case us >= 1000:
		return fmt.Sprintf("%gms", float64(us)/1000)
	}
	return fmt.Sprintf("%dµs", us)
}
