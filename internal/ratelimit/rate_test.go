package ratelimit

import (
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{
		"30/10s":   {30, 10 * time.Second},
		" 10/3m ":  {10, 3 * time.Minute},
		"20 / 1s":  {20, time.Second},
		"1/24h":    {1, 24 * time.Hour},
		"5/1m30s":  {5, 90 * time.Second},
		"40/100ms": {40, 100 * time.Millisecond},
	} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, err := ParseRate(got.String()); err != nil || back != got {
			t.Errorf("%v does not round-trip through %q: %v %v", got, got.String(), back, err)
		}
	}
	for _, in := range []string{"", "30", "/10s", "30/", "x/1s", "30/x", "0/1s", "-1/1s", "1/0s", "1/-1s", "1/10ms", "1/25h", "2000000/1s", "1.5/1s"} {
		if r, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) = %v, want an error", in, r)
		}
	}
	if s := (Rate{20, 10 * time.Minute}).String(); s != "20/10m" {
		t.Errorf("String = %q", s)
	}
	if s := (Rate{1, 2 * time.Hour}).String(); s != "1/2h" {
		t.Errorf("String = %q", s)
	}
}
