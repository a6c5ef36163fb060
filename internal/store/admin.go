package store

import (
	"context"
	"time"
)

// Admin holds what the admin tools keep: the account's settings, the
// addresses a person's ban added, and the way to find a banned person's
// messages to remove.
type Admin interface {
	// AccountSettings returns the settings; before any were saved, the
	// zero value (members may create rooms, no custom CSS, version 0).
	AccountSettings(ctx context.Context) (AccountSettings, error)
	// UpdateAccountSettings saves them. CSSVersion is set by the store: one
	// more than before when CustomCSS changed, else unchanged.
	UpdateAccountSettings(ctx context.Context, s AccountSettings) (AccountSettings, error)
	// RecordBanIPs notes that userID's ban covers ips (duplicates ignored).
	RecordBanIPs(ctx context.Context, userID int64, ips []string) error
	// BanIPsOf lists the addresses recorded for userID's ban (none: empty).
	BanIPsOf(ctx context.Context, userID int64) ([]string, error)
	// ForgetBanIPs drops what RecordBanIPs noted for userID.
	ForgetBanIPs(ctx context.Context, userID int64) error
	// ReactivateUser makes a deactivated or banned person active again,
	// back in every open room; chat.ErrNotFound for an unknown one.
	ReactivateUser(ctx context.Context, id int64) error
	// BannedUserIDs lists the people whose status is banned, by id.
	BannedUserIDs(ctx context.Context) ([]int64, error)
	// UserMessageIDs lists up to limit ids of messages userID wrote, oldest
	// first.
	UserMessageIDs(ctx context.Context, userID int64, limit int) ([]int64, error)
}

// AccountSettings are the account's options an admin sets in the UI.
type AccountSettings struct {
	// AdminsCreateRooms: only admins may create shared rooms.
	AdminsCreateRooms bool
	// CustomCSS is served as a stylesheet on every page.
	CustomCSS  string
	CSSVersion int64
	UpdatedAt  time.Time
}
