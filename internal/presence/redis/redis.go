// Package redis keeps presence in Redis, so every instance sees who is
// connected to a room through any instance, and the sockets of an instance
// that crashed go offline by themselves when their heartbeats stop.
//
// Three kinds of sorted sets, scored by expiry (unix milliseconds of the
// caller's clock, so instances' clocks should agree within a few seconds,
// which NTP gives; the TTL is a minute):
//
//	{prefix}{presence}:room:{r}:user:{u}  conn → expiry of that socket's record
//	{prefix}{presence}:room:{r}           user → latest expiry of their sockets
//	{prefix}{presence}:rooms              room → earliest user expiry in it
//
// Online is one range read of the room set. Join, Leave and one Sweep batch
// are Lua scripts, so each keeps the three sets consistent atomically; the
// rooms set lets Sweep find exactly the rooms with something to expire
// instead of scanning. Every key also carries a Redis TTL of twice the
// presence TTL, refreshed by Join, so nothing outlives its last heartbeat
// for long even if no instance ever sweeps again.
//
// All keys share the hash tag {presence}: the scripts touch several keys,
// and on Redis Cluster that keeps them in one slot (so one shard holds all
// presence, a small, heartbeat-rate load).
package redis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/campfire-go/campfire/internal/presence"
)

// Options configures a Presence. Zero values take the defaults.
type Options struct {
	// Prefix starts every key (default "campfire:"); tests use a unique one.
	Prefix string
	// TTL is how long a heartbeat keeps a socket present
	// (presence.DefaultTTL).
	TTL time.Duration
	// Now is the clock (tests pass a fake one).
	Now func() time.Time
	// Timeout bounds one call (default 1 s): presence is advisory, and a
	// post that asks who is online must not wait on a stalled server.
	Timeout time.Duration
}

// Sweep's bounds: one script call handles at most sweepRooms rooms and
// sweepUsers expired users in each, so it holds Redis briefly; one Sweep
// makes at most sweepBatches calls and leaves any rest to the next.
const (
	sweepRooms   = 64
	sweepUsers   = 256
	sweepBatches = 16
)

// Presence is presence.Presence on Redis. Safe for concurrent use; it
// holds no state of its own besides the client.
type Presence struct {
	c       goredis.UniversalClient
	ttl     time.Duration
	now     func() time.Time
	timeout time.Duration
	room    string // key prefix of room sets: room + id
	rooms   string // the rooms set
}

var _ presence.Presence = (*Presence)(nil)

