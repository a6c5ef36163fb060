package store

import (
	"context"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
)

// PushSubscription is one browser's Web Push endpoint and the keys its
// payloads are encrypted to (RFC 8291), as the browser's PushSubscription
// gives them: P256dh and Auth are base64url.
type PushSubscription struct {
	ID        int64
	UserID    int64
	Endpoint  string
	P256dh    string
	Auth      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PushTarget is a subscription of a room member with their involvement in
// the room.
type PushTarget struct {
	PushSubscription
	Involvement chat.Involvement
}

// VAPIDKeys is the server's VAPID key pair (RFC 8292), base64url: the
// public key as an uncompressed P-256 point, the private key as its 32-byte
// scalar.
type VAPIDKeys struct {
	PublicKey  string
	PrivateKey string
}

// PushSubscriptions owns Web Push subscriptions and the VAPID keys they
// are bound to.
type PushSubscriptions interface {
	// SavePushSubscription stores s for s.UserID. An endpoint already
	// stored, for anyone, is taken over with the new keys (a browser
	// profile notifies whoever subscribed it last). A person keeps at most
	// max subscriptions: beyond it the least recently saved are deleted in
	// the same transaction. It returns the stored row.
	SavePushSubscription(ctx context.Context, s PushSubscription, max int) (PushSubscription, error)
	// DeletePushSubscription deletes userID's subscription for endpoint;
	// chat.ErrNotFound when userID holds none (someone else's is left alone).
	DeletePushSubscription(ctx context.Context, userID int64, endpoint string) error
	// ExpirePushSubscription deletes a subscription by id, as the push
	// service reported it gone; an absent one is not an error.
	ExpirePushSubscription(ctx context.Context, id int64) error
	// PushSubscriptionsFor lists the subscriptions of userIDs, ordered by
	// user then id. Empty input, empty output.
	PushSubscriptionsFor(ctx context.Context, userIDs []int64) ([]PushSubscription, error)
	// PushTargets lists the subscriptions of roomID's active people (never
	// bots) other than exceptUserID whose involvement there is everything
	// or mentions, by user then id. It reads the subscriptions, not the
	// members, so a big room without subscribers costs next to nothing.
	PushTargets(ctx context.Context, roomID, exceptUserID int64) ([]PushTarget, error)
	// UnreadRoomCounts counts the rooms each of userIDs has unread (their
	// app badge); users with none are absent from the map.
	UnreadRoomCounts(ctx context.Context, userIDs []int64) (map[int64]int, error)
	// VAPIDKeys returns the stored key pair, storing candidate first when
	// there is none: the first caller wins, across every process sharing
	// the database, and every later call returns its pair.
	VAPIDKeys(ctx context.Context, candidate VAPIDKeys) (VAPIDKeys, error)
}
