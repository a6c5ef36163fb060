package app

import (
	"github.com/campfire-go/campfire/internal/app/engine"
	"github.com/campfire-go/campfire/internal/metrics"
	"github.com/campfire-go/campfire/internal/push"
)

// registerPushMetrics exposes the Web Push pool's counters.
func registerPushMetrics(m *metrics.Metrics, e *engine.Engine) {
	if e.Push == nil {
		return
	}
	for _, c := range []struct {
		name, help string
		v          func(s push.Stats) uint64
	}{
		{"campfire_push_sent_total", "Web Push notifications a push service accepted.", func(s push.Stats) uint64 { return s.Sent }},
		{"campfire_push_gone_total", "Push subscriptions deleted because their push service said they are gone (404/410).", func(s push.Stats) uint64 { return s.Gone }},
		{"campfire_push_failed_total", "Web Push notifications refused, or still failing after the retries.", func(s push.Stats) uint64 { return s.Failed }},
		{"campfire_push_retried_total", "Web Push attempts repeated after a 429, a 5xx or a network failure.", func(s push.Stats) uint64 { return s.Retried }},
		{"campfire_push_dropped_total", "Web Push work dropped because its queue was full (or the server was stopping).", func(s push.Stats) uint64 { return s.Dropped }},
	} {
		m.AddCounter(c.name, c.help, func() float64 { return float64(c.v(e.Push.Stats())) })
	}
}
