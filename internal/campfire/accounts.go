package campfire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/store"
)

// Client describes where a request came from, for sessions, rate limits
// and bans.
type Client struct {
	IP        string
	UserAgent string
	// Device is the known-device token the browser presented (DeviceToken),
	// if any: proof it signed in to an account before.
	Device string
}

// Signup is what a person types to create an account or join one.
type Signup struct {
	AccountName string // setup only
	Name        string
	Email       string
	Password    string
}

// FirstRoomName is the open room every account starts with.
const FirstRoomName = "All Talk"

func (c *Core) cleanSignup(s Signup) (store.NewUser, error) {
	l := c.opts.Limits
	name, err := chat.CleanName("name", s.Name, l.UserNameRunes)
	if err != nil {
		return store.NewUser{}, err
	}
	email, err := chat.CleanEmail(s.Email, l)
	if err != nil {
		return store.NewUser{}, err
	}
	if err := chat.CheckPassword(s.Password, l); err != nil {
		return store.NewUser{}, err
	}
	hash, err := c.hashPassword(s.Password)
	if err != nil {
		return store.NewUser{}, err
	}
	return store.NewUser{Name: name, Email: email, PasswordHash: hash, Role: chat.RoleMember}, nil
}

// SetUp creates the account, its administrator and "All Talk" on first run,
// and signs the administrator in.
func (c *Core) SetUp(ctx context.Context, s Signup, cl Client) (string, chat.User, error) {
	if _, err := c.store.Account(ctx); err == nil {
		return "", chat.User{}, alreadySetUp()
	} else if !errors.Is(err, chat.ErrNotFound) {
		return "", chat.User{}, err
	}
	accountName, err := chat.CleanName("account_name", s.AccountName, c.opts.Limits.RoomNameRunes)
	if err != nil {
		return "", chat.User{}, err
	}
	admin, err := c.cleanSignup(s)
	if err != nil {
		return "", chat.User{}, err
	}
	admin.Role = chat.RoleAdmin
	_, u, room, err := c.store.Setup(ctx, store.SetupParams{
		AccountName: accountName, JoinCode: newJoinCode(), Admin: admin, RoomName: FirstRoomName,
	})
	if errors.Is(err, chat.ErrConflict) {
		return "", chat.User{}, alreadySetUp()
	}
	if err != nil {
		return "", chat.User{}, fmt.Errorf("setting up: %w", err)
	}
	c.log.Info("account set up", "admin", u.ID, "room", room.ID)
	token, _, err := c.sessions.Create(ctx, u.ID, cl.IP, cl.UserAgent)
	return token, u, err
}

func alreadySetUp() error {
	return chat.Errorf(chat.KindConflict, "already_set_up", "this Campfire is already set up; sign in instead")
}

