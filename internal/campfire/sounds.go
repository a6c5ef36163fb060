package campfire

import "github.com/campfire-go/campfire/internal/sounds"

// Sounds lists what "/play NAME" can play. They are the same for everyone
// and no secret, so there is nothing to authorize.
func (c *Core) Sounds() []sounds.Sound { return sounds.All() }

// Sound finds a sound by the file name it is served under.
func (c *Core) Sound(file string) (sounds.Sound, bool) { return sounds.ByFile(file) }
