package config

import "flag"

// Monitor is what an operator sets for metrics and capacity thresholds.
type Monitor struct{}

func (m *Monitor) fromEnv(env map[string]string) error { return nil }

func (m *Monitor) flags(fs *flag.FlagSet) {}

func (m Monitor) validate() []error { return nil }
