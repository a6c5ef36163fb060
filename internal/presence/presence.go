// Package presence records which users are connected to which rooms, the
// way Campfire decides who is "here": a member is connected to a room while
// at least one of their sockets is subscribed to it, visible, and has sent a
// heartbeat within the TTL (60 s by default). The core asks Online before
// marking a room unread (and, later, before pushing), and the hub publishes
// a presence frame when a room's online set changes.
//
// Contract, for every implementation:
//   - Records are per socket (conn is unique per socket and instance), so a
//     user with two tabs stays online until the last one leaves.
//   - Join is idempotent and doubles as the heartbeat: calling it again
//     refreshes the record. A record not refreshed within the TTL no longer
//     counts in Online and is removed by Sweep, so the sockets of a crashed
//     instance expire on their own.
//   - Online returns user ids in ascending order, without duplicates; an
//     empty room returns an empty slice and a nil error.
//   - The changed results are hints for publishing presence events (exact
//     for the in-process implementation, best effort for distributed ones);
//     Online is the truth.
//   - Presence outlives no heartbeat by more than the TTL: a fresh Memory
//     starts with nobody online; a shared store holds the other
//     instances' sockets, and those of an instance that stopped expire.
//
// Implementations: Memory here (one instance) and redis (N instances,
// expiry as sorted-set scores, TTLs on the keys as a backstop). Both pass
// the suite in presencetest.
package presence

import (
	"context"
	"time"
)

// DefaultTTL is how long a heartbeat keeps a socket connected.
const DefaultTTL = 60 * time.Second

// Presence tracks connected sockets per room.
type Presence interface {
	// Join records (or refreshes) that socket conn of userID is present in
	// roomID. changed reports that userID was not online in roomID before.
	Join(ctx context.Context, roomID, userID int64, conn string) (changed bool, err error)
	// Leave forgets that record. changed reports that userID is no longer
	// online in roomID.
	Leave(ctx context.Context, roomID, userID int64, conn string) (changed bool, err error)
	// Online lists the users online in roomID, ascending.
	Online(ctx context.Context, roomID int64) ([]int64, error)
	// Sweep removes records older than the TTL and returns the rooms whose
	// online set changed.
	Sweep(ctx context.Context) (rooms []int64, err error)
}
