// Package broker carries committed events from the instance that made them to
// every instance's hub (this one included).
//
// Guarantee: at-most-once, best effort. An event may be lost (a Redis
// hiccup, an instance restart) but is never invented, and nothing is
// published before its transaction committed. Events of one room published
// by one instance arrive in publish order; events of one room published by
// different instances may interleave, which is why message events carry the
// room's seq and the hub restores seq order, filling gaps from the database.
//
// Implementations: memory (one instance) and redis (N instances). Both pass
// the contract suite in brokertest; redis also passes its multi-instance
// suite (brokertest.RunCluster).
package broker

import "context"

// Event is one thing that happened, already encoded as the exact cable
// frame every recipient gets, so it is encoded once and the same bytes are
// written to every socket.
type Event struct {
	// Type is the frame's "type" ("message.created", "room.unread", …) or
	// an internal control type (see Control*), which is never sent to a
	// client.
	Type string
	// RoomID scopes the event to the sockets subscribed to a room.
	RoomID int64
	// UserIDs scopes the event to every socket of these users instead,
	// subscribed or not (room.unread, room.created, …).
	UserIDs []int64
	// AllUsers scopes the event to every socket (e.g. a new open room).
	AllUsers bool
	// Sessions lists the token hashes of the sessions ControlCloseSession
	// closes.
	Sessions []string
	// Seq is the room's seq for message.created (0 otherwise). The hub
	// delivers message.created of a room in seq order, with no gap.
	Seq int64
	// Frame is the encoded JSON frame, shared read-only by all recipients.
	Frame []byte
}

// Control types: instructions to hubs, never forwarded to clients.
const (
	// ControlCloseUser closes every socket of UserIDs (deactivated, banned).
	ControlCloseUser = "control.close_user"
	// ControlLeaveRoom unsubscribes UserIDs' sockets from RoomID (membership
	// lost, room deleted).
	ControlLeaveRoom = "control.leave_room"
	// ControlCloseSession closes the sockets opened with the sessions in
	// Sessions (signed out, revoked by a password change).
	ControlCloseSession = "control.close_session"
	// ControlResync means the broker may have lost events (its connection
	// to the other instances broke and came back): the hub re-reads each
	// local room from the database by seq and re-checks its sockets'
	// sessions and memberships. It carries no scope and no frame. The
	// memory broker never emits it.
	ControlResync = "control.resync"
)

// Broker moves events between instances.
type Broker interface {
	// Publish sends e to every subscriber on every instance. It does not
	// block on slow subscribers; an error means the event may not have left
	// this instance (clients recover by seq).
	Publish(ctx context.Context, e Event) error
	// Subscribe registers the one local handler that receives every event
	// (this instance's hub). handle must not block: it hands events to
	// bounded queues. Subscribe is called once, before Run.
	Subscribe(handle func(Event))
	// WatchRoom and WatchUser tell the broker whether this instance has
	// sockets for a room or user (on=true when the first arrives, false when
	// the last leaves), so a distributed broker listens only to the channels
	// it needs. All events reach handle regardless for the memory broker.
	WatchRoom(roomID int64, on bool)
	WatchUser(userID int64, on bool)
	// Run delivers events until ctx is done or Close is called.
	Run(ctx context.Context) error
	// Close stops delivery and releases connections.
	Close() error
}
