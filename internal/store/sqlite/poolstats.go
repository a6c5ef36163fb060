package sqlite

import "github.com/campfire-go/campfire/internal/store"

// PoolStats reports the readers' pool (the writer is one connection).
func (s *Store) PoolStats() store.PoolStats {
	st := s.rdb.Stats()
	return store.PoolStats{InUse: st.InUse, Idle: st.Idle, Max: st.MaxOpenConnections, Waits: st.WaitCount, WaitTime: st.WaitDuration}
}
