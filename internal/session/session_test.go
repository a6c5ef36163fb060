package session_test

import (
	"path/filepath"
	"testing"

	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/session/sessiontest"
	"github.com/campfire-go/campfire/internal/store/sqlite"
)

func TestDBContract(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T, cfg sessiontest.Config) sessiontest.Harness {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "campfire.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return sessiontest.Harness{
			Sessions: &session.DB{Store: st, Now: cfg.Now, IdleTTL: cfg.IdleTTL},
			DB:       st,
			IdleTTL:  cfg.IdleTTL,
			Other: func(*testing.T) session.Store {
				return &session.DB{Store: st, Now: cfg.Now, IdleTTL: cfg.IdleTTL}
			},
		}
	})
}
