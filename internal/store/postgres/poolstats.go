package postgres

import "github.com/campfire-go/campfire/internal/store"

// PoolStats reports the pgx pool.
func (s *Store) PoolStats() store.PoolStats {
	st := s.pool.Stat()
	return store.PoolStats{
		InUse: int(st.AcquiredConns()), Idle: int(st.IdleConns()), Max: int(st.MaxConns()),
		Waits: st.EmptyAcquireCount(), WaitTime: st.EmptyAcquireWaitTime(), Timeouts: st.CanceledAcquireCount(),
	}
}
