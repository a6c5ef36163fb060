// Package observed times every publish a broker makes, for the
// campfire_broker_publish_seconds histogram.
package observed

import (
	"context"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
)

// Broker wraps a broker.Broker; everything but Publish passes through.
type Broker struct {
	broker.Broker
	observe func(d time.Duration)
}

// New wraps inner; observe is called after each publish (it must not
// block).
func New(inner broker.Broker, observe func(d time.Duration)) *Broker {
	return &Broker{Broker: inner, observe: observe}
}

// Publish publishes through the wrapped broker and reports how long it took.
func (b *Broker) Publish(ctx context.Context, e broker.Event) error {
	start := time.Now()
	err := b.Broker.Publish(ctx, e)
	b.observe(time.Since(start))
	return err
}
