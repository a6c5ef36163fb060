package engine

import (
	"context"
	"fmt"
	"os"

	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/push"
	"github.com/campfire-go/campfire/internal/store"
)

// PushOptions adjust Web Push beyond the environment.
type PushOptions struct {
	// Config, when set, replaces VAPID_* from the environment.
	Config *config.Push
	// Pool tunes the sender pool; its Subject, Gone and Log are set here.
	// Tests set AllowLoopback for their httptest receiver.
	Pool push.Options
}

// openPush loads the VAPID keys and builds the sender pool on the core.
// Keys from the environment win; otherwise the database keeps one pair
// for every instance (the first to start stores it), so subscriptions,
// which browsers bind to the public key, survive restarts, backups,
// migrate-data and scaling out without configuration.
func (e *Engine) openPush(ctx context.Context, opts PushOptions) error {
	var pc config.Push
	if opts.Config != nil {
		pc = *opts.Config
	} else {
		var err error
		if pc, err = config.PushFromEnv(os.LookupEnv); err != nil {
			return err
		}
	}
	var v *push.VAPID
	var err error
	if pc.PublicKey != "" {
		if v, err = push.ParseVAPID(pc.PublicKey, pc.PrivateKey); err != nil {
			return fmt.Errorf("VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY: %w", err)
		}
	} else {
		pub, priv, err := push.GenerateVAPID()
		if err != nil {
			return err
		}
		k, err := e.Store.VAPIDKeys(ctx, store.VAPIDKeys{PublicKey: pub, PrivateKey: priv})
		if err != nil {
			return fmt.Errorf("loading VAPID keys: %w", err)
		}
		if v, err = push.ParseVAPID(k.PublicKey, k.PrivateKey); err != nil {
			return fmt.Errorf("the VAPID keys stored in the database: %w", err)
		}
	}
	po := opts.Pool
	po.Subject = e.Core.PushSubject(pc.Subject)
	po.Gone = e.Core.ExpirePushSubscription
	po.Log = e.log.With("component", "push")
	e.Push = push.New(v, po)
	e.Core.SetPusher(e.Push)
	return nil
}
