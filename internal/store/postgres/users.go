package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

// membershipLock serialises the writes that decide who is in which open
// room (new users, new or reopened rooms, deactivations): under READ
// COMMITTED, a user and an open room created at the same moment would each
// miss the other. They are rare, so one transaction-scoped advisory lock
// per schema, held by the database and so shared by every instance, costs
// nothing that matters.
const membershipLock = `SELECT pg_advisory_xact_lock(1667330151, hashtext(current_schema()))`

// Accounts.

const (
	accountByID   = `SELECT ` + rowscan.AccountCols + ` FROM accounts WHERE id = 1`
	insertAccount = `INSERT INTO accounts (id, name, join_code, created_at) VALUES (1, $1, $2, $3)`
	updateAccount = `UPDATE accounts SET name = coalesce($1, name), join_code = coalesce($2, join_code)
		WHERE id = 1 RETURNING ` + rowscan.AccountCols
)

func (s *Store) Setup(ctx context.Context, p store.SetupParams) (chat.Account, chat.User, chat.Room, error) {
	var acct chat.Account
	var admin chat.User
	var room chat.Room
	roomName := p.RoomName
	if roomName == "" {
		roomName = "All Talk"
	}
	u := p.Admin
	u.Role = chat.RoleAdmin
	err := s.tx(ctx, func(q querier) (err error) {
		if _, err := q.exec(membershipLock); err != nil {
			return err
		}
		at := rowscan.Now()
		if _, err := q.exec(insertAccount, p.AccountName, p.JoinCode, rowscan.ToMillis(at)); err != nil {
			if isUnique(err) {
				return fmt.Errorf("setup: account already exists: %w", chat.ErrConflict)
			}
			return err
		}
		acct = chat.Account{ID: 1, Name: CleanText(p.AccountName), JoinCode: CleanText(p.JoinCode), CreatedAt: at}
		if admin, err = createUser(q, u, at); err != nil {
			return err
		}
		room, err = createRoom(q, store.NewRoom{Name: roomName, Type: chat.RoomOpen, CreatorID: admin.ID}, at)
		return err
	})
	if err != nil {
		return chat.Account{}, chat.User{}, chat.Room{}, dbErr("setup", err)
	}
	return acct, admin, room, nil
}

func (s *Store) Account(ctx context.Context) (a chat.Account, err error) {
	err = s.run(ctx, func(q querier) (err error) {
		a, err = rowscan.ScanAccount(q.queryRow(accountByID))
		return err
	})
	return a, dbErr("account", err)
}

func (s *Store) UpdateAccountName(ctx context.Context, name string) (chat.Account, error) {
	return s.updateAccount(ctx, &name, nil)
}

func (s *Store) SetJoinCode(ctx context.Context, code string) (chat.Account, error) {
	return s.updateAccount(ctx, nil, &code)
}

func (s *Store) updateAccount(ctx context.Context, name, code *string) (a chat.Account, err error) {
	// A nil pointer is NULL, which coalesce keeps as the current value.
	var n, c any
	if name != nil {
		n = *name
	}
	if code != nil {
		c = *code
	}
	err = s.run(ctx, func(q querier) (err error) {
		a, err = rowscan.ScanAccount(q.queryRow(updateAccount, n, c))
		return err
	})
	return a, dbErr("update account", err)
}

// Users.

const (
	insertUser = `INSERT INTO users (name, email, role, status, password_hash, bio, bot_token_hash, webhook_url,
			created_at, updated_at)
		VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8, $8) RETURNING id`
	// New users join every open room.
	joinOpenRooms = `INSERT INTO memberships (room_id, user_id, involvement, created_at)
		SELECT id, $1, $2, $3 FROM rooms WHERE type = 'open'`
	userByID      = `SELECT ` + rowscan.UserCols + ` FROM users u WHERE u.id = $1`
	userByEmail   = `SELECT ` + rowscan.UserCols + ` FROM users u WHERE u.email = $1`
	activeUsers   = `SELECT ` + rowscan.UserCols + ` FROM users u WHERE u.status = 'active' ORDER BY u.name, u.id`
	activeBots    = `SELECT ` + rowscan.UserCols + ` FROM users u WHERE u.status = 'active' AND u.role = 'bot' ORDER BY u.name, u.id`
	usersByIDs    = `SELECT ` + rowscan.UserCols + ` FROM users u WHERE u.id = ANY($1) ORDER BY u.id`
	setUserStatus = `UPDATE users SET status = $1, updated_at = $2 WHERE id = $3`
	// Banning keeps the addresses the user signed in from.
	banSessionIPs = `INSERT INTO bans (ip, created_at)
		SELECT DISTINCT ip, $1::bigint FROM sessions WHERE user_id = $2 AND ip <> ''
		ON CONFLICT (ip) DO NOTHING`
	deleteUserSessions = `DELETE FROM sessions WHERE user_id = $1`
	// Direct rooms keep a deactivated user: their history is a
	// conversation with them.
	leaveSharedRooms = `DELETE FROM memberships ms USING rooms r
		WHERE ms.user_id = $1 AND r.id = ms.room_id AND r.type <> 'direct'
		RETURNING ms.room_id`
)

