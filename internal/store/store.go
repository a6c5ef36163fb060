// Package store defines how Campfire persists its data. The database is the
// source of truth: everything the broker delivers was committed here first,
// and everything a client missed is recovered from here by seq.
//
// Implementations: sqlite (embedded default) and postgres (N instances on
// one database). Both pass the contract suite in storetest.
//
// Errors: absent rows return an error that matches chat.ErrNotFound (never
// a zero value with a nil error); unique violations return an error matching
// chat.ErrConflict. Every other error is an outage or a bug. Every call is
// bounded by its context: with the database gone it returns an error once
// ctx ends, never hangs.
//
// Text: callers validate what people type (chat.CheckBody and friends), but
// a store takes any Go string without failing on its bytes. Valid UTF-8
// without NUL is kept exactly; a string with invalid UTF-8 or NUL (which
// PostgreSQL cannot hold) may come back with those bytes replaced by U+FFFD.
package store

import (
	"context"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
)

// Store is everything the application needs from the database.
type Store interface {
	Accounts
	Users
	Sessions
	Rooms
	Messages
	Bans
	Attachments
	Previews
	RecentSearches
	PushSubscriptions
	Admin

	// Ping checks the database answers (for /ready).
	Ping(ctx context.Context) error
	// Close releases the database; pending writes are finished first.
	Close() error
}

// Accounts owns the one account and first-run setup.
type Accounts interface {
	// Setup creates the account, its first (admin) user and the open room
	// "All Talk" in one transaction. It returns chat.ErrConflict when the
	// account already exists.
	Setup(ctx context.Context, p SetupParams) (chat.Account, chat.User, chat.Room, error)
	// Account returns the account, or chat.ErrNotFound before setup.
	Account(ctx context.Context) (chat.Account, error)
	UpdateAccountName(ctx context.Context, name string) (chat.Account, error)
	SetJoinCode(ctx context.Context, code string) (chat.Account, error)
}

// SetupParams is what first run needs.
type SetupParams struct {
	AccountName string
	JoinCode    string
	Admin       NewUser
	RoomName    string // the first open room, "All Talk"
}

// Users owns people and bots.
type Users interface {
	// CreateUser stores a new user and makes them a member of every open
	// room. A taken email returns chat.ErrConflict.
	CreateUser(ctx context.Context, u NewUser) (chat.User, error)
	User(ctx context.Context, id int64) (chat.User, error)
	// UserByEmail looks up an active or inactive user by normalised email.
	UserByEmail(ctx context.Context, email string) (chat.User, error)
	// Users lists active users (people and bots) by name.
	Users(ctx context.Context) ([]chat.User, error)
	// UsersByIDs returns the users with the given ids that exist, in id
	// order; unknown ids are left out.
	UsersByIDs(ctx context.Context, ids []int64) ([]chat.User, error)
	// Bots lists active bots by name.
	Bots(ctx context.Context) ([]chat.User, error)
	// UpdateUser applies the non-nil fields. A taken email returns
	// chat.ErrConflict.
	UpdateUser(ctx context.Context, id int64, u UserUpdate) (chat.User, error)
	// DeactivateUser sets the status (deactivated or banned), deletes the
	// user's sessions and their memberships of shared rooms (direct rooms
	// keep their history), in one transaction. Banning also records the IPs
	// of the user's sessions as banned. It returns the ids of the shared
	// rooms the user left.
	DeactivateUser(ctx context.Context, id int64, status chat.Status) (leftRooms []int64, err error)
}

// NewUser is a user to create.
type NewUser struct {
	Name         string
	Email        string // empty for bots
	PasswordHash string // empty for bots
	Role         chat.Role
	Bio          string
	BotTokenHash string
	WebhookURL   string
}

// UserUpdate changes the non-nil fields of a user.
type UserUpdate struct {
	Name         *string
	Email        *string
	Bio          *string
	PasswordHash *string
	Role         *chat.Role
	BotTokenHash *string
	WebhookURL   *string
}

// Sessions owns database-backed sessions. Tokens are stored hashed.
type Sessions interface {
	CreateSession(ctx context.Context, s chat.Session) (chat.Session, error)
	// SessionByTokenHash returns the session and its user; chat.ErrNotFound
	// when absent.
	SessionByTokenHash(ctx context.Context, tokenHash string) (chat.Session, chat.User, error)
	// TouchSession records activity (throttled by the caller).
	TouchSession(ctx context.Context, id int64, at time.Time, ip, userAgent string) error
	DeleteSession(ctx context.Context, tokenHash string) error
	// UserSessions lists a user's sessions, newest activity first.
	UserSessions(ctx context.Context, userID int64) ([]chat.Session, error)
}

// Rooms owns rooms and memberships.
type Rooms interface {
	// CreateRoom stores a shared room. Open rooms get every active user as a
	// member; closed rooms get MemberIDs plus the creator. Involvement
	// defaults per chat.DefaultInvolvement.
	CreateRoom(ctx context.Context, r NewRoom) (chat.Room, error)
	// DirectRoom finds the direct room whose members are exactly userIDs
	// (which include the caller), or creates it with creatorID as creator.
	// created says which.
	DirectRoom(ctx context.Context, creatorID int64, userIDs []int64) (room chat.Room, created bool, err error)
	Room(ctx context.Context, id int64) (chat.Room, error)
	// RoomForUser returns the room as userID sees it; chat.ErrNotFound when
	// the room does not exist or userID is not a member.
	RoomForUser(ctx context.Context, roomID, userID int64) (chat.RoomView, error)
	// RoomsForUser lists userID's rooms (invisible ones included).
	RoomsForUser(ctx context.Context, userID int64) ([]chat.RoomView, error)
	// Members lists a room's members (active users) by name.
	Members(ctx context.Context, roomID int64) ([]chat.Member, error)
	// MemberIDs lists the user ids of a room's members.
	MemberIDs(ctx context.Context, roomID int64) ([]int64, error)
	// UpdateRoom applies the non-nil fields. Setting MemberIDs on a closed
	// room replaces its members (the creator stays); turning a room open
	// adds every active user. It returns the members added and removed.
	UpdateRoom(ctx context.Context, id int64, u RoomUpdate) (room chat.Room, added, removed []int64, err error)
	// DeleteRoom deletes a room with its messages and returns who were its
	// members.
	DeleteRoom(ctx context.Context, id int64) (memberIDs []int64, err error)
	SetInvolvement(ctx context.Context, roomID, userID int64, inv chat.Involvement) error
	// MarkRead clears userID's unread marker; changed reports whether it
	// was set.
	MarkRead(ctx context.Context, roomID, userID int64) (changed bool, err error)
}

