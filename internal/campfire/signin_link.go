package campfire

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
)

// Sign-in links ("sign in on another device"): a token naming a person, an
// expiry and a random id, with an HMAC under a key derived from
// SECRET_KEY_BASE for this purpose alone. The MAC also covers the person's
// current password digest and status, which the token does not carry: a
// password change or deactivation changes what the MAC must be, so every
// outstanding link dies without a revocation list. Each link signs in once:
// its id spends a one-token rate-limit budget that refills only after the
// link has expired (shared across instances when the limiter is; a limiter
// that evicts it under pressure lets a link be used again within its four
// hours, never past them).

// SignInLinkTTL is how long a sign-in link works.
const SignInLinkTTL = 4 * time.Hour

const signInLinkPrefix = "s1."

// SignInLink is a fresh link's token and expiry; the web layer makes the
// URL (/signin/TOKEN) from it.
type SignInLink struct {
	Token     string
	ExpiresAt time.Time
}

// errSignInLink is the one answer for a link that is malformed, tampered
// with, expired, used, revoked or for someone no longer here: which one
// is not said.
func errSignInLink() error {
	return chat.Errorf(chat.KindNotFound, "invalid_signin_link",
		"this sign-in link is invalid, used or expired; ask for a new one")
}

func signInLinkKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("campfire sign-in link v1"))
	return m.Sum(nil)
}

func (c *Core) signInLinkMAC(u chat.User, id, exp, nonce string) string {
	m := hmac.New(sha256.New, signInLinkKey(c.deviceKey))
	// Length-prefixed fields: no two inputs share an encoding.
	for _, f := range []string{id, exp, nonce, u.PasswordHash, string(u.Status)} {
		m.Write([]byte(strconv.Itoa(len(f)) + ":" + f))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CreateSignInLink makes a link that signs its holder in as person id: a
// person makes one for themself, an admin for anyone (to recover them).
func (c *Core) CreateSignInLink(ctx context.Context, me chat.User, id int64) (SignInLink, error) {
	if id != me.ID {
		if err := requireAdmin(me); err != nil {
			return SignInLink{}, chat.Forbidden("only an administrator can make a sign-in link for someone else")
		}
	}
	if err := c.limitAction(ctx, me, "making sign-in links"); err != nil {
		return SignInLink{}, err
	}
	u, err := c.store.User(ctx, id)
	if err != nil {
		return SignInLink{}, notFoundAs(err, "user")
	}
	if !u.Active() || u.Role == chat.RoleBot {
		return SignInLink{}, chat.Invalid("invalid_user", "only an active person can be signed in with a link")
	}
	n := make([]byte, 12)
	_, _ = rand.Read(n)
	exp := c.now().Add(SignInLinkTTL).Truncate(time.Second)
	ids, exps, nonce := strconv.FormatInt(u.ID, 10), strconv.FormatInt(exp.Unix(), 10), base64.RawURLEncoding.EncodeToString(n)
	tok := signInLinkPrefix + ids + "." + exps + "." + nonce + "." + c.signInLinkMAC(u, ids, exps, nonce)
	return SignInLink{Token: tok, ExpiresAt: exp}, nil
}

// checkSignInLink verifies a link against the person as they are now and
// returns them with the link's id.
func (c *Core) checkSignInLink(ctx context.Context, token string, cl Client) (chat.User, string, error) {
	if err := c.limit(ctx, c.loginLimit, ipKey(cl.IP), 1, "signing in", failClosed); err != nil {
		return chat.User{}, "", err
	}
	rest, ok := strings.CutPrefix(token, signInLinkPrefix)
	if !ok || len(token) > 160 {
		return chat.User{}, "", errSignInLink()
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 4 {
		return chat.User{}, "", errSignInLink()
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 || strconv.FormatInt(id, 10) != parts[0] {
		return chat.User{}, "", errSignInLink()
	}
	if !c.now().Before(time.Unix(exp, 0)) {
		return chat.User{}, "", errSignInLink()
	}
	u, err := c.store.User(ctx, id)
	if errors.Is(err, chat.ErrNotFound) {
		return chat.User{}, "", errSignInLink()
	}
	if err != nil {
		return chat.User{}, "", err
	}
	// Constant-time compare; the MAC over the digest and status is the
	// revocation check, Active the belt and braces.
	if !hmac.Equal([]byte(parts[3]), []byte(c.signInLinkMAC(u, parts[0], parts[1], parts[2]))) ||
		!u.Active() || u.Role == chat.RoleBot {
		return chat.User{}, "", errSignInLink()
	}
	return u, parts[2], nil
}

// SignInLinkUser says whom a link would sign in as, without using it (the
// page that asks "Sign in as NAME?", so a link-preview bot's GET signs
// nobody in).
func (c *Core) SignInLinkUser(ctx context.Context, token string, cl Client) (chat.User, error) {
	u, _, err := c.checkSignInLink(ctx, token, cl)
	return u, err
}

// SignInWithLink uses a link: a new session for its person, once.
func (c *Core) SignInWithLink(ctx context.Context, token string, cl Client) (string, chat.User, error) {
	u, nonce, err := c.checkSignInLink(ctx, token, cl)
	if err != nil {
		return "", chat.User{}, err
	}
	ok, _, err := c.linkUsed.AllowN(ctx, nonce, 1)
	if err != nil {
		c.log.ErrorContext(ctx, "sign-in link: use undecided; refusing", "err", err)
		return "", chat.User{}, chat.Errorf(chat.KindUnavailable, "unavailable", "signing in is briefly unavailable; try again shortly")
	}
	if !ok {
		return "", chat.User{}, errSignInLink()
	}
	token, s, err := c.sessions.Create(ctx, u.ID, cl.IP, cl.UserAgent)
	if err != nil {
		return "", chat.User{}, err
	}
	// As in SignIn: a password change or deactivation that raced with this
	// missed the new session, so one more read decides.
	now, err := c.store.User(ctx, u.ID)
	if err != nil || now.PasswordHash != u.PasswordHash || !now.Active() {
		if rerr := c.sessions.Revoke(ctx, s.TokenHash); rerr != nil {
			c.log.Warn("withdrawing a session won with a revoked link", "user_id", u.ID, "err", rerr)
		}
		if err != nil {
			return "", chat.User{}, err
		}
		return "", chat.User{}, errSignInLink()
	}
	c.log.Info("signed in with a link", "user", u.ID)
	return token, now, nil
}