// IsSetUp reports whether first run has happened.
func (c *Core) IsSetUp(ctx context.Context) (bool, error) {
	_, err := c.store.Account(ctx)
	if errors.Is(err, chat.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// SignIn checks an email and password and starts a session. Attempts are
// limited per IP, and per account: from a device that signed in to it
// before (cl.Device) by that device's own budget, from anywhere else by one
// shared budget, so guessing from many addresses is bounded without letting
// a stranger lock the owner out. The error never says which of the two was
// wrong.
func (c *Core) SignIn(ctx context.Context, email, password string, cl Client) (string, chat.User, error) {
	if err := c.limit(ctx, c.loginLimit, ipKey(cl.IP), 1, "signing in", failClosed); err != nil {
		return "", chat.User{}, err
	}
	bad := chat.Errorf(chat.KindUnauthorized, "invalid_credentials", "email or password is incorrect")
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || len(email) > c.opts.Limits.EmailBytes || len(password) > 1024 {
		return "", chat.User{}, bad
	}
	u, err := c.store.UserByEmail(ctx, email)
	found := err == nil
	if err != nil && !errors.Is(err, chat.ErrNotFound) {
		return "", chat.User{}, err
	}
	budget, key := c.emailLimit, email
	if found {
		if dev, ok := c.knownDevice(cl.Device, u.ID); ok {
			budget, key = c.deviceLimit, dev
		}
	}
	if err := c.limit(ctx, budget, key, 1, "signing in", failClosed); err != nil {
		return "", chat.User{}, err
	}
	if !found {
		_ = bcrypt.CompareHashAndPassword(c.dummyHash, []byte(password))
		return "", chat.User{}, bad
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || !u.Active() || u.Role == chat.RoleBot {
		return "", chat.User{}, bad
	}
	token, s, err := c.sessions.Create(ctx, u.ID, cl.IP, cl.UserAgent)
	if err != nil {
		return "", chat.User{}, err
	}
	// A password change (or deactivation) that committed after the check
	// above listed the user's sessions to revoke before this one existed.
	// It has committed by now if it is ever going to miss this session, so
	// one more read tells: the session is withdrawn if the password it was
	// won with is no longer the password.
	now, err := c.store.User(ctx, u.ID)
	if err != nil || now.PasswordHash != u.PasswordHash || !now.Active() {
		if rerr := c.sessions.Revoke(ctx, s.TokenHash); rerr != nil {
			c.log.Warn("withdrawing a session won with a changed password", "user_id", u.ID, "err", rerr)
		}
		if err != nil {
			return "", chat.User{}, err
		}
		return "", chat.User{}, bad
	}
	return token, now, nil
}

// SignOut revokes a token and closes the sockets opened with it.
func (c *Core) SignOut(ctx context.Context, token string) error {
	s, err := c.sessions.Delete(ctx, token)
	if err != nil || s.UserID == 0 {
		return err // a failure, or signed out already
	}
	c.closeSessions(ctx, s.UserID, s.TokenHash)
	return nil
}

// closeSessions tells every hub to close userID's sockets that were opened
// with the revoked sessions.
func (c *Core) closeSessions(ctx context.Context, userID int64, hashes ...string) {
	if len(hashes) > 0 {
		c.control(ctx, broker.Event{Type: broker.ControlCloseSession, UserIDs: []int64{userID}, Sessions: hashes})
	}
}

// Authenticate returns the active user a session token belongs to.
func (c *Core) Authenticate(ctx context.Context, token string, cl Client) (chat.User, error) {
	_, u, err := c.sessions.Lookup(ctx, token, cl.IP, cl.UserAgent)
	if err == nil && !u.Active() {
		err = chat.ErrNotFound
	}
	if errors.Is(err, chat.ErrNotFound) {
		return chat.User{}, chat.Errorf(chat.KindUnauthorized, "unauthorized", "sign in first")
	}
	return u, err
}

// AuthenticateBot checks a bot key ("<user_id>-<token>").
func (c *Core) AuthenticateBot(ctx context.Context, key string) (chat.User, error) {
	bad := chat.NotFound("bot")
	idPart, token, ok := strings.Cut(key, "-")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if !ok || err != nil || token == "" || len(token) > 128 {
		return chat.User{}, bad
	}
	u, err := c.store.User(ctx, id)
	if errors.Is(err, chat.ErrNotFound) {
		return chat.User{}, bad
	}
	if err != nil {
		return chat.User{}, err
	}
	want := []byte(u.BotTokenHash)
	got := []byte(session.Hash(token))
	if u.Role != chat.RoleBot || !u.Active() || len(want) == 0 || subtle.ConstantTimeCompare(want, got) != 1 {
		return chat.User{}, bad
	}
	return u, nil
}

// Join signs a person up through the account's join code.
func (c *Core) Join(ctx context.Context, code string, s Signup, cl Client) (string, chat.User, error) {
	// Join shares the sign-in budget unless RATE_LIMIT_JOIN gives it its
	// own: both guess at secrets.
	if err := c.limit(ctx, c.joinLimit, ipKey(cl.IP), 1, "joining", failClosed); err != nil {
		return "", chat.User{}, err
	}
	acct, err := c.store.Account(ctx)
	if errors.Is(err, chat.ErrNotFound) || (err == nil && subtle.ConstantTimeCompare([]byte(acct.JoinCode), []byte(code)) != 1) {
		return "", chat.User{}, chat.NotFound("join code")
	}
	if err != nil {
		return "", chat.User{}, err
	}
	nu, err := c.cleanSignup(s)
	if err != nil {
		return "", chat.User{}, err
	}
	u, err := c.store.CreateUser(ctx, nu)
	if errors.Is(err, chat.ErrConflict) {
		return "", chat.User{}, chat.Errorf(chat.KindConflict, "email_taken", "someone already signed up with that email")
	}
	if err != nil {
		return "", chat.User{}, err
	}
	token, _, err := c.sessions.Create(ctx, u.ID, cl.IP, cl.UserAgent)
	return token, u, err
}

// JoinCodeValid reports whether code is the account's join code (for the
// join page). Wrong guesses spend the client's sign-in budget, so the page
// is no faster an oracle for the code than the join endpoint.
func (c *Core) JoinCodeValid(ctx context.Context, code string, cl Client) (chat.Account, bool, error) {
	acct, err := c.store.Account(ctx)
	if errors.Is(err, chat.ErrNotFound) {
		return acct, false, nil
	}
	if err != nil {
		return acct, false, err
	}
	if subtle.ConstantTimeCompare([]byte(acct.JoinCode), []byte(code)) == 1 {
		return acct, true, nil
	}
	if err := c.limit(ctx, c.joinLimit, ipKey(cl.IP), 1, "join links", failClosed); err != nil {
		return acct, false, err
	}
	return acct, false, nil
}

// Account returns the account; the join code is blanked for non-admins.
func (c *Core) Account(ctx context.Context, u chat.User) (chat.Account, error) {
	a, err := c.store.Account(ctx)
	if err != nil {
		return a, notFoundAs(err, "account")
	}
	if u.Role == chat.RoleBot {
		a.JoinCode = "" // people invite people
	}
	return a, nil
}

// AccountName returns the account's name for pages shown before sign-in.
func (c *Core) AccountName(ctx context.Context) (string, error) {
	a, err := c.store.Account(ctx)
	if errors.Is(err, chat.ErrNotFound) {
		return "Campfire", nil
	}
	return a.Name, err
}

// RegenerateJoinCode replaces the join code (admin), so old links stop working.
func (c *Core) RegenerateJoinCode(ctx context.Context, u chat.User) (chat.Account, error) {
	if err := requireAdmin(u); err != nil {
		return chat.Account{}, err
	}
	return c.store.SetJoinCode(ctx, newJoinCode())
}

// RenameAccount changes the account name (admin).
func (c *Core) RenameAccount(ctx context.Context, u chat.User, name string) (chat.Account, error) {
	if err := requireAdmin(u); err != nil {
		return chat.Account{}, err
	}
	name, err := chat.CleanName("name", name, c.opts.Limits.RoomNameRunes)
	if err != nil {
		return chat.Account{}, err
	}
	return c.store.UpdateAccountName(ctx, name)
}

// IPBanned reports whether writes from ip are refused. It reads an
// in-memory set, so it is cheap enough for every request.
func (c *Core) IPBanned(ip string) bool {
	if addr, err := netip.ParseAddr(ip); err == nil {
		ip = addr.Unmap().WithZone("").String()
	}
	_, ok := (*c.banned.Load())[ip]
	return ok
}

// RefreshBans reloads the banned IP set from the database.
func (c *Core) RefreshBans(ctx context.Context) error {
	c.banMu.Lock()
	defer c.banMu.Unlock()
	ips, err := c.store.BannedIPs(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]struct{}, len(ips))
	for _, ip := range ips {
		m[ip] = struct{}{}
	}
	c.banned.Store(&m)
	return nil
}

// BanIP bans an address (admin). Addresses are stored in canonical form
// (so ::ffff:1.2.3.4 and 1.2.3.4 are one ban); loopback and the caller's own
// address are refused, since banning them locks out the admin (or, behind a
// proxy without TRUST_PROXY, everyone).
func (c *Core) BanIP(ctx context.Context, u chat.User, ip string, cl Client) error {
	if err := requireAdmin(u); err != nil {
		return err
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return chat.Invalid("invalid_ip", "%q is not an IP address", ip)
	}
	addr = addr.Unmap().WithZone("")
	if addr.IsLoopback() || addr.IsUnspecified() {
		return chat.Invalid("invalid_ip", "%s can't be banned: it is this machine (or a proxy in front of it)", addr)
	}
	if self, err := netip.ParseAddr(cl.IP); err == nil && self.Unmap() == addr {
		return chat.Invalid("invalid_ip", "%s is your own address; banning it would lock you out", addr)
	}
	if err := c.store.BanIP(ctx, addr.String()); err != nil && !errors.Is(err, chat.ErrConflict) {
		return err
	}
	return c.RefreshBans(ctx)
}

// UnbanIP lifts a ban (admin).
func (c *Core) UnbanIP(ctx context.Context, u chat.User, ip string) error {
	if err := requireAdmin(u); err != nil {
		return err
	}
	if addr, err := netip.ParseAddr(strings.TrimSpace(ip)); err == nil {
		ip = addr.Unmap().WithZone("").String()
	}
	if err := c.store.UnbanIP(ctx, ip); err != nil {
		return notFoundAs(err, "ban")
	}
	return c.RefreshBans(ctx)
}

// BannedIPs lists banned addresses (admin).
func (c *Core) BannedIPs(ctx context.Context, u chat.User) ([]string, error) {
	if err := requireAdmin(u); err != nil {
		return nil, err
	}
	return c.store.BannedIPs(ctx)
}

// newJoinCode is 12 characters from an unambiguous alphabet: about 60 bits,
// short enough to read aloud, too many to guess at the login rate limit.
func newJoinCode() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:4]) + "-" + string(b[4:8]) + "-" + string(b[8:])
}
