package ui

import (
	"fmt"
	"net/http"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/monitor"
)

type adminStatusPage struct {
	layout
	Preset     string
	Instance   string
	Thresholds []statusThreshold
	Sampled    string // when the latest sample was taken, or "" before one
	Alerts     []statusAlert
	Charts     []statusChart
}

type statusThreshold struct{ Label, Value string }

type statusAlert struct {
	Name, Label      string
	Active           bool
	Since            string // RFC 3339, for <time>
	SinceText        string
	Value, Threshold string
}

type statusChart struct {
	Key, Title, Now, Limit string
}

// alertLabels say what each alert means, for people.
var alertLabels = map[string]string{
	monitor.HighCPU:            "CPU",
	monitor.HighMemory:         "Memory",
	monitor.TooManyConnections: "Connections",
	monitor.SlowResponse:       "Response time (p99)",
	monitor.LowSuccessRate:     "Success rate",
}

// adminStatusShow is the capacity page (admin): the alerts and the last
// hour's connections, posts per second, p99 and memory. The page is
// complete as rendered; admin_status.js redraws it from the API every 10 s
// and adds the charts.
func (u *UI) adminStatusShow(w http.ResponseWriter, r *http.Request, v *visit) error {
	mon := u.api.Monitor()
	if mon == nil {
		return chat.NotFound("page")
	}
	st := mon.Status()
	l, err := u.fullLayout(w, r, v, "admin_status", "Status", 0)
	if err != nil {
		return err
	}
	th := st.Thresholds
	p := &adminStatusPage{layout: l, Preset: st.Preset, Instance: st.Instance, Thresholds: []statusThreshold{
		{"CPU above", percent(th.MaxCPU)},
		{"Memory above", percent(th.MaxMemory) + " of the limit"},
		{"Connections above", fmt.Sprint(th.MaxConnections)},
		{"Response time (p99) above", millis(float64(th.MaxResponseTime) / float64(time.Millisecond))},
		{"Success rate below", percent(th.MinSuccessRate)},
	}}
	var s monitor.Sample
	if st.Latest != nil {
		s = *st.Latest
		p.Sampled = s.At.UTC().Format(time.RFC3339)
	}
	for _, a := range st.Alerts {
		va := statusAlert{Name: a.Name, Label: alertLabels[a.Name], Active: a.Active}
		if a.Since != nil {
			va.Since = a.Since.UTC().Format(time.RFC3339)
			va.SinceText = v.clock.Time(*a.Since)
		}
		switch a.Name {
		case monitor.HighCPU, monitor.HighMemory, monitor.LowSuccessRate:
			va.Value, va.Threshold = percent(a.Value), percent(a.Threshold)
		case monitor.SlowResponse:
			va.Value, va.Threshold = millis(a.Value), millis(a.Threshold)
		default:
			va.Value, va.Threshold = fmt.Sprint(int64(a.Value)), fmt.Sprint(int64(a.Threshold))
		}
		p.Alerts = append(p.Alerts, va)
	}
	mem := mib(s.MemoryBytes)
	if s.MemoryLimitBytes > 0 {
		mem += " of " + mib(s.MemoryLimitBytes)
	}
	p.Charts = []statusChart{
		{"connections", "Connections", fmt.Sprint(s.Connections), fmt.Sprint(th.MaxConnections)},
		{"posts", "Posts per second", fmt.Sprintf("%.1f", s.PostsPerSecond), ""},
		{"p99", "Response time (p99)", millis(float64(s.P99) / float64(time.Millisecond)), millis(float64(th.MaxResponseTime) / float64(time.Millisecond))},
		{"memory", "Memory", mem, ""},
	}
	u.render(w, http.StatusOK, "admin_status", p)
	return nil
}

func percent(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }
func millis(f float64) string  { return fmt.Sprintf("%.1f ms", f) }
func mib(b uint64) string      { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
