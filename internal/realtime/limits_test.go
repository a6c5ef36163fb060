package realtime

import "testing"

// The per-socket limits follow raised settings and never undercut them;
// with the default settings they are today's.
func TestFollowLimits(t *testing.T) {
	d := DefaultConfig
	c := Config{}.FollowLimits(3, 30, 64<<10) // RATE_LIMIT_POSTS=30/10s, MAX_MESSAGE_BYTES=64 KiB
	if c.PostRate != d.PostRate || c.PostBurst != d.PostBurst || c.FrameRate != d.FrameRate ||
		c.FrameBurst != d.FrameBurst || c.ReadLimit != d.ReadLimit {
		t.Fatalf("defaults changed: %+v", c)
	}
	c = Config{}.FollowLimits(100, 100, 256<<10) // RATE_LIMIT_POSTS=100/1s
	if c.PostRate != 100 || c.PostBurst != 100 || c.FrameRate < 100+40 || c.FrameBurst < 100+170 || c.ReadLimit != 256<<10 {
		t.Fatalf("raised: %+v", c)
	}
	// A test's own tighter per-socket limit is kept when the settings are
	// below it.
	c = Config{PostRate: 0.5, PostBurst: 2}.FollowLimits(0, 0, 0)
	if c.PostRate != 0.5 || c.PostBurst != 2 {
		t.Fatalf("explicit: %+v", c)
	}
}
