package app_test

import (
	"strings"
	"testing"
)

// TestHelpFlagPrintsUsage: -h after a command (or alone) is a request for
// help, answered with the usage and exit 0, not "invalid configuration".
func TestHelpFlagPrintsUsage(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"serve", "-h"}, {"backup", "x.db", "-help"}} {
		code, stdout, stderr := run(nil, args...)
		if code != 0 || !strings.Contains(stdout, "Usage: campfire") || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}
