// Package session issues and checks sign-in tokens. A token is 256 random
// bits shown to the client once; only its SHA-256 is stored, so a leaked
// database or Redis dump cannot be replayed as sessions.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
)

// Store keeps sessions. Implementations: DB (the store's sessions table,
// one instance) and redis.Store (the same table as the durable record, with
// Redis `session:{hash}` entries on a sliding TTL, for N instances).
//
// The contract, pinned for every implementation by sessiontest.Run:
//   - Lookup of an unknown, revoked or expired token, or of a token whose
//     user is not active (deactivated, banned) or gone, returns an error
//     matching chat.ErrNotFound. The user is always as the database has it
//     now, never a cached copy.
//   - A session expires after IdleTTL without a Lookup (when the
//     implementation has one: DB without IdleTTL never expires sessions).
//     Every successful Lookup is activity and restarts that clock.
//   - Delete and Revoke take effect on every instance when they return.
//     The one exception is stated by redis.Store: if Redis cannot be
//     reached at that moment, other instances may honour the session for at
//     most TouchEvery longer.
type Store interface {
	// Create starts a session for userID and returns its token.
	Create(ctx context.Context, userID int64, ip, userAgent string) (token string, s chat.Session, err error)
	// Lookup returns the session and its user. It records activity, at
	// most once per TouchEvery, so a busy client does not write per request.
	Lookup(ctx context.Context, token, ip, userAgent string) (chat.Session, chat.User, error)
	// Delete revokes one token and returns the session it was (zero when
	// the token was unknown, which is not an error: signing out twice is
	// fine), so the caller can close what the session opened.
	Delete(ctx context.Context, token string) (chat.Session, error)
	// Revoke revokes the sessions with these token hashes (as Hash returns
	// and chat.Session.TokenHash holds). Unknown hashes, including ones
	// whose database rows are already gone (DeactivateUser deletes them),
	// are not an error; revoking them still clears any cached copy.
	Revoke(ctx context.Context, hashes ...string) error
}

// NewToken returns a fresh random token (256 bits, URL-safe base64).
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash is the stored form of a token.
func Hash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// ValidToken reports whether token could have come from NewToken's family
// at all; anything else is refused before it costs a hash or a query.
func ValidToken(token string) bool { return token != "" && len(token) <= 128 }

// TouchEvery is how stale last_active_at may get before a request updates it.
const TouchEvery = time.Minute

// DB keeps sessions in the database through the store.
type DB struct {
	Store store.Store
	Now   func() time.Time
	// IdleTTL, when positive, expires a session that has had no Lookup for
	// that long: the next Lookup deletes it and returns chat.ErrNotFound.
	// Zero (the single-instance default) keeps people signed in until they
	// sign out, as Campfire does. The check reads last_active_at, which is
	// written at most once per TouchEvery, so a session may expire up to
	// TouchEvery before IdleTTL of real inactivity, never after.
	IdleTTL time.Duration
}

var _ Store = (*DB)(nil)

func (d *DB) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *DB) Create(ctx context.Context, userID int64, ip, userAgent string) (string, chat.Session, error) {
	token := NewToken()
	now := d.now().UTC()
	s, err := d.Store.CreateSession(ctx, chat.Session{
		UserID: userID, TokenHash: Hash(token), IP: ip, UserAgent: truncate(userAgent, 512),
		CreatedAt: now, LastActiveAt: now,
	})
	if err != nil {
		return "", chat.Session{}, fmt.Errorf("creating session: %w", err)
	}
	return token, s, nil
}

func (d *DB) Lookup(ctx context.Context, token, ip, userAgent string) (chat.Session, chat.User, error) {
	if !ValidToken(token) {
		return chat.Session{}, chat.User{}, chat.ErrNotFound
	}
	s, u, err := d.Store.SessionByTokenHash(ctx, Hash(token))
	if err != nil {
		return chat.Session{}, chat.User{}, err
	}
	if !u.Active() {
		return chat.Session{}, chat.User{}, chat.ErrNotFound
	}
	now := d.now()
	if d.Expired(s, now) {
		if err := d.Store.DeleteSession(ctx, s.TokenHash); err != nil && !errors.Is(err, chat.ErrNotFound) {
			return chat.Session{}, chat.User{}, fmt.Errorf("deleting expired session: %w", err)
		}
		return chat.Session{}, chat.User{}, chat.ErrNotFound
	}
	// Activity is advisory: a failed touch must not fail the request. A
	// row deleted since the read above was revoked in between.
	if _, err := d.Touch(ctx, &s, now, ip, userAgent); errors.Is(err, chat.ErrNotFound) {
		return chat.Session{}, chat.User{}, chat.ErrNotFound
	}
	return s, u, nil
}

// Expired reports whether s has been idle for longer than IdleTTL at now.
func (d *DB) Expired(s chat.Session, now time.Time) bool {
	return d.IdleTTL > 0 && now.Sub(s.LastActiveAt) > d.IdleTTL
}

// Touch records activity on s at now when its last_active_at is more than
// TouchEvery old, and updates s to match. It reports whether it wrote; an
// error matching chat.ErrNotFound means the row is gone (revoked).
func (d *DB) Touch(ctx context.Context, s *chat.Session, now time.Time, ip, userAgent string) (bool, error) {
	if now.Sub(s.LastActiveAt) <= TouchEvery {
		return false, nil
	}
	ua := truncate(userAgent, 512)
	if err := d.Store.TouchSession(ctx, s.ID, now.UTC(), ip, ua); err != nil {
		return false, err
	}
	s.LastActiveAt, s.IP, s.UserAgent = now.UTC(), ip, ua
	return true, nil
}

func (d *DB) Delete(ctx context.Context, token string) (chat.Session, error) {
	if !ValidToken(token) {
		return chat.Session{}, nil
	}
	s, _, err := d.Store.SessionByTokenHash(ctx, Hash(token))
	if err == nil {
		err = d.Store.DeleteSession(ctx, s.TokenHash)
	}
	if errors.Is(err, chat.ErrNotFound) {
		return chat.Session{}, nil
	}
	return s, err
}

func (d *DB) Revoke(ctx context.Context, hashes ...string) error {
	for _, h := range hashes {
		if err := d.Store.DeleteSession(ctx, h); err != nil && !errors.Is(err, chat.ErrNotFound) {
			return fmt.Errorf("revoking session: %w", err)
		}
	}
	return nil
}

// truncate cuts s to at most n bytes on a character boundary, dropping
// invalid UTF-8 (user agents are client input; Postgres refuses bad text).
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

type ctxKey struct{}

// NewContext returns ctx carrying the token hash of the session that
// authenticated the request, so that what outlives the request (a
// WebSocket) can be closed when that session is revoked.
func NewContext(ctx context.Context, tokenHash string) context.Context {
	return context.WithValue(ctx, ctxKey{}, tokenHash)
}

// FromContext returns the token hash NewContext stored, or "".
func FromContext(ctx context.Context) string {
	h, _ := ctx.Value(ctxKey{}).(string)
	return h
}
