package campfire

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/store"
)

// Users lists active people and bots.
func (c *Core) Users(ctx context.Context, _ chat.User) ([]chat.User, error) {
	return c.store.Users(ctx)
}

// User returns one user (deactivated ones too: their old messages link here).
func (c *Core) User(ctx context.Context, _ chat.User, id int64) (chat.User, error) {
	u, err := c.store.User(ctx, id)
	return u, notFoundAs(err, "user")
}

// ProfileUpdate is what a person may change about themself; nil leaves a
// field as it is.
type ProfileUpdate struct {
	Name     *string
	Bio      *string
	Email    *string
	Password *string
	// CurrentSession is the token hash of the session making the change;
	// a new password signs out every other session.
	CurrentSession string
}

// UpdateProfile changes the caller's own profile.
func (c *Core) UpdateProfile(ctx context.Context, u chat.User, p ProfileUpdate) (chat.User, error) {
	if err := c.limitAction(ctx, u, "changing your profile"); err != nil {
		return chat.User{}, err
	}
	l := c.opts.Limits
	var up store.UserUpdate
	if p.Name != nil {
		n, err := chat.CleanName("name", *p.Name, l.UserNameRunes)
		if err != nil {
			return chat.User{}, err
		}
		up.Name = &n
	}
	if p.Bio != nil {
		b, err := cleanBio(*p.Bio, l)
		if err != nil {
			return chat.User{}, err
		}
		up.Bio = &b
	}
	if p.Email != nil {
		if u.Role == chat.RoleBot {
			return chat.User{}, chat.Invalid("invalid_email", "bots have no email")
		}
		e, err := chat.CleanEmail(*p.Email, l)
		if err != nil {
			return chat.User{}, err
		}
		up.Email = &e
	}
	if p.Password != nil {
		if err := chat.CheckPassword(*p.Password, l); err != nil {
			return chat.User{}, err
		}
		h, err := c.hashPassword(*p.Password)
		if err != nil {
			return chat.User{}, err
		}
		up.PasswordHash = &h
	}
	nu, err := c.store.UpdateUser(ctx, u.ID, up)
	if errors.Is(err, chat.ErrConflict) {
		return chat.User{}, chat.Errorf(chat.KindConflict, "email_taken", "someone else already uses that email")
	}
	if err != nil {
		return chat.User{}, notFoundAs(err, "user")
	}
	if nu.Name != u.Name {
		c.publishUser(ctx, nu) // a new name everywhere; with initials, a new avatar_url too
	}
	if p.Password != nil {
		if err := c.revokeSessions(ctx, u.ID, p.CurrentSession); err != nil {
			return nu, err
		}
		c.dropPushSubscriptions(ctx, u.ID) // push.go
	}
	return nu, nil
}

// revokeSessions signs a user out everywhere but keep (a token hash, or
// "") and closes those sessions' sockets. It goes through the session
// store, so a cached copy (Redis) goes with the database row.
func (c *Core) revokeSessions(ctx context.Context, userID int64, keep string) error {
	hashes, err := c.sessionHashes(ctx, userID)
	if err != nil {
		return err
	}
	hashes = slices.DeleteFunc(hashes, func(h string) bool { return h == keep })
	if err := c.sessions.Revoke(ctx, hashes...); err != nil {
		return err
	}
	c.closeSessions(ctx, userID, hashes...)
	return nil
}

// sessionHashes lists the token hashes of a user's sessions.
func (c *Core) sessionHashes(ctx context.Context, userID int64) ([]string, error) {
	sessions, err := c.store.UserSessions(ctx, userID)
	if err != nil {
		return nil, err
	}
	hashes := make([]string, len(sessions))
	for i, s := range sessions {
		hashes[i] = s.TokenHash
	}
	return hashes, nil
}

func cleanBio(b string, l chat.Limits) (string, error) {
	if b == "" {
		return "", nil
	}
	return chat.CleanName("bio", b, l.BioRunes)
}

// SetRole makes a person an admin or a member (admin; not oneself, so an
// account never loses its last admin by accident).
func (c *Core) SetRole(ctx context.Context, admin chat.User, id int64, role chat.Role) (chat.User, error) {
	if err := requireAdmin(admin); err != nil {
		return chat.User{}, err
	}
	if role != chat.RoleAdmin && role != chat.RoleMember {
		return chat.User{}, chat.Invalid("invalid_role", "role must be admin or member")
	}
	if id == admin.ID {
		return chat.User{}, chat.Invalid("cannot_change_own_role", "you can't change your own role")
	}
	target, err := c.store.User(ctx, id)
	if err != nil {
		return chat.User{}, notFoundAs(err, "user")
	}
	if target.Role == chat.RoleBot {
		return chat.User{}, chat.Invalid("invalid_role", "a bot's role can't be changed")
	}
	u, err := c.store.UpdateUser(ctx, id, store.UserUpdate{Role: &role})
	return u, notFoundAs(err, "user")
}

