package presence_test

import (
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/presence"
	"github.com/campfire-go/campfire/internal/presence/presencetest"
)

func TestMemoryContract(t *testing.T) {
	presencetest.Run(t, func(t *testing.T, ttl time.Duration, now func() time.Time) presence.Presence {
		return presence.NewMemoryClock(ttl, now)
	})
}
