package config

import "flag"

// Files is what an operator sets for blob storage and uploads.
type Files struct{}

func (f *Files) fromEnv(env map[string]string) error { return nil }

func (f *Files) flags(fs *flag.FlagSet) {}

func (f Files) validate() []error { return nil }
