package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a limit as an operator writes it: Burst events at once, refilling
// to Burst over Per ("30/10s": 30 at once, then one every 333 ms). The zero
// Rate means "not set".
type Rate struct {
	Burst int
	Per   time.Duration
}

// Bounds of a Rate an operator may set: beyond them a value is a typo
// (30/10ms) or a limit that is no limit, and the limiters' arithmetic
// stays far from overflow.
const (
	MaxBurst = 1_000_000
	MinPer   = 100 * time.Millisecond
	MaxPer   = 24 * time.Hour
)

// ParseRate reads "N/duration" (Go duration syntax: "30/10s", "10/3m",
// "20/1s"). It is the one parser of every rate setting.
func ParseRate(s string) (Rate, error) {
	n, d, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("%q is not N/duration (e.g. 30/10s)", s)
	}
	burst, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil {
		return Rate{}, fmt.Errorf("%q: %q is not a whole number (e.g. 30/10s)", s, n)
	}
	per, err := time.ParseDuration(strings.TrimSpace(d))
	if err != nil {
		return Rate{}, fmt.Errorf("%q: %q is not a duration (e.g. 30/10s, 10/3m)", s, d)
	}
	r := Rate{Burst: burst, Per: per}
	return r, r.Validate()
}

// Validate checks a Rate is within bounds.
func (r Rate) Validate() error {
	if r.Burst < 1 || r.Burst > MaxBurst {
		return fmt.Errorf("%s: the count must be 1-%d", r, MaxBurst)
	}
	if r.Per < MinPer || r.Per > MaxPer {
		return fmt.Errorf("%s: the duration must be %s-%s", r, MinPer, MaxPer)
	}
	return nil
}

// IsZero reports an unset Rate.
func (r Rate) IsZero() bool { return r == Rate{} }

// PerSecond is the sustained rate.
func (r Rate) PerSecond() float64 { return float64(r.Burst) / r.Per.Seconds() }

// String writes the Rate as ParseRate reads it, with the duration trimmed
// of zero units ("30/10s", "10/3m", "20/10m").
func (r Rate) String() string {
	d := r.Per.String()
	if strings.HasSuffix(d, "m0s") {
		d = strings.TrimSuffix(d, "0s")
	}
	if strings.HasSuffix(d, "h0m") {
		d = strings.TrimSuffix(d, "0m")
	}
	return strconv.Itoa(r.Burst) + "/" + d
}