// Deactivate removes a user (admin): their sessions are revoked, their
// sockets closed, and they leave every shared room.
func (c *Core) Deactivate(ctx context.Context, admin chat.User, id int64) error {
	return c.deactivate(ctx, admin, id, chat.StatusDeactivated)
}

// Ban deactivates a user and bans the IP addresses they signed in from.
func (c *Core) Ban(ctx context.Context, admin chat.User, id int64) error {
	if err := requireAdmin(admin); err != nil {
		return err
	}
	// A bot is deleted from the Bots page: banned, the purge would delete
	// its messages and unban could never bring it back.
	if u, err := c.store.User(ctx, id); err != nil {
		return notFoundAs(err, "user")
	} else if u.Role == chat.RoleBot {
		return chat.Invalid("invalid_user", "a bot can't be banned; remove it from the bots instead")
	}
	ips, err := c.banAddresses(ctx, id) // admin_settings.go
	if err != nil {
		return err
	}
	if err := c.deactivate(ctx, admin, id, chat.StatusBanned); err != nil {
		return err
	}
	if err := c.afterBan(ctx, id, ips); err != nil {
		return err
	}
	return c.RefreshBans(ctx)
}

func (c *Core) deactivate(ctx context.Context, admin chat.User, id int64, status chat.Status) error {
	if err := requireAdmin(admin); err != nil {
		return err
	}
	if id == admin.ID {
		return chat.Invalid("cannot_deactivate_self", "you can't deactivate yourself")
	}
	// Listed first: DeactivateUser deletes the rows (and reads their IPs
	// for a ban), and the session store must then drop its cached copies.
	hashes, err := c.sessionHashes(ctx, id)
	if err != nil {
		return err
	}
	left, err := c.store.DeactivateUser(ctx, id, status)
	if err != nil {
		return notFoundAs(err, "user")
	}
	// The user's status already refuses every session; a failure here only
	// leaves stale cache entries that can no longer sign anyone in.
	if err := c.sessions.Revoke(ctx, hashes...); err != nil {
		c.log.Warn("deactivate: revoking cached sessions", "user", id, "err", err)
	}
	c.control(ctx, broker.Event{Type: broker.ControlCloseUser, UserIDs: []int64{id}})
	for _, roomID := range left {
		c.control(ctx, broker.Event{Type: broker.ControlLeaveRoom, RoomID: roomID, UserIDs: []int64{id}})
	}
	c.log.Info("user deactivated", "user", id, "status", status, "by", admin.ID)
	return nil
}

// ResetPassword gives a person a new random password and signs them out
// everywhere (for `campfire admin reset-password`, run by an operator).
func (c *Core) ResetPassword(ctx context.Context, email string) (string, error) {
	email, err := chat.CleanEmail(email, c.opts.Limits)
	if err != nil {
		return "", err
	}
	u, err := c.store.UserByEmail(ctx, email)
	if err != nil {
		return "", notFoundAs(err, "user")
	}
	if u.Role == chat.RoleBot {
		return "", chat.Invalid("invalid_user", "bots have no password; reset the bot's key instead")
	}
	pw := session.NewToken()[:20]
	h, err := c.hashPassword(pw)
	if err != nil {
		return "", err
	}
	if _, err := c.store.UpdateUser(ctx, u.ID, store.UserUpdate{PasswordHash: &h}); err != nil {
		return "", err
	}
	if err := c.revokeSessions(ctx, u.ID, ""); err != nil {
		return "", err
	}
	return pw, nil
}

// Contact is who to ask for help, shown on the sign-in page.
type Contact struct{ Name, Email string }

// AdminContact returns the first administrator's name and email. The sign-in
// page is public, so the answer is cached for a minute rather than read
// from the whole user list on every anonymous request.
func (c *Core) AdminContact(ctx context.Context) (Contact, error) {
	if cached := c.contact.Load(); cached != nil && c.now().Sub(cached.at) < time.Minute {
		return cached.Contact, nil
	}
	users, err := c.store.Users(ctx)
	if err != nil {
		return Contact{}, err
	}
	var ct Contact
	for _, u := range users {
		if u.IsAdmin() {
			ct = Contact{Name: u.Name, Email: u.Email}
			break
		}
	}
	if ct.Name != "" { // before setup there is no one yet: ask again next time
		c.contact.Store(&cachedContact{Contact: ct, at: c.now()})
	}
	return ct, nil
}

type cachedContact struct {
	Contact
	at time.Time
}
