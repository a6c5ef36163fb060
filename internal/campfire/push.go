package campfire

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/push"
	"github.com/campfire-go/campfire/internal/store"
)

// MaxPushSubscriptions is how many browsers one person keeps subscribed;
// saving one more drops their least recently saved.
const MaxPushSubscriptions = 20

// SetPusher connects Web Push (before Run). Without one nothing is pushed
// and subscribing answers 503.
func (c *Core) SetPusher(p *push.Pool) { c.pusher = p }

// VAPIDPublicKey is the key browsers subscribe with; "" without push.
func (c *Core) VAPIDPublicKey() string {
	if c.pusher == nil {
		return ""
	}
	return c.pusher.PublicKey()
}

// PushSubject returns the VAPID contact push services see: configured
// when set (VAPID_SUBJECT), else the first administrator's email.
func (c *Core) PushSubject(configured string) func() string {
	return func() string {
		if configured != "" {
			return configured
		}
		ct, err := c.AdminContact(context.Background())
		if err != nil || ct.Email == "" {
			return ""
		}
		return "mailto:" + ct.Email
	}
}

var errPushOff = chat.Errorf(chat.KindUnavailable, "push_unavailable", "notifications are not available on this server")

// SubscribePush stores the caller's browser subscription. The endpoint is
// a URL the server will POST to, so it must be https on a public host (the
// address is checked again when connecting); the keys must be what RFC 8291
// needs.
func (c *Core) SubscribePush(ctx context.Context, u chat.User, endpoint, p256dh, auth string) (store.PushSubscription, error) {
	if c.pusher == nil {
		return store.PushSubscription{}, errPushOff
	}
	if u.Role == chat.RoleBot {
		return store.PushSubscription{}, chat.Forbidden("bots do not receive notifications")
	}
	if err := push.CheckEndpoint(endpoint, c.pusher.AllowLoopback()); err != nil {
		return store.PushSubscription{}, chat.Invalid("invalid_endpoint", "%s", err.Error())
	}
	if err := push.CheckKeys(p256dh, auth); err != nil {
		return store.PushSubscription{}, chat.Invalid("invalid_keys", "%s", err.Error())
	}
	if err := c.limitAction(ctx, u, "subscribing to notifications"); err != nil {
		return store.PushSubscription{}, err
	}
	return c.store.SavePushSubscription(ctx, store.PushSubscription{
		UserID: u.ID, Endpoint: endpoint, P256dh: p256dh, Auth: auth,
	}, MaxPushSubscriptions)
}

// UnsubscribePush deletes the caller's subscription for endpoint. It is
// idempotent: an endpoint the caller does not hold (absent, or someone
// else's, which is left alone) is not an error.
func (c *Core) UnsubscribePush(ctx context.Context, u chat.User, endpoint string) error {
	if endpoint == "" {
		return chat.Invalid("invalid_endpoint", "endpoint is required")
	}
	err := c.store.DeletePushSubscription(ctx, u.ID, endpoint)
	if errors.Is(err, chat.ErrNotFound) {
		return nil
	}
	return err
}

// pushLater queues the decision of who is notified of m, off the
// poster's path. Only the instance that stored the message gets here, so
// with several instances each message is pushed once.
func (c *Core) pushLater(room chat.Room, m chat.Message) {
	if c.pusher == nil {
		return
	}
	// Keep only what a notification shows: a queue of full messages (64
	// KiB bodies, their HTML) could hold tens of megabytes.
	body := m.Body
	if strings.TrimSpace(body) == "" && m.Attachment != nil {
		body = "📎 " + m.Attachment.Filename // a file without a caption
	}
	m = chat.Message{ID: m.ID, RoomID: m.RoomID, CreatorID: m.CreatorID, Mentions: m.Mentions,
		Creator: chat.User{ID: m.Creator.ID, Name: m.Creator.Name}, Body: clip(body, push.MaxPayload)}
	c.pusher.Plan(func(ctx context.Context) { c.pushMessage(ctx, room, m) })
}