func createUser(q querier, u store.NewUser, at time.Time) (chat.User, error) {
	if u.Role == "" {
		u.Role = chat.RoleMember
	}
	var id int64
	err := q.queryRow(insertUser, u.Name, rowscan.NullString(u.Email), u.Role, u.PasswordHash, u.Bio,
		u.BotTokenHash, u.WebhookURL, rowscan.ToMillis(at)).Scan(&id)
	if err != nil {
		if isUnique(err) {
			return chat.User{}, fmt.Errorf("email %q is taken: %w", u.Email, chat.ErrConflict)
		}
		return chat.User{}, err
	}
	if _, err := q.exec(joinOpenRooms, id, chat.DefaultInvolvement(chat.RoomOpen), rowscan.ToMillis(at)); err != nil {
		return chat.User{}, err
	}
	return chat.User{
		ID: id, Name: CleanText(u.Name), Email: CleanText(u.Email), Bio: CleanText(u.Bio), Role: u.Role,
		Status: chat.StatusActive, PasswordHash: CleanText(u.PasswordHash), BotTokenHash: CleanText(u.BotTokenHash),
		WebhookURL: CleanText(u.WebhookURL), CreatedAt: at, UpdatedAt: at,
	}, nil
}

func (s *Store) CreateUser(ctx context.Context, nu store.NewUser) (u chat.User, err error) {
	err = s.tx(ctx, func(q querier) (err error) {
		if _, err := q.exec(membershipLock); err != nil {
			return err
		}
		u, err = createUser(q, nu, rowscan.Now())
		return err
	})
	return u, dbErr("create user", err)
}

func (s *Store) User(ctx context.Context, id int64) (u chat.User, err error) {
	err = s.run(ctx, func(q querier) (err error) {
		u, err = rowscan.ScanUser(q.queryRow(userByID, id))
		return err
	})
	return u, dbErr(fmt.Sprintf("user %d", id), err)
}

func (s *Store) UserByEmail(ctx context.Context, email string) (u chat.User, err error) {
	if email == "" {
		return chat.User{}, notFound("user by email")
	}
	err = s.run(ctx, func(q querier) (err error) {
		u, err = rowscan.ScanUser(q.queryRow(userByEmail, email))
		return err
	})
	return u, dbErr("user by email", err)
}

func (s *Store) users(ctx context.Context, what, query string, args ...any) (us []chat.User, err error) {
	err = s.run(ctx, func(q querier) (err error) {
		us, err = scanUsers(q.query(query, args...))
		return err
	})
	return us, dbErr(what, err)
}

func (s *Store) Users(ctx context.Context) ([]chat.User, error) {
	return s.users(ctx, "users", activeUsers)
}

func (s *Store) UsersByIDs(ctx context.Context, ids []int64) ([]chat.User, error) {
	if len(ids) == 0 {
		return []chat.User{}, nil
	}
	return s.users(ctx, "users by ids", usersByIDs, ids)
}

func (s *Store) Bots(ctx context.Context) ([]chat.User, error) {
	return s.users(ctx, "bots", activeBots)
}

func (s *Store) UpdateUser(ctx context.Context, id int64, uu store.UserUpdate) (chat.User, error) {
	var sets []string
	var args []any
	set := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, col+" = $"+strconv.Itoa(len(args)))
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
	args = append(args, id)
	// The column list comes from the fixed names above, never from input.
	query := `UPDATE users SET ` + strings.Join(sets, ", ") + ` WHERE id = $` + strconv.Itoa(len(args)) +
		` RETURNING ` + rowscan.UserReturning

	var u chat.User
	err := s.run(ctx, func(q querier) (err error) {
		u, err = rowscan.ScanUser(q.queryRow(query, args...))
		if isUnique(err) {
			return fmt.Errorf("email is taken: %w", chat.ErrConflict)
		}
		return err
	})
	return u, dbErr(fmt.Sprintf("update user %d", id), err)
}

