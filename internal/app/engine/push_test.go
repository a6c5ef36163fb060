package engine_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/campfire-go/campfire/internal/app/engine"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/push"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/testenv"
)

// VAPID keys: generated once and kept in the database, so a second start
// (or another instance) uses the same pair; keys from the environment win
// and are not stored; a broken pair stops the start with one line.
func TestVAPIDKeys(t *testing.T) {
	cfg := testenv.Config(t)
	log := slog.New(slog.DiscardHandler)
	empty := &config.Push{}
	open := func(pc *config.Push) (*engine.Engine, error) {
		return engine.Open(t.Context(), cfg, log, engine.Options{Push: engine.PushOptions{Config: pc}})
	}
	first, err := open(empty)
	if err != nil {
		t.Fatal(err)
	}
	generated := first.Push.PublicKey()
	first.Close()
	again, err := open(empty)
	if err != nil {
		t.Fatal(err)
	}
	if again.Push.PublicKey() != generated {
		t.Fatal("a restart generated new VAPID keys")
	}
	again.Close()

	pub, priv, _ := push.GenerateVAPID()
	given, err := open(&config.Push{PublicKey: pub, PrivateKey: priv})
	if err != nil {
		t.Fatal(err)
	}
	if given.Push.PublicKey() != pub {
		t.Fatal("the environment's keys were not used")
	}
	stored, err := given.Store.VAPIDKeys(t.Context(), store.VAPIDKeys{})
	if err != nil || stored.PublicKey != generated {
		t.Fatalf("the database's pair changed: %v", err)
	}
	given.Close()

	other, _, _ := push.GenerateVAPID()
	if _, err := open(&config.Push{PublicKey: other, PrivateKey: priv}); err == nil || !strings.Contains(err.Error(), "VAPID") {
		t.Fatalf("mismatched keys: %v", err)
	}
}