// clip cuts s to at most n bytes on a rune boundary (the payload is cut
// properly, with an ellipsis, later).
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// pushMessage sends m to the subscribed members who should hear of it.
func (c *Core) pushMessage(ctx context.Context, room chat.Room, m chat.Message) {
	targets, err := c.store.PushTargets(ctx, room.ID, m.CreatorID)
	if err != nil {
		c.log.Warn("push: reading subscriptions", "room", room.ID, "err", err)
		return
	}
	if len(targets) == 0 {
		return
	}
	targets = pushRecipients(room, m, targets, c.online(ctx, room.ID))
	if len(targets) == 0 {
		return
	}
	var users []int64
	for _, t := range targets {
		if len(users) == 0 || users[len(users)-1] != t.UserID {
			users = append(users, t.UserID)
		}
	}
	badges, err := c.store.UnreadRoomCounts(ctx, users)
	if err != nil {
		c.log.Warn("push: counting unread rooms", "err", err) // badges show 0
	}
	title := room.Name
	if room.Type == chat.RoomDirect {
		title = m.Creator.Name
	}
	payloads := map[int64][]byte{} // per user: the badge differs
	for _, t := range targets {
		b, ok := payloads[t.UserID]
		if !ok {
			b = push.Payload{
				Title: title, Body: m.Creator.Name + ": " + m.Body,
				Path:  "/rooms/" + strconv.FormatInt(room.ID, 10) + "/@" + strconv.FormatInt(m.ID, 10),
				Badge: badges[t.UserID], RoomID: room.ID, MessageID: m.ID,
			}.Encode(push.MaxPayload)
			payloads[t.UserID] = b
		}
		c.pusher.Enqueue(push.Job{SubscriptionID: t.ID, Endpoint: t.Endpoint, P256dh: t.P256dh, Auth: t.Auth, Payload: b})
	}
}

// pushRecipients keeps the targets that hear of m, as Campfire decides:
// nobody reading the room right now (online: a visible socket subscribed
// to it); in a shared room members involved in everything, and those
// involved in mentions when m mentions them; in a direct room mentions
// counts as everything (direct rooms are everything or nothing). Never the
// author; nothing and invisible never.
func pushRecipients(room chat.Room, m chat.Message, targets []store.PushTarget, online []int64) []store.PushTarget {
	return slices.DeleteFunc(targets, func(t store.PushTarget) bool {
		if t.UserID == m.CreatorID || slices.Contains(online, t.UserID) {
			return true
		}
		switch t.Involvement {
		case chat.InvolvementEverything:
			return false
		case chat.InvolvementMentions:
			return room.Type != chat.RoomDirect && !slices.Contains(m.Mentions, t.UserID)
		}
		return true // nothing, invisible
	})
}

// dropPushSubscriptions unsubscribes every browser of a person who set a
// new password: that is how a lost device is shut out, and its browser
// would otherwise keep showing their messages' text. Which browser made
// the change is not known; its page subscribes again on its next load.
// A failure is logged: the password change itself stands.
func (c *Core) dropPushSubscriptions(ctx context.Context, userID int64) {
	subs, err := c.store.PushSubscriptionsFor(ctx, []int64{userID})
	for _, s := range subs {
		if err == nil {
			err = c.store.ExpirePushSubscription(ctx, s.ID)
		}
	}
	if err != nil {
		c.log.Warn("push: dropping subscriptions after a password change", "user", userID, "err", err)
	}
}

// ExpirePushSubscription deletes a subscription its push service reported
// gone (the pool's Gone callback).
func (c *Core) ExpirePushSubscription(ctx context.Context, id int64) {
	if err := c.store.ExpirePushSubscription(context.WithoutCancel(ctx), id); err != nil {
		c.log.Warn("push: deleting a gone subscription", "subscription", id, "err", err)
	}
}