// New returns a Presence on client. A fresh instance sees the sockets of
// the others, which is the point; those of an instance that stopped stay
// until their TTL runs out.
func New(client goredis.UniversalClient, opts Options) *Presence {
	if opts.Prefix == "" {
		opts.Prefix = "campfire:"
	}
	if opts.TTL <= 0 {
		opts.TTL = presence.DefaultTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	base := opts.Prefix + "{presence}:"
	return &Presence{c: client, ttl: opts.TTL, now: opts.Now, timeout: opts.Timeout,
		room: base + "room:", rooms: base + "rooms"}
}

func (p *Presence) keys(roomID, userID int64) []string {
	r := p.room + strconv.FormatInt(roomID, 10)
	return []string{r, r + ":user:" + strconv.FormatInt(userID, 10), p.rooms}
}

// joinScript records a socket and refreshes the three sets. It returns 1
// when the user was not online in the room before.
//
// KEYS: room, user, rooms. ARGV: user, conn, now, expiry, room id, key TTL (ms).
var joinScript = goredis.NewScript(`
local now = tonumber(ARGV[3])
local old = redis.call('ZSCORE', KEYS[1], ARGV[1])
-- The user's dead sockets (a crashed instance's) go here, so the set stays
-- as small as the user's live sockets.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('ZADD', KEYS[1], top[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
redis.call('ZADD', KEYS[3], first[2], ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[6])
if old and tonumber(old) > now then return 0 end
return 1
`)

// leaveScript forgets a socket. It returns 1 when the user was online in
// the room and no longer is.
//
// KEYS: room, user, rooms. ARGV: user, conn, now, room id.
var leaveScript = goredis.NewScript(`
local now = tonumber(ARGV[3])
local old = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if top[1] then
  redis.call('ZADD', KEYS[1], top[2], ARGV[1])
else
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[1], ARGV[1])
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[1] then
  redis.call('ZADD', KEYS[3], first[2], ARGV[4])
else
  redis.call('ZREM', KEYS[3], ARGV[4])
end
if old and tonumber(old) > now and not top[1] then return 1 end
return 0
`)

// sweepScript expires one batch: the rooms whose earliest user expiry has
// passed, and in each the users whose every socket has expired. It returns
// the rooms that lost a user and whether work may remain.
//
// The room and user keys are derived from ARGV[2] rather than declared,
// since the batch decides them; they share the rooms set's hash tag.
//
// KEYS: rooms. ARGV: now, room key prefix, max rooms, max users per room.
var sweepScript = goredis.NewScript(`
local now = tonumber(ARGV[1])
local maxRooms, maxUsers = tonumber(ARGV[3]), tonumber(ARGV[4])
local rooms = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, maxRooms)
local changed = {}
local more = #rooms == maxRooms
for _, r in ipairs(rooms) do
  local rk = ARGV[2] .. r
  local users = redis.call('ZRANGEBYSCORE', rk, '-inf', now, 'LIMIT', 0, maxUsers)
  if #users == maxUsers then more = true end
  local gone = false
  for _, u in ipairs(users) do
    local uk = rk .. ':user:' .. u
    redis.call('ZREMRANGEBYSCORE', uk, '-inf', now)
    local top = redis.call('ZRANGE', uk, -1, -1, 'WITHSCORES')
    if top[1] then
      -- A socket fresher than the room set knew of: keep the user.
      redis.call('ZADD', rk, top[2], u)
    else
      redis.call('DEL', uk)
      redis.call('ZREM', rk, u)
      gone = true
    end
  end
  if gone then changed[#changed + 1] = r end
  local first = redis.call('ZRANGE', rk, 0, 0, 'WITHSCORES')
  if first[1] then
    redis.call('ZADD', KEYS[1], first[2], r)
  else
    redis.call('ZREM', KEYS[1], r)
  end
end
return {changed, more and 1 or 0}
`)

func (p *Presence) Join(ctx context.Context, roomID, userID int64, conn string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	now := p.now()
	changed, err := joinScript.Run(ctx, p.c, p.keys(roomID, userID),
		userID, conn, now.UnixMilli(), now.Add(p.ttl).UnixMilli(), roomID, (2 * p.ttl).Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("presence join room %d: %w", roomID, err)
	}
	return changed == 1, nil
}

func (p *Presence) Leave(ctx context.Context, roomID, userID int64, conn string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	changed, err := leaveScript.Run(ctx, p.c, p.keys(roomID, userID),
		userID, conn, p.now().UnixMilli(), roomID).Int()
	if err != nil {
		return false, fmt.Errorf("presence leave room %d: %w", roomID, err)
	}
	return changed == 1, nil
}

func (p *Presence) Online(ctx context.Context, roomID int64) ([]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	members, err := p.c.ZRangeArgs(ctx, goredis.ZRangeArgs{
		Key:     p.room + strconv.FormatInt(roomID, 10),
		ByScore: true,
		Start:   "(" + strconv.FormatInt(p.now().UnixMilli(), 10), // expiry > now: still fresh
		Stop:    "+inf",
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("presence online room %d: %w", roomID, err)
	}
	ids := make([]int64, 0, len(members))
	for _, m := range members {
		id, err := strconv.ParseInt(m, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("presence online room %d: bad member %q", roomID, m)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids) // Redis orders by expiry
	return ids, nil
}

func (p *Presence) Sweep(ctx context.Context) ([]int64, error) {
	var changed []int64
	for range sweepBatches {
		more, err := p.sweepBatch(ctx, &changed)
		if err != nil {
			return changed, err
		}
		if !more {
			break
		}
	}
	slices.Sort(changed)
	return slices.Compact(changed), nil
}

// sweepBatch runs one sweepScript call, appending the changed rooms.
func (p *Presence) sweepBatch(ctx context.Context, changed *[]int64) (more bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	res, err := sweepScript.Run(ctx, p.c, []string{p.rooms},
		p.now().UnixMilli(), p.room, sweepRooms, sweepUsers).Slice()
	if err != nil {
		return false, fmt.Errorf("presence sweep: %w", err)
	}
	rooms, _ := res[0].([]any)
	for _, r := range rooms {
		s, _ := r.(string)
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return false, fmt.Errorf("presence sweep: bad room %q", s)
		}
		*changed = append(*changed, id)
	}
	flag, _ := res[1].(int64)
	return flag == 1, nil
}
