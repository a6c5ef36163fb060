// Package observed times every call a store answers, for the
// campfire_database_query_seconds histogram: the operation is the method's
// name, so the label set is bounded by the store.Store interface.
//
// The methods are generated (store_gen.go) from store.Store by
// `go generate ./internal/store/observed`; a test fails when a method was
// added to the interface and not regenerated. Until then the embedded store
// answers the new method untimed, so the build never breaks.
package observed

//go:generate go test -run TestGeneratedIsCurrent -update .

import (
	"time"

	"github.com/campfire-go/campfire/internal/store"
)

// Store wraps a store.Store and reports each call's duration.
type Store struct {
	store.Store
	observe func(operation string, d time.Duration)
}

// New wraps inner; observe is called after each call (it must not block).
func New(inner store.Store, observe func(operation string, d time.Duration)) *Store {
	return &Store{Store: inner, observe: observe}
}

// Unwrap returns the wrapped store.
func (s *Store) Unwrap() store.Store { return s.Store }

func (s *Store) done(op string, start time.Time) { s.observe(op, time.Since(start)) }

// Operations lists the operation labels (for pre-creating the series).
func Operations() []string { return operations }
