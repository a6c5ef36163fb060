package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

// Accounts.

const (
	accountByID   = `SELECT ` + rowscan.AccountCols + ` FROM accounts WHERE id = 1`
	insertAccount = `INSERT INTO accounts (id, name, join_code, created_at) VALUES (1, ?, ?, ?)`
	updateAccount = `UPDATE accounts SET name = coalesce(?, name), join_code = coalesce(?, join_code)
		WHERE id = 1 RETURNING ` + rowscan.AccountCols
)

func (s *Store) Setup(ctx context.Context, p store.SetupParams) (chat.Account, chat.User, chat.Room, error) {
	type result struct {
		acct  chat.Account
		admin chat.User
		room  chat.Room
	}
	roomName := orDefault(p.RoomName, "All Talk")
	u := p.Admin
	u.Role = chat.RoleAdmin
	r, err := writeT(ctx, s, func(t *wtx) (r result, err error) {
		at := rowscan.Now()
		if _, err := t.exec(insertAccount, p.AccountName, p.JoinCode, rowscan.ToMillis(at)); err != nil {
			if isUnique(err) {
				return r, fmt.Errorf("setup: account already exists: %w", chat.ErrConflict)
			}
			return r, err
		}
		r.acct = chat.Account{ID: 1, Name: p.AccountName, JoinCode: p.JoinCode, CreatedAt: at}
		if r.admin, err = createUser(t, u, at); err != nil {
			return r, err
		}
		r.room, err = createRoom(t, store.NewRoom{Name: roomName, Type: chat.RoomOpen, CreatorID: r.admin.ID}, at)
		return r, err
	})
	if err != nil {
		return chat.Account{}, chat.User{}, chat.Room{}, dbErr("setup", err)
	}
	return r.acct, r.admin, r.room, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (s *Store) Account(ctx context.Context) (chat.Account, error) {
	a, err := rowscan.ScanAccount(s.read(ctx).queryRow(accountByID))
	return a, dbErr("account", err)
}

func (s *Store) UpdateAccountName(ctx context.Context, name string) (chat.Account, error) {
	return s.updateAccount(ctx, &name, nil)
}

func (s *Store) SetJoinCode(ctx context.Context, code string) (chat.Account, error) {
	return s.updateAccount(ctx, nil, &code)
}

func (s *Store) updateAccount(ctx context.Context, name, code *string) (chat.Account, error) {
	a, err := writeT(ctx, s, func(t *wtx) (chat.Account, error) {
		return rowscan.ScanAccount(t.queryRow(updateAccount, name, code))
	})
	return a, dbErr("update account", err)
}

// Users.

const (
	insertUser = `INSERT INTO users (name, email, role, status, password_hash, bio, bot_token_hash, webhook_url,
			created_at, updated_at)
		VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?, ?) RETURNING id`
	// New users join every open room.
	joinOpenRooms = `INSERT INTO memberships (room_id, user_id, involvement, created_at)
		SELECT id, ?, ?, ? FROM rooms WHERE type = 'open'`
	userByID      = `SELECT ` + rowscan.UserCols + ` FROM users u WHERE u.id = ?`
	userByEmail   = `SELECT ` + rowscan.UserCols + ` FROM users u WHERE u.email = ?`
	activeUsers   = `SELECT ` + rowscan.UserCols + ` FROM users u WHERE u.status = 'active' ORDER BY u.name, u.id`
	activeBots    = `SELECT ` + rowscan.UserCols + ` FROM users u WHERE u.status = 'active' AND u.role = 'bot' ORDER BY u.name, u.id`
	usersByIDs    = `SELECT ` + rowscan.UserCols + ` FROM users u WHERE u.id IN (SELECT value FROM json_each(?)) ORDER BY u.id`
	setUserStatus = `UPDATE users SET status = ?, updated_at = ? WHERE id = ?`
	// Banning keeps the addresses the user signed in from.
	banSessionIPs = `INSERT OR IGNORE INTO bans (ip, created_at)
		SELECT DISTINCT ip, ? FROM sessions WHERE user_id = ? AND ip <> ''`
	deleteUserSessions = `DELETE FROM sessions WHERE user_id = ?`
	// Direct rooms keep a deactivated user: their history is a
	// conversation with them.
	leaveSharedRooms = `DELETE FROM memberships
		WHERE user_id = ? AND room_id IN (
			SELECT ms.room_id FROM memberships ms CROSS JOIN rooms r ON r.id = ms.room_id
			WHERE ms.user_id = ? AND r.type <> 'direct')
		RETURNING room_id`
)

func createUser(t *wtx, u store.NewUser, at time.Time) (chat.User, error) {
	if u.Role == "" {
		u.Role = chat.RoleMember
	}
	var id int64
	err := t.queryRow(insertUser, u.Name, rowscan.NullString(u.Email), u.Role, u.PasswordHash, u.Bio,
		u.BotTokenHash, u.WebhookURL, rowscan.ToMillis(at), rowscan.ToMillis(at)).Scan(&id)
	if err != nil {
		if isUnique(err) {
			return chat.User{}, fmt.Errorf("email %q is taken: %w", u.Email, chat.ErrConflict)
		}
		return chat.User{}, err
	}
	if _, err := t.exec(joinOpenRooms, id, chat.DefaultInvolvement(chat.RoomOpen), rowscan.ToMillis(at)); err != nil {
		return chat.User{}, err
	}
	return chat.User{
		ID: id, Name: u.Name, Email: u.Email, Bio: u.Bio, Role: u.Role, Status: chat.StatusActive,
		PasswordHash: u.PasswordHash, BotTokenHash: u.BotTokenHash, WebhookURL: u.WebhookURL,
		CreatedAt: at, UpdatedAt: at,
	}, nil
}

func (s *Store) CreateUser(ctx context.Context, nu store.NewUser) (chat.User, error) {
	u, err := writeT(ctx, s, func(t *wtx) (chat.User, error) {
		return createUser(t, nu, rowscan.Now())
	})
	return u, dbErr("create user", err)
}

func (s *Store) User(ctx context.Context, id int64) (chat.User, error) {
	u, err := rowscan.ScanUser(s.read(ctx).queryRow(userByID, id))
	return u, dbErr(fmt.Sprintf("user %d", id), err)
}

func (s *Store) UserByEmail(ctx context.Context, email string) (chat.User, error) {
	if email == "" {
		return chat.User{}, notFound("user by email")
	}
	u, err := rowscan.ScanUser(s.read(ctx).queryRow(userByEmail, email))
	return u, dbErr("user by email", err)
}

func (s *Store) Users(ctx context.Context) ([]chat.User, error) {
	us, err := scanUsers(s.read(ctx).query(activeUsers))
	return us, dbErr("users", err)
}

func (s *Store) UsersByIDs(ctx context.Context, ids []int64) ([]chat.User, error) {
	if len(ids) == 0 {
		return []chat.User{}, nil
	}
	us, err := scanUsers(s.read(ctx).query(usersByIDs, idList(ids)))
	return us, dbErr("users by ids", err)
}

func (s *Store) Bots(ctx context.Context) ([]chat.User, error) {
	us, err := scanUsers(s.read(ctx).query(activeBots))
	return us, dbErr("bots", err)
}

func (s *Store) UpdateUser(ctx context.Context, id int64, uu store.UserUpdate) (chat.User, error) {
	var sets []string
	var args []any
	set := func(col string, v any) {
		sets = append(sets, col+" = ?")
		args = append(args, v)
	}
	if uu.Name != nil {
		set("name", *uu.Name)
	}
	if uu.Email != nil {
		set("email", rowscan.NullString(*uu.Email))
	}
	if uu.Bio != nil {
		set("bio", *uu.Bio)
	}
	if uu.PasswordHash != nil {
		set("password_hash", *uu.PasswordHash)
	}
	if uu.Role != nil {
		set("role", string(*uu.Role))
	}
	if uu.BotTokenHash != nil {
		set("bot_token_hash", *uu.BotTokenHash)
	}
	if uu.WebhookURL != nil {
		set("webhook_url", *uu.WebhookURL)
	}
	if len(sets) == 0 {
		return s.User(ctx, id)
	}
	set("updated_at", rowscan.ToMillis(rowscan.Now()))
	// The column list comes from the fixed names above, never from input.
	query := `UPDATE users SET ` + strings.Join(sets, ", ") + ` WHERE id = ? RETURNING ` + rowscan.UserReturning
	args = append(args, id)

	u, err := writeT(ctx, s, func(t *wtx) (chat.User, error) {
		t.forgetUser(id)
		u, err := rowscan.ScanUser(t.queryRow(query, args...))
		if isUnique(err) {
			return u, fmt.Errorf("email is taken: %w", chat.ErrConflict)
		}
		return u, err
	})
	return u, dbErr(fmt.Sprintf("update user %d", id), err)
}

func (s *Store) DeactivateUser(ctx context.Context, id int64, status chat.Status) ([]int64, error) {
	if status != chat.StatusDeactivated && status != chat.StatusBanned {
		return nil, fmt.Errorf("deactivate user: status %q: %w", status, chat.ErrInvalid)
	}
	left, err := writeT(ctx, s, func(t *wtx) ([]int64, error) {
		t.forgetUser(id)
		at := rowscan.ToMillis(rowscan.Now())
		if err := mustAffect(t.exec(setUserStatus, status, at, id)); err != nil {
			return nil, err
		}
		if status == chat.StatusBanned {
			if _, err := t.exec(banSessionIPs, at, id); err != nil {
				return nil, err
			}
		}
		if _, err := t.exec(deleteUserSessions, id); err != nil {
			return nil, err
		}
		return scanIDs(t.query(leaveSharedRooms, id, id))
	})
	if err != nil {
		return nil, dbErr(fmt.Sprintf("deactivate user %d", id), err)
	}
	slices.Sort(left)
	return left, nil
}

// Sessions.

const (
	insertSession = `INSERT INTO sessions (user_id, token_hash, ip, user_agent, created_at, last_active_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`
	sessionByTokenHash = `SELECT ` + rowscan.SessionCols + `, ` + rowscan.UserCols + `
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`
	touchSession  = `UPDATE sessions SET last_active_at = ?, ip = ?, user_agent = ? WHERE id = ?`
	deleteSession = `DELETE FROM sessions WHERE token_hash = ?`
	userSessions  = `SELECT ` + rowscan.SessionCols + ` FROM sessions s WHERE s.user_id = ?
		ORDER BY s.last_active_at DESC, s.id DESC`
)

func (s *Store) CreateSession(ctx context.Context, ss chat.Session) (chat.Session, error) {
	ss.CreatedAt = rowscan.OrNow(ss.CreatedAt)
	if ss.LastActiveAt.IsZero() {
		ss.LastActiveAt = ss.CreatedAt
	}
	ss.LastActiveAt = rowscan.OrNow(ss.LastActiveAt)
	id, err := writeT(ctx, s, func(t *wtx) (id int64, err error) {
		err = t.queryRow(insertSession, ss.UserID, ss.TokenHash, ss.IP, ss.UserAgent,
			rowscan.ToMillis(ss.CreatedAt), rowscan.ToMillis(ss.LastActiveAt)).Scan(&id)
		return id, err
	})
	if err != nil {
		return chat.Session{}, dbErr("create session", err)
	}
	ss.ID = id
	return ss, nil
}

func (s *Store) SessionByTokenHash(ctx context.Context, tokenHash string) (chat.Session, chat.User, error) {
	var us rowscan.User
	ss, err := rowscan.ScanSession(s.read(ctx).queryRow(sessionByTokenHash, tokenHash), us.Dest()...)
	if err != nil {
		return chat.Session{}, chat.User{}, dbErr("session", err)
	}
	return ss, us.User(), nil
}

func (s *Store) TouchSession(ctx context.Context, id int64, at time.Time, ip, userAgent string) error {
	return dbErr(fmt.Sprintf("touch session %d", id), s.write(ctx, func(t *wtx) error {
		return mustAffect(t.exec(touchSession, rowscan.ToMillis(rowscan.OrNow(at)), ip, userAgent, id))
	}))
}

func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	return dbErr("delete session", s.write(ctx, func(t *wtx) error {
		return mustAffect(t.exec(deleteSession, tokenHash))
	}))
}

