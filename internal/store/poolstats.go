package store

import "time"

// PoolStats is a snapshot of a store's connection pool, for metrics: the
// PostgreSQL pool, or SQLite's pool of readers (its writer is one
// connection of its own).
type PoolStats struct {
	InUse, Idle, Max int
	// Waits counts acquisitions that had to wait for a connection, and
	// WaitTime is the total time they waited; Timeouts counts those whose
	// context ended first (PostgreSQL only).
	Waits, Timeouts int64
	WaitTime        time.Duration
}

// PoolStatser is a store that can report its pool.
type PoolStatser interface {
	PoolStats() PoolStats
}