// NewRoom is a shared room to create.
type NewRoom struct {
	Name      string
	Type      chat.RoomType // open or closed
	CreatorID int64
	MemberIDs []int64
}

// RoomUpdate changes the non-nil fields of a room.
type RoomUpdate struct {
	Name      *string
	Type      *chat.RoomType
	MemberIDs *[]int64
}

// Messages owns messages, mentions, boosts and the search index.
type Messages interface {
	// CreateMessage stores a message in one transaction: it assigns the
	// room's next seq (in commit order), writes the mentions and the search
	// entry, and marks the room unread for every other member whose
	// involvement is not invisible and who is not in SkipUnread. A second
	// call with the same (creator, room, ClientMessageID) stores nothing and
	// returns the original with created=false; a retry takes no seq.
	// newlyUnread lists the users whose unread marker went from clear to
	// set. A creator who is not active gets an error matching
	// chat.ErrForbidden; an unknown room or creator, chat.ErrNotFound.
	//
	// Seq order is commit order, across every process sharing the
	// database: once CreateMessage returns seq N for a room, every message
	// of that room with a seq below N is committed and readable (unless
	// deleted), and a later post gets a seq above N. Seqs have no gaps but
	// deleted messages. The hub's gap fill relies on this: having seen N,
	// it treats a lower seq arriving later as a duplicate. Implementations
	// get it from the database (SQLite: the single writer; PostgreSQL: the
	// room row's lock, held from taking the seq to the commit), never from
	// a lock inside one process.
	CreateMessage(ctx context.Context, m NewMessage) (msg chat.Message, created bool, newlyUnread []int64, err error)
	// Message returns a message with its creator, mentions and boosts.
	Message(ctx context.Context, id int64) (chat.Message, error)
	// MessageByClientID returns the message creatorID stored in roomID
	// under clientMessageID (the idempotency key), or an error matching
	// chat.ErrNotFound. One indexed read: the core answers a retry with it
	// before spending the poster's budget.
	MessageByClientID(ctx context.Context, roomID, creatorID int64, clientMessageID string) (chat.Message, error)
	// Messages pages through a room, oldest first.
	Messages(ctx context.Context, roomID int64, p Page) ([]chat.Message, error)
	// MessagesUpdatedSince lists the room's messages edited or boosted after
	// t (not those merely created after t), oldest update first.
	MessagesUpdatedSince(ctx context.Context, roomID int64, t time.Time, limit int) ([]chat.Message, error)
	// UpdateMessage replaces the body, rendering and mentions, and the
	// search entry.
	UpdateMessage(ctx context.Context, id int64, u MessageUpdate) (chat.Message, error)
	// DeleteMessage deletes a message with its boosts, mentions and search
	// entry. Its seq is never reused.
	DeleteMessage(ctx context.Context, id int64) error
	CreateBoost(ctx context.Context, messageID, boosterID int64, content string) (chat.Boost, error)
	Boost(ctx context.Context, id int64) (chat.Boost, error)
	DeleteBoost(ctx context.Context, id int64) error
	// Search returns the newest matches of a full-text query in the rooms
	// userID is a member of, newest first. query is plain words typed by a
	// person; the implementation makes it safe for its query syntax.
	Search(ctx context.Context, userID int64, query string, limit int) ([]chat.Message, error)
}

// NewMessage is a message to store.
type NewMessage struct {
	RoomID          int64
	CreatorID       int64
	ClientMessageID string // empty: no idempotency key
	Body            string
	BodyHTML        string
	Mentions        []int64
	SkipUnread      []int64 // members connected to the room right now
	CreatedAt       time.Time
	// Attachment, when set, is stored with the message (its MessageID and
	// CreatedAt are filled in); the blob is already written.
	Attachment *chat.Attachment
}

// MessageUpdate is an edit.
type MessageUpdate struct {
	Body      string
	BodyHTML  string
	Mentions  []int64
	UpdatedAt time.Time
}

// Page selects a window of a room's messages. At most one of Before, After
// and AfterSeq is set; none selects the newest, unless Forward is set.
// Limit is already clamped.
type Page struct {
	Before   int64 // messages with id < Before, the newest Limit of them
	After    int64 // messages with id > After, the oldest Limit of them
	AfterSeq int64 // messages with seq > AfterSeq, the oldest Limit of them
	// Forward makes a zero After/AfterSeq mean "from the very first
	// message" (replay from since=0) rather than "no cursor".
	Forward bool
	Limit   int
}

// Bans owns IP bans.
type Bans interface {
	// BannedIPs lists every banned IP address (a small set, cached by the
	// caller).
	BannedIPs(ctx context.Context) ([]string, error)
	BanIP(ctx context.Context, ip string) error
	UnbanIP(ctx context.Context, ip string) error
}
