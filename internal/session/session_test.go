package session_test

import (
	"path/filepath"
	"testing"

	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/session/sessiontest"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/postgres"
	"github.com/campfire-go/campfire/internal/store/sqlite"
	"github.com/campfire-go/campfire/internal/testenv"
)

func TestDBContract(t *testing.T) {
	sessiontest.Run(t, dbHarness(func(t *testing.T) store.Store {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "campfire.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}))
}

func TestDBContractPostgres(t *testing.T) {
	testenv.PostgresURL(t)
	sessiontest.Run(t, dbHarness(func(t *testing.T) store.Store {
		st, err := postgres.Open(t.Context(), testenv.PostgresSchema(t), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}))
}

func dbHarness(open func(t *testing.T) store.Store) sessiontest.Factory {
	return func(t *testing.T, cfg sessiontest.Config) sessiontest.Harness {
		st := open(t)
		return sessiontest.Harness{
			Sessions: &session.DB{Store: st, Now: cfg.Now, IdleTTL: cfg.IdleTTL},
			DB:       st,
			IdleTTL:  cfg.IdleTTL,
			Other: func(*testing.T) session.Store {
				return &session.DB{Store: st, Now: cfg.Now, IdleTTL: cfg.IdleTTL}
			},
		}
	}
}

// BenchmarkLookup is the per-request cost of authenticating on the
// database store (SQLite; no touch within TouchEvery).
func BenchmarkLookup(b *testing.B) {
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "campfire.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	_, admin, _, err := st.Setup(b.Context(), store.SetupParams{
		AccountName: "Acme", JoinCode: "j", RoomName: "All Talk",
		Admin: store.NewUser{Name: "Ada", Email: "ada@example.com", PasswordHash: "h"},
	})
	if err != nil {
		b.Fatal(err)
	}
	db := &session.DB{Store: st}
	token, _, err := db.Create(b.Context(), admin.ID, "10.0.0.1", "Firefox")
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := db.Lookup(b.Context(), token, "10.0.0.1", "Firefox"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
