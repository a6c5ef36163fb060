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

// Store keeps sessions. Lookup of an unknown, revoked or expired token
// returns an error matching chat.ErrNotFound. Implementations: DB (the
// store's sessions table) and, later, Redis with a sliding TTL.
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

// TouchEvery is how stale last_active_at may get before a request updates it.
const TouchEvery = time.Minute

// DB keeps sessions in the database through the store.
type DB struct {
	Store store.Store
	Now   func() time.Time
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
	if token == "" || len(token) > 128 {
		return chat.Session{}, chat.User{}, chat.ErrNotFound
	}
	s, u, err := d.Store.SessionByTokenHash(ctx, Hash(token))
	if err != nil {
		return s, u, err
	}
	if now := d.now(); now.Sub(s.LastActiveAt) > TouchEvery {
		// Activity is advisory: a failed touch must not fail the request.
		_ = d.Store.TouchSession(ctx, s.ID, now.UTC(), ip, truncate(userAgent, 512))
	}
	return s, u, nil
}

func (d *DB) Delete(ctx context.Context, token string) (chat.Session, error) {
	if token == "" || len(token) > 128 {
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
