package memory_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/broker/brokertest"
	"github.com/campfire-go/campfire/internal/broker/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestContract(t *testing.T) {
	brokertest.Run(t, func(t *testing.T) broker.Broker { return memory.New(0) })
}
