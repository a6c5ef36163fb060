// Package scaleout holds the end-to-end and fault tests of Campfire as N
// instances of the real binary on PostgreSQL and Redis behind a real nginx:
// every subscriber on every instance sees every message once and in seq
// order while posts arrive through all of them; revocations reach every
// instance's sockets within a second; and nothing acknowledged is lost or
// stored twice when an instance is killed, Redis restarts or PostgreSQL
// stops for a while. The fault tests run their own redis-server and
// PostgreSQL (testenv.StartRedis, testenv.StartPostgres) and never touch
// the machine's shared ones.
//
// It has no code of its own: everything is in its tests. The fan-out
// figures for the scaling guide come from TestFanoutFigures, run with
// CAMPFIRE_SCALEOUT_BENCH=1 (see its comment).
package scaleout
