package campfire

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/wire"
)

// Admin tools: the account's settings (who creates rooms, custom CSS) and
// what banning a person does beyond deactivating them (their addresses
// remembered for unbanning, their messages removed in the background).

// CustomCSSBytes bounds the account's custom stylesheet.
const CustomCSSBytes = 64 << 10

// AccountSettings reads the account's settings. It is one small row read
// per call, not cached, so every instance sees a change at once.
func (c *Core) AccountSettings(ctx context.Context) (store.AccountSettings, error) {
	return c.store.AccountSettings(ctx)
}

// SettingsUpdate is what an admin changes; nil leaves a setting alone.
type SettingsUpdate struct {
	AdminsCreateRooms *bool
	CustomCSS         *string
}

// UpdateAccountSettings changes the settings (admin).
func (c *Core) UpdateAccountSettings(ctx context.Context, u chat.User, up SettingsUpdate) (store.AccountSettings, error) {
	if err := requireAdmin(u); err != nil {
		return store.AccountSettings{}, err
	}
	cur, err := c.store.AccountSettings(ctx)
	if err != nil {
		return cur, err
	}
	if up.AdminsCreateRooms != nil {
		cur.AdminsCreateRooms = *up.AdminsCreateRooms
	}
	if up.CustomCSS != nil {
		css := strings.ReplaceAll(*up.CustomCSS, "\r\n", "\n")
		if len(css) > CustomCSSBytes {
			return cur, chat.Errorf(chat.KindTooLarge, "css_too_large", "custom CSS can be at most %d KB", CustomCSSBytes>>10)
		}
		if !utf8.ValidString(css) || strings.ContainsRune(css, 0) {
			return cur, chat.Invalid("invalid_css", "custom CSS must be UTF-8 text")
		}
		cur.CustomCSS = css
	}
	return c.store.UpdateAccountSettings(ctx, cur)
}

// CanCreateRooms says whether u may create shared rooms (pings are always
// allowed).
func (c *Core) CanCreateRooms(ctx context.Context, u chat.User) (bool, error) {
	if u.IsAdmin() {
		return true, nil
	}
	s, err := c.store.AccountSettings(ctx)
	return !s.AdminsCreateRooms, err
}

// checkRoomCreation refuses a member's new room when only admins may
// create rooms.
func (c *Core) checkRoomCreation(ctx context.Context, u chat.User) error {
	ok, err := c.CanCreateRooms(ctx, u)
	if err != nil {
		return err
	}
	if !ok {
		return chat.Errorf(chat.KindForbidden, "rooms_admins_only", "only administrators can create rooms in this account")
	}
	return nil
}

// banAddresses lists the addresses a ban of id will cover (those of their
// sessions, as the store bans them) so unbanning the person can lift them.
func (c *Core) banAddresses(ctx context.Context, id int64) ([]string, error) {
	sessions, err := c.store.UserSessions(ctx, id)
	if err != nil {
		return nil, err
	}
	var ips []string
	for _, s := range sessions {
		if s.IP != "" {
			ips = append(ips, s.IP)
		}
	}
	return ips, nil
}

// afterBan runs once a ban committed: it lifts bans of addresses that must
// never be banned (this machine or a proxy in front of it: banning them
// locks everyone out, as BanIP refuses), remembers the rest for unbanning,
// and wakes the purge of the person's messages.
func (c *Core) afterBan(ctx context.Context, id int64, ips []string) error {
	kept := ips[:0]
	for _, ip := range ips {
		if a, err := netip.ParseAddr(ip); err == nil && (a.Unmap().IsLoopback() || a.IsUnspecified()) {
			if err := c.store.UnbanIP(ctx, ip); err != nil && !errors.Is(err, chat.ErrNotFound) {
				return err
			}
			continue
		}
		kept = append(kept, ip)
	}
	if err := c.store.RecordBanIPs(ctx, id, kept); err != nil {
		return err
	}
	select {
	case c.purgeKick <- struct{}{}:
	default: // a purge is already due
	}
	return nil
}

// Unban lets a banned person back (admin): the addresses their ban added
// are lifted and they are active again, back in the open rooms (closed
// rooms need someone to add them). Their removed messages stay removed.
func (c *Core) Unban(ctx context.Context, admin chat.User, id int64) error {
	if err := requireAdmin(admin); err != nil {
		return err
	}
	u, err := c.store.User(ctx, id)
	if err != nil {
		return notFoundAs(err, "user")
	}
	if u.Status != chat.StatusBanned {
		return chat.Invalid("not_banned", "%s is not banned", u.Name)
	}
	ips, err := c.store.BanIPsOf(ctx, id)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if err := c.store.UnbanIP(ctx, ip); err != nil && !errors.Is(err, chat.ErrNotFound) {
			return err
		}
	}
	if err := c.store.ForgetBanIPs(ctx, id); err != nil {
		return err
	}
	if err := c.store.ReactivateUser(ctx, id); err != nil {
		return notFoundAs(err, "user")
	}
	c.log.Info("user unbanned", "user", id, "by", admin.ID)
	return c.RefreshBans(ctx)
}

// BanAddresses lists the addresses each banned person's ban added
// (admin), for the bans page.
func (c *Core) BanAddresses(ctx context.Context, admin chat.User, id int64) ([]string, error) {
	if err := requireAdmin(admin); err != nil {
		return nil, err
	}
	return c.store.BanIPsOf(ctx, id)
}

// BannedPeople lists the banned people (admin).
func (c *Core) BannedPeople(ctx context.Context, admin chat.User) ([]chat.User, error) {
	if err := requireAdmin(admin); err != nil {
		return nil, err
	}
	ids, err := c.store.BannedUserIDs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]chat.User, 0, len(ids))
	for _, id := range ids {
		if u, err := c.store.User(ctx, id); err == nil {
			out = append(out, u)
		}
	}
	return out, nil
}

// The purge removes banned people's messages: batches of purgeBatch, a
// pause between them so chat keeps the database, each deletion published
// (message.deleted) so open windows drop it live. It is owned by Run, and
// resumes after a restart because it works from the database (banned
// people who still have messages), not from a queue.
const (
	purgeBatch = 100
	purgePause = 50 * time.Millisecond
)

func (c *Core) runPurge(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if err := c.purgeBanned(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("removing banned people's messages", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-c.purgeKick:
		case <-t.C:
		}
	}
}

func (c *Core) purgeBanned(ctx context.Context) error {
	ids, err := c.store.BannedUserIDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := c.purgeUser(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

func (c *Core) purgeUser(ctx context.Context, userID int64) error {
	removed := 0
	for {
		// Unbanned meanwhile: what is left stays.
		if u, err := c.store.User(ctx, userID); err != nil || u.Status != chat.StatusBanned {
			return err
		}
		ids, err := c.store.UserMessageIDs(ctx, userID, purgeBatch)
		if err != nil || len(ids) == 0 {
			if removed > 0 {
				c.log.Info("removed a banned person's messages", "user", userID, "messages", removed)
			}
			return err
		}
		for _, id := range ids {
			m, err := c.store.Message(ctx, id)
			if errors.Is(err, chat.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := c.store.DeleteMessage(ctx, id); err != nil && !errors.Is(err, chat.ErrNotFound) {
				return err
			}
			removed++
			c.deleteAttachment(ctx, m.Attachment)
			if m.Preview != nil {
				c.deleteBlob(ctx, m.Preview.ImageKey)
			}
			c.publish(ctx, broker.Event{Type: wire.TypeMessageDeleted, RoomID: m.RoomID,
				Frame: wire.MessageDeletedFrame(m.RoomID, id)})
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(purgePause):
		}
	}
}