func (s *Store) DeactivateUser(ctx context.Context, id int64, status chat.Status) ([]int64, error) {
	if status != chat.StatusDeactivated && status != chat.StatusBanned {
		return nil, fmt.Errorf("deactivate user: status %q: %w", status, chat.ErrInvalid)
	}
	var left []int64
	err := s.tx(ctx, func(q querier) (err error) {
		if _, err := q.exec(membershipLock); err != nil {
			return err
		}
		at := rowscan.ToMillis(rowscan.Now())
		if err := mustAffect(q.exec(setUserStatus, status, at, id)); err != nil {
			return err
		}
		if status == chat.StatusBanned {
			if _, err := q.exec(banSessionIPs, at, id); err != nil {
				return err
			}
		}
		if _, err := q.exec(deleteUserSessions, id); err != nil {
			return err
		}
		left, err = scanIDs(q.query(leaveSharedRooms, id))
		return err
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
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
	sessionByTokenHash = `SELECT ` + rowscan.SessionCols + `, ` + rowscan.UserCols + `
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`
	touchSession  = `UPDATE sessions SET last_active_at = $1, ip = $2, user_agent = $3 WHERE id = $4`
	deleteSession = `DELETE FROM sessions WHERE token_hash = $1`
	userSessions  = `SELECT ` + rowscan.SessionCols + ` FROM sessions s WHERE s.user_id = $1
		ORDER BY s.last_active_at DESC, s.id DESC`
)

func (s *Store) CreateSession(ctx context.Context, ss chat.Session) (chat.Session, error) {
	ss.CreatedAt = rowscan.OrNow(ss.CreatedAt)
	if ss.LastActiveAt.IsZero() {
		ss.LastActiveAt = ss.CreatedAt
	}
	ss.LastActiveAt = rowscan.OrNow(ss.LastActiveAt)
	ss.TokenHash, ss.IP, ss.UserAgent = CleanText(ss.TokenHash), CleanText(ss.IP), CleanText(ss.UserAgent)
	err := s.run(ctx, func(q querier) error {
		return q.queryRow(insertSession, ss.UserID, ss.TokenHash, ss.IP, ss.UserAgent,
			rowscan.ToMillis(ss.CreatedAt), rowscan.ToMillis(ss.LastActiveAt)).Scan(&ss.ID)
	})
	if err != nil {
		return chat.Session{}, dbErr("create session", err)
	}
	return ss, nil
}

func (s *Store) SessionByTokenHash(ctx context.Context, tokenHash string) (ss chat.Session, u chat.User, err error) {
	var us rowscan.User
	err = s.run(ctx, func(q querier) (err error) {
		ss, err = rowscan.ScanSession(q.queryRow(sessionByTokenHash, tokenHash), us.Dest()...)
		return err
	})
	if err != nil {
		return chat.Session{}, chat.User{}, dbErr("session", err)
	}
	return ss, us.User(), nil
}

func (s *Store) TouchSession(ctx context.Context, id int64, at time.Time, ip, userAgent string) error {
	return dbErr(fmt.Sprintf("touch session %d", id), s.run(ctx, func(q querier) error {
		return mustAffect(q.exec(touchSession, rowscan.ToMillis(rowscan.OrNow(at)), ip, userAgent, id))
	}))
}

func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	return dbErr("delete session", s.run(ctx, func(q querier) error {
		return mustAffect(q.exec(deleteSession, tokenHash))
	}))
}

func (s *Store) UserSessions(ctx context.Context, userID int64) (out []chat.Session, err error) {
	err = s.run(ctx, func(q querier) (err error) {
		rows, err := q.query(userSessions, userID)
		out, err = collect(rows, err, func(sc rowscan.Scanner) (chat.Session, error) {
			return rowscan.ScanSession(sc)
		})
		return err
	})
	return out, dbErr("user sessions", err)
}

// Bans.

const (
	bannedIPs = `SELECT ip FROM bans ORDER BY ip`
	banIP     = `INSERT INTO bans (ip, created_at) VALUES ($1, $2)`
	unbanIP   = `DELETE FROM bans WHERE ip = $1`
)

func (s *Store) BannedIPs(ctx context.Context) (ips []string, err error) {
	err = s.run(ctx, func(q querier) (err error) {
		rows, err := q.query(bannedIPs)
		ips, err = collect(rows, err, func(sc rowscan.Scanner) (ip string, err error) {
			err = sc.Scan(&ip)
			return ip, err
		})
		return err
	})
	return ips, dbErr("banned ips", err)
}

// BanIP records ip as banned; an ip already banned returns chat.ErrConflict.
func (s *Store) BanIP(ctx context.Context, ip string) error {
	return dbErr("ban ip", s.run(ctx, func(q querier) error {
		_, err := q.exec(banIP, ip, rowscan.ToMillis(rowscan.Now()))
		return err
	}))
}

// UnbanIP lifts a ban; an ip not banned returns chat.ErrNotFound.
func (s *Store) UnbanIP(ctx context.Context, ip string) error {
	return dbErr("unban ip", s.run(ctx, func(q querier) error {
		return mustAffect(q.exec(unbanIP, ip))
	}))
}
