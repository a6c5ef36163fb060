//go:build !unix

package monitor

import (
	"runtime/metrics"
	"time"
)

// CPUTime is the Go runtime's estimate of the CPU time this process used
// (without a getrusage, it misses time spent outside Go code).
func CPUTime() time.Duration {
	s := []metrics.Sample{{Name: "/cpu/classes/total:cpu-seconds"}, {Name: "/cpu/classes/idle:cpu-seconds"}}
	metrics.Read(s)
	return time.Duration((s[0].Value.Float64() - s[1].Value.Float64()) * float64(time.Second))
}