func (s *Store) UserSessions(ctx context.Context, userID int64) ([]chat.Session, error) {
	rows, err := s.read(ctx).query(userSessions, userID)
	if err != nil {
		return nil, dbErr("user sessions", err)
	}
	defer rows.Close()
	out := []chat.Session{}
	for rows.Next() {
		ss, err := rowscan.ScanSession(rows)
		if err != nil {
			return nil, dbErr("user sessions", err)
		}
		out = append(out, ss)
	}
	return out, dbErr("user sessions", rows.Err())
}

// mustAffect turns "no row matched" into sql.ErrNoRows, which dbErr maps to
// chat.ErrNotFound.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// Bans.

const (
	bannedIPs = `SELECT ip FROM bans ORDER BY ip`
	banIP     = `INSERT INTO bans (ip, created_at) VALUES (?, ?)`
	unbanIP   = `DELETE FROM bans WHERE ip = ?`
)

func (s *Store) BannedIPs(ctx context.Context) ([]string, error) {
	rows, err := s.read(ctx).query(bannedIPs)
	if err != nil {
		return nil, dbErr("banned ips", err)
	}
	defer rows.Close()
	ips := []string{}
	for rows.Next() {
		var ip string
		if err := rows.Scan(&ip); err != nil {
			return nil, dbErr("banned ips", err)
		}
		ips = append(ips, ip)
	}
	return ips, dbErr("banned ips", rows.Err())
}

// BanIP records ip as banned; an ip already banned returns chat.ErrConflict.
func (s *Store) BanIP(ctx context.Context, ip string) error {
	return dbErr("ban ip", s.write(ctx, func(t *wtx) error {
		_, err := t.exec(banIP, ip, rowscan.ToMillis(rowscan.Now()))
		return err
	}))
}

// UnbanIP lifts a ban; an ip not banned returns chat.ErrNotFound.
func (s *Store) UnbanIP(ctx context.Context, ip string) error {
	return dbErr("unban ip", s.write(ctx, func(t *wtx) error {
		return mustAffect(t.exec(unbanIP, ip))
	}))
}
