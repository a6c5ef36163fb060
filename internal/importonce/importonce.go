// Package importonce brings a ONCE Campfire installation (the Rails app
// basecamp/once-campfire) into Campfire in Go: `campfire import-once
// PATH/production.sqlite3 [--files DIR]`.
//
// It copies the account (name, join code), people with their bcrypt
// password digests (Rails' has_secure_password writes $2a$ digests, which
// our sign-in reads, so passwords keep working), roles, bots with their
// tokens (stored hashed: a bot key "<id>-<token>" keeps working because ids
// are kept), webhooks, rooms (open, closed, direct), memberships with their
// involvement and unread marks, messages with their times (Action Text HTML
// turned into Markdown and rendered as ours are), mentions, boosts, banned
// addresses, recent searches and attachment files. Ids are kept, so links
// people saved keep pointing at the same rooms; each room's seq numbers
// messages by creation time, then id.
//
// Everything goes into the target in one transaction: a failure leaves it
// as it was (files already copied to the blob store are deleted again), so
// a failed import is simply run again. The target must be empty: an
// installation that was already set up is refused.
package importonce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/campfire-go/campfire/internal/blob"
	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/render"
	"github.com/campfire-go/campfire/internal/session"
	"github.com/campfire-go/campfire/internal/store/postgres"
	"github.com/campfire-go/campfire/internal/store/rowscan"
	"github.com/campfire-go/campfire/internal/thumb"
)

// ErrTargetNotEmpty means our database already holds an account.
var ErrTargetNotEmpty = errors.New("the target database is already set up")

// Options say what to import where.
type Options struct {
	// Source is Campfire's SQLite database (storage/db/production.sqlite3).
	Source string
	// Files is Campfire's file storage (Active Storage's disk service root,
	// where a blob with key K is at K[0:2]/K[2:4]/K). Empty: attachments
	// are imported as their file names, without the files.
	Files string
	// DatabaseURL is the target, as DATABASE_URL names it.
	DatabaseURL string
	// Blobs is where attachment files go; nil imports none.
	Blobs blob.Store
	// Progress receives a line per table and, on long tables, every
	// ProgressEvery rows. Nil: none.
	Progress io.Writer
	// ProgressEvery defaults to 5,000 rows.
	ProgressEvery int
}

// Report counts what was imported.
type Report struct {
	Users, Bots, Rooms, Memberships, Messages, Mentions, Boosts, Bans, Searches, Files int
	// Renumbered counts messages given a new id to keep ids in seq order.
	Renumbered int
	// Skipped counts rows left out, by reason.
	Skipped map[string]int
	// Warnings are notes for the operator (at most maxWarnings, then a count).
	Warnings []string
	Elapsed  time.Duration
}

const maxWarnings = 20

func (r *Report) skip(reason string) {
	r.Skipped[reason]++
}

func (r *Report) warn(format string, args ...any) {
	if len(r.Warnings) < maxWarnings {
		r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
	} else {
		r.skip("further warnings")
	}
}

type user struct {
	name   string
	active bool
}

type room struct {
	typ     chat.RoomType
	members []render.Mentionable // active members, for mentions
	ids     []int64              // every member, for the direct key
	seq     int64
	last    time.Time
}

type importer struct {
	opts Options
	src  *source
	dst  *target
	rep  Report
	r    *render.Renderer

	users map[int64]*user
	rooms map[int64]*room
	// skippedMessages are Campfire message ids not imported (their boosts
	// go too); renumbered maps the ids that changed to their new ones.
	skippedMessages map[int64]bool
	renumbered      map[int64]int64
	// copied are blob keys written so far, deleted again if the import
	// fails.
	copied []string
}

// Run imports opts.Source into opts.DatabaseURL.
func Run(ctx context.Context, opts Options) (Report, error) {
	start := time.Now()
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 5000
	}
	im := &importer{
		opts: opts, rep: Report{Skipped: map[string]int{}}, r: render.New(),
		users: map[int64]*user{}, rooms: map[int64]*room{}, skippedMessages: map[int64]bool{},
		renumbered: map[int64]int64{},
	}
	if opts.Files != "" {
		if fi, err := os.Stat(opts.Files); err != nil || !fi.IsDir() {
			return im.rep, fmt.Errorf("--files %s: not a directory", opts.Files)
		}
	}
	var err error
	if im.src, err = openSource(ctx, opts.Source); err != nil {
		return im.rep, err
	}
	defer im.src.close()
	if im.dst, err = openTarget(ctx, opts.DatabaseURL); err != nil {
		return im.rep, err
	}
	defer im.dst.close()

	err = im.run(ctx)
	if err == nil {
		err = im.dst.tx.Commit()
	}
	if err != nil {
		im.dst.close()
		im.deleteCopied()
		return im.rep, err
	}
	im.rep.Elapsed = time.Since(start)
	return im.rep, nil
}

func (im *importer) progress(table string, n, total int) {
	if n == total || n%im.opts.ProgressEvery == 0 {
		fmt.Fprintf(im.opts.Progress, "import-once: %s %d/%d\n", table, n, total)
	}
}

func (im *importer) run(ctx context.Context) error {
	n, err := im.dst.count(ctx, `SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM users)`)
	if err != nil {
		return fmt.Errorf("target database: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%w: import-once only fills a new, empty database (point DATABASE_URL at one; nothing was changed)", ErrTargetNotEmpty)
	}
	steps := []func(context.Context) error{
		im.account, im.importUsers, im.importRooms, im.importMessages, im.importBoosts,
		im.importBans, im.importSearches, im.finish,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) account(ctx context.Context) error {
	var name, code, created any
	err := im.src.tx.QueryRowContext(ctx, `SELECT name, join_code, created_at FROM accounts ORDER BY id LIMIT 1`).Scan(&name, &code, &created)
	if err != nil {
		return fmt.Errorf("campfire account: %w (was Campfire ever set up?)", err)
	}
	at, err := railsTime(created)
	if err != nil {
		return fmt.Errorf("campfire account: %w", err)
	}
	joinCode := strings.TrimSpace(str(code))
	if joinCode == "" {
		joinCode = session.NewToken()[:12] // Campfire always has one; an admin can make a nicer one
	}
	fmt.Fprintf(im.opts.Progress, "import-once: account 1/1\n")
	if err := im.dst.exec(ctx, `INSERT INTO accounts (id, name, join_code, created_at) VALUES (1, ?, ?, ?)`,
		fit(str(name), chat.DefaultLimits.RoomNameRunes, "Campfire"), postgres.CleanText(joinCode), rowscan.ToMillis(at)); err != nil {
		return err
	}
	return im.accountSettings(ctx, at)
}

// accountSettings brings Campfire's custom styles and its "only
// administrators create rooms" setting.
func (im *importer) accountSettings(ctx context.Context, at time.Time) error {
	cols := []string{"NULL", "NULL"}
	if im.src.has("accounts", "custom_styles") {
		cols[0] = "custom_styles"
	}
	if im.src.has("accounts", "settings") {
		cols[1] = "settings"
	}
	var styles, settings any
	if err := im.src.tx.QueryRowContext(ctx, `SELECT `+cols[0]+`, `+cols[1]+` FROM accounts ORDER BY id LIMIT 1`).Scan(&styles, &settings); err != nil {
		return fmt.Errorf("campfire account settings: %w", err)
	}
	css := postgres.CleanText(strings.ReplaceAll(str(styles), "\r\n", "\n"))
	if len(css) > campfire.CustomCSSBytes {
		im.rep.warn("the custom styles are larger than %d KB and were left out", campfire.CustomCSSBytes>>10)
		css = ""
	}
	var opts map[string]any
	_ = json.Unmarshal([]byte(str(settings)), &opts) // absent or unreadable: the defaults
	restrict := 0
	if v, ok := opts["restrict_room_creation_to_administrators"]; ok && (v == true || v == "true" || v == "1" || v == float64(1)) {
		restrict = 1
	}
	version := 0
	if css != "" {
		version = 1
	}
	return im.dst.exec(ctx, `INSERT INTO account_settings (id, admins_create_rooms, custom_css, css_version, updated_at) VALUES (1, ?, ?, ?, ?)`,
		restrict, css, version, rowscan.ToMillis(at))
}

// Campfire's enums: role (member administrator bot) and status (active
// deactivated banned) are integers.
var (
	roles    = map[int64]chat.Role{0: chat.RoleMember, 1: chat.RoleAdmin, 2: chat.RoleBot}
	statuses = map[int64]chat.Status{0: chat.StatusActive, 1: chat.StatusDeactivated, 2: chat.StatusBanned}
)

func (im *importer) importUsers(ctx context.Context) error {
	hooks := map[int64]string{}
	if im.src.has("webhooks", "user_id", "url") {
		var uid, u any
		if err := im.src.each(ctx, `SELECT user_id, url FROM webhooks ORDER BY id`, []any{&uid, &u}, func() error {
			if id, ok := integer(uid); ok {
				hooks[id] = strings.TrimSpace(str(u))
			}
			return nil
		}); err != nil {
			return fmt.Errorf("reading webhooks: %w", err)
		}
	}
	statusCol := "status"
	if !im.src.has("users", "status") {
		statusCol = "CASE WHEN active THEN 0 ELSE 1 END" // before Campfire had bans
	}
	total, err := im.src.count(ctx, `SELECT count(*) FROM users`)
	if err != nil {
		return err
	}
	ins := im.dst.inserter("users", "id", "name", "email", "role", "status", "password_hash", "bio",
		"bot_token_hash", "webhook_url", "created_at", "updated_at")
	emails := map[string]int64{}
	admins := 0
	var id, name, email, digest, role, status, bio, token, created, updated any
	i := 0
	err = im.src.each(ctx, `SELECT id, name, email_address, password_digest, role, `+statusCol+`, bio, bot_token, created_at, updated_at
		FROM users ORDER BY id`, []any{&id, &name, &email, &digest, &role, &status, &bio, &token, &created, &updated}, func() error {
		i++
		uid, _ := integer(id)
		rn, _ := integer(role)
		r, ok := roles[rn]
		if !ok {
			im.rep.warn("user %d has role %d, which Campfire does not define: imported as a member", uid, rn)
			r = chat.RoleMember
		}
		sn, _ := integer(status)
		st, ok := statuses[sn]
		if !ok {
			st = chat.StatusDeactivated
		}
		at, err := railsTime(created)
		if err != nil {
			return fmt.Errorf("user %d: %w", uid, err)
		}
		up, err := railsTime(updated)
		if err != nil || up.IsZero() {
			up = at
		}
		var mail any // NULL: a bot, or a person without an address
		if e := strings.ToLower(strings.TrimSpace(str(email))); e != "" && r != chat.RoleBot {
			if other, dup := emails[e]; dup {
				return fmt.Errorf("users %d and %d both have the email address %s (ours must be unique, ignoring case): fix one in Campfire first", other, uid, e)
			}
			emails[e] = uid
			mail = e
		}
		hash := str(digest)
		if hash != "" && !isBcrypt(hash) {
			im.rep.warn("user %d's password digest is not bcrypt: they must reset their password", uid)
			hash = ""
		}
		var tokenHash, hook string
		if r == chat.RoleBot {
			hash = ""
			if t := str(token); t != "" {
				tokenHash = session.Hash(t)
			}
			hook = hooks[uid]
			im.rep.Bots++
		} else {
			im.rep.Users++
		}
		if r == chat.RoleAdmin && st == chat.StatusActive {
			admins++
		}
		nm := fit(str(name), chat.DefaultLimits.UserNameRunes, fmt.Sprintf("Person %d", uid))
		im.users[uid] = &user{name: nm, active: st == chat.StatusActive}
		im.progress("users", i, total)
		return ins.add(ctx, uid, nm, mail, string(r), string(st), hash, fit(str(bio), chat.DefaultLimits.BioRunes, ""), tokenHash, hook,
			rowscan.ToMillis(at), rowscan.ToMillis(up))
	})
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	if admins == 0 {
		im.rep.warn("no active administrator: use `campfire admin reset-password` and an admin's email, or make one")
	}
	return ins.flush(ctx)
}

// isBcrypt reports whether a digest is one of bcrypt's forms ($2a$, $2b$,
// $2y$ and cost), which golang.org/x/crypto/bcrypt verifies.
func isBcrypt(h string) bool {
	return len(h) == 60 && (strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$"))
}

var roomTypes = map[string]chat.RoomType{
	"Rooms::Open": chat.RoomOpen, "Rooms::Closed": chat.RoomClosed, "Rooms::Direct": chat.RoomDirect,
}

// Campfire's involvement values are ours.
var involvements = map[string]chat.Involvement{
	"everything": chat.InvolvementEverything, "mentions": chat.InvolvementMentions,
	"nothing": chat.InvolvementNothing, "invisible": chat.InvolvementInvisible,
}

type membership struct {
	roomID, userID int64
	inv            chat.Involvement
	unread         any // nil or unix ms
	created        int64
}

func (im *importer) importRooms(ctx context.Context) error {
	type roomRow struct {
		id, creator int64
		name        string
		created, up int64
	}
	var rows []roomRow
	var id, name, typ, creator, created, updated any
	err := im.src.each(ctx, `SELECT id, name, type, creator_id, created_at, updated_at FROM rooms ORDER BY id`,
		[]any{&id, &name, &typ, &creator, &created, &updated}, func() error {
			rid, _ := integer(id)
			t, ok := roomTypes[str(typ)]
			if !ok {
				im.rep.warn("room %d is of type %q, which this importer does not know: left out with its messages", rid, str(typ))
				im.rep.skip("rooms of an unknown type")
				return nil
			}
			cid, _ := integer(creator)
			at, err := railsTime(created)
			if err != nil {
				return fmt.Errorf("room %d: %w", rid, err)
			}
			up, err := railsTime(updated)
			if err != nil || up.IsZero() {
				up = at
			}
			im.rooms[rid] = &room{typ: t}
			rows = append(rows, roomRow{id: rid, creator: cid, name: str(name), created: rowscan.ToMillis(at), up: rowscan.ToMillis(up)})
			return nil
		})
	if err != nil {
		return fmt.Errorf("rooms: %w", err)
	}

	var ms []membership
	var rid, uid, inv, unread any
	err = im.src.each(ctx, `SELECT room_id, user_id, involvement, unread_at, created_at FROM memberships ORDER BY room_id, user_id`,
		[]any{&rid, &uid, &inv, &unread, &created}, func() error {
			r, _ := integer(rid)
			u, _ := integer(uid)
			rm, usr := im.rooms[r], im.users[u]
			if rm == nil || usr == nil {
				im.rep.skip("memberships of a room or person left out")
				return nil
			}
			in, ok := involvements[str(inv)]
			if !ok {
				in = chat.DefaultInvolvement(rm.typ)
			}
			m := membership{roomID: r, userID: u, inv: in}
			if t, err := railsTime(unread); err == nil && !t.IsZero() {
				m.unread = rowscan.ToMillis(t)
			}
			at, err := railsTime(created)
			if err != nil {
				return fmt.Errorf("membership of user %d in room %d: %w", u, r, err)
			}
			m.created = rowscan.ToMillis(at)
			if len(rm.ids) > 0 && rm.ids[len(rm.ids)-1] == u {
				return nil // a duplicate row
			}
			rm.ids = append(rm.ids, u)
			if usr.active {
				rm.members = append(rm.members, render.Mentionable{ID: u, Name: usr.name})
			}
			ms = append(ms, m)
			return nil
		})
	if err != nil {
		return fmt.Errorf("memberships: %w", err)
	}

	// A creator who is gone becomes the first administrator's… but users
	// are never deleted in Campfire, so a missing one is a damaged file.
	ins := im.dst.inserter("rooms", "id", "name", "type", "creator_id", "direct_key", "last_seq", "created_at", "updated_at")
	keys := map[string]int64{}
	for i, r := range rows {
		rm := im.rooms[r.id]
		if im.users[r.creator] == nil {
			return fmt.Errorf("room %d: its creator, user %d, is not in the database", r.id, r.creator)
		}
		var key any
		if rm.typ == chat.RoomDirect {
			k := chat.DirectKey(rm.ids)
			if other, dup := keys[k]; dup {
				// One direct room per set of people here: the later one keeps
				// its history but is not the one a new ping finds.
				im.rep.warn("direct rooms %d and %d have the same people; new pings go to room %d", other, r.id, other)
			} else if len(rm.ids) > 0 {
				keys[k] = r.id
				key = k
			}
		}
		im.progress("rooms", i+1, len(rows))
		name := ""
		if rm.typ != chat.RoomDirect {
			name = fit(r.name, chat.DefaultLimits.RoomNameRunes, fmt.Sprintf("Room %d", r.id))
		}
		if err := ins.add(ctx, r.id, name, string(rm.typ), r.creator, key, 0, r.created, r.up); err != nil {
			return err
		}
	}
	if err := ins.flush(ctx); err != nil {
		return err
	}
	im.rep.Rooms = len(rows)

	mi := im.dst.inserter("memberships", "room_id", "user_id", "involvement", "unread_at", "created_at")
	for i, m := range ms {
		im.progress("memberships", i+1, len(ms))
		if err := mi.add(ctx, m.roomID, m.userID, string(m.inv), m.unread, m.created); err != nil {
			return err
		}
	}
	im.rep.Memberships = len(ms)
	return mi.flush(ctx)
}

func (im *importer) importMessages(ctx context.Context) error {
	total, err := im.src.count(ctx, `SELECT count(*) FROM messages`)
	if err != nil {
		return err
	}
	withFiles := im.src.has("active_storage_attachments", "record_type", "record_id", "name", "blob_id") &&
		im.src.has("active_storage_blobs", "id", "key", "filename", "content_type")
	fileCols, fileJoin := `, NULL, NULL, NULL`, ``
	if withFiles {
		fileCols = `, b.key, b.filename, b.content_type`
		fileJoin = ` LEFT JOIN active_storage_attachments a ON a.record_type = 'Message' AND a.record_id = m.id AND a.name = 'attachment'
			LEFT JOIN active_storage_blobs b ON b.id = a.blob_id`
	}
	// By creation time then id: the order Campfire showed them in, which
	// numbers each room's seq. Ids are kept where they already follow that
	// order (as they do unless clocks stepped back); a message out of
	// order gets the next id up, because here id order within a room is
	// seq order (clients page by id and replay by seq).
	// Joins rather than correlated subqueries: SQLite builds an index for a
	// join when the file lacks one (Campfire's schema has them; a damaged
	// or hand-made copy might not), where a subquery would scan per row.
	query := `SELECT m.id, m.room_id, m.creator_id, m.client_message_id, m.created_at, t.body` +
		fileCols + ` FROM messages m
		LEFT JOIN action_text_rich_texts t ON t.record_type = 'Message' AND t.record_id = m.id AND t.name = 'body'` +
		fileJoin + ` ORDER BY m.created_at, m.id`

	msgs := im.dst.inserter("messages", "id", "room_id", "seq", "creator_id", "client_message_id", "body", "body_html",
		"created_at", "updated_at")
	mentions := im.dst.inserter("mentions", "message_id", "user_id")
	files := im.dst.inserter("attachments", "message_id", "blob_key", "filename", "content_type", "byte_size", "state", "created_at")
	mentions.parent, files.parent = msgs, msgs
	name := func(id int64) string {
		if u := im.users[id]; u != nil {
			return u.name
		}
		return ""
	}
	var (
		id, roomID, creator, clientID, created, body, key, filename, ctype any
		lastID, prevMid                                                    int64
	)
	// Hashes of (room, author, client id): a repeated idempotency key is
	// dropped (a hash collision only drops a key, never a message).
	clientIDs := map[uint64]bool{}
	i := 0
	err = im.src.each(ctx, query, []any{&id, &roomID, &creator, &clientID, &created, &body, &key, &filename, &ctype}, func() error {
		mid, _ := integer(id)
		if mid == prevMid {
			return nil // a second body or attachment row of the same message: the first wins
		}
		prevMid = mid
		i++
		im.progress("messages", i, total)
		rid, _ := integer(roomID)
		cid, _ := integer(creator)
		rm := im.rooms[rid]
		if rm == nil || im.users[cid] == nil {
			im.skippedMessages[mid] = true
			im.rep.skip("messages in a room left out or by an unknown person")
			return nil
		}
		at, err := railsTime(created)
		if err != nil {
			return fmt.Errorf("message %d: %w", mid, err)
		}
		md := markdown(str(body), name)
		var att *attachment
		if k := str(key); k != "" {
			if att, err = im.copyFile(ctx, k, str(filename), str(ctype)); err != nil {
				return fmt.Errorf("message %d: %w", mid, err)
			}
			if att == nil && md == "" {
				md = escapeText(str(filename), true) // the file is not here: its name at least
			}
		}
		// Campfire has no body limit; this server has one, and escaping
		// markup as text can multiply a body several times.
		if limit := chat.DefaultLimits.MessageBytes; len(md) > limit {
			for limit > 0 && !utf8.RuneStart(md[limit]) {
				limit--
			}
			md = md[:limit]
			im.rep.skip("message bodies cut to the size limit")
			im.rep.warn("message %d was longer than %d KiB: cut", mid, chat.DefaultLimits.MessageBytes>>10)
		}
		if strings.TrimSpace(md) == "" && att == nil {
			im.skippedMessages[mid] = true
			im.rep.skip("empty messages")
			return nil
		}
		html, mentioned := "", []int64(nil)
		if md != "" {
			html, mentioned = im.r.Render(md, rm.members)
		}
		// The idempotency key is unique per room and author here; Campfire
		// made them uuids, but a copy of a copy might repeat one.
		var cmid any
		if c := str(clientID); c != "" && len(c) <= chat.DefaultLimits.ClientIDBytes {
			h := fnv.New64a()
			fmt.Fprint(h, rid, " ", cid, " ", c)
			if sum := h.Sum64(); !clientIDs[sum] {
				clientIDs[sum], cmid = true, c
			}
		}
		newID := max(mid, lastID+1)
		if newID != mid {
			im.renumbered[mid] = newID
		}
		lastID = newID
		rm.seq++
		rm.last = at
		ms := rowscan.ToMillis(at)
		if err := msgs.add(ctx, newID, rid, rm.seq, cid, cmid, md, html, ms, ms); err != nil {
			return err
		}
		for _, u := range mentioned {
			if err := mentions.add(ctx, newID, u); err != nil {
				return err
			}
		}
		im.rep.Messages++
		im.rep.Mentions += len(mentioned)
		if att != nil {
			state := chat.ThumbnailNone
			if thumb.Decodable(att.contentType) {
				state = chat.ThumbnailPending // the server makes it
			}
			if err := files.add(ctx, newID, att.key, att.filename, att.contentType, att.size, string(state), ms); err != nil {
				return err
			}
			im.rep.Files++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("messages: %w", err)
	}
	im.rep.Renumbered = len(im.renumbered)
	for _, in := range []*inserter{msgs, mentions, files} {
		if err := in.flush(ctx); err != nil {
			return err
		}
	}
	for rid, rm := range im.rooms {
		if rm.seq == 0 {
			continue
		}
		if err := im.dst.exec(ctx, `UPDATE rooms SET last_seq = ?, last_message_at = ? WHERE id = ?`,
			rm.seq, rowscan.ToMillis(rm.last), rid); err != nil {
			return fmt.Errorf("rooms: %w", err)
		}
	}
	return nil
}

type attachment struct {
	key, filename, contentType string
	size                       int64
}

// copyFile copies an Active Storage blob into our blob store. nil without
// an error means the file is not available (no --files, or missing).
func (im *importer) copyFile(ctx context.Context, key, filename, ctype string) (*attachment, error) {
	if im.opts.Files == "" || im.opts.Blobs == nil {
		im.rep.skip("attachment files (no --files)")
		return nil, nil
	}
	if len(key) < 5 || strings.ContainsAny(key, `/\.`) {
		im.rep.skip("attachment files with an unreadable key")
		return nil, nil
	}
	// Opened through an os.Root: a symlink out of --files (a hostile dump
	// linking a blob to the server's own files) is refused.
	var f *os.File
	if root, err := os.OpenRoot(im.opts.Files); err == nil {
		for _, dir := range []string{".", "files"} {
			if f, err = root.Open(filepath.Join(dir, key[:2], key[2:4], key)); err == nil {
				break
			}
		}
		root.Close()
	}
	if f == nil {
		im.rep.skip("attachment files not found under --files")
		im.rep.warn("attachment file %s (%s) is not under %s", key, filename, im.opts.Files)
		return nil, nil
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		im.rep.skip("attachment files not found under --files")
		return nil, nil
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading %s: %w", f.Name(), err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	ctype = contentType(head[:n], ctype)
	name := cleanFilename(filename)
	k := campfire.NewBlobKey()
	size, err := im.opts.Blobs.Put(ctx, k, f, ctype)
	if err != nil {
		return nil, fmt.Errorf("copying %s: %w", f.Name(), err)
	}
	im.copied = append(im.copied, k)
	return &attachment{key: k, filename: name, contentType: ctype, size: size}, nil
}

// contentType trusts the bytes for images (a thumbnail is made from them)
// and Campfire's recorded type otherwise, as uploads here are sniffed.
func contentType(head []byte, recorded string) string {
	sniffed := http.DetectContentType(head)
	if strings.HasPrefix(sniffed, "image/") {
		t, _, _ := strings.Cut(sniffed, ";")
		return t
	}
	recorded = strings.TrimSpace(recorded)
	if recorded == "" || len(recorded) > 100 || strings.HasPrefix(recorded, "image/") {
		return sniffed
	}
	return recorded
}

// cleanFilename is the server's own rule for file names
// (campfire.CleanFilename), with "file" for a name it refuses.
func cleanFilename(name string) string {
	if n, err := campfire.CleanFilename(name); err == nil {
		return n
	}
	return "file"
}

// fit makes a name, bio or boost follow this server's rules as
// chat.CleanName checks them (Campfire's are looser, and a dump may be
// hostile): invalid UTF-8, control, direction-override and noncharacter
// code points dropped, cut to max runes; fallback when nothing visible is
// left ("" keeps a blank bio blank).
func fit(s string, max int, fallback string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') ||
			r == '\u200E' || r == '\u200F' || (r >= '\uFDD0' && r <= '\uFDEF') || r&0xFFFE == 0xFFFE {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	s = strings.TrimSpace(s)
	if n := 0; utf8.RuneCountInString(s) > max {
		for i := range s {
			if n == max {
				s = strings.TrimSpace(s[:i])
				break
			}
			n++
		}
	}
	if s == "" {
		return fallback
	}
	if _, err := chat.CleanName("name", s, max); err != nil {
		return fallback
	}
	return s
}

func (im *importer) deleteCopied() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, k := range im.copied {
		_ = im.opts.Blobs.Delete(ctx, k) // best effort: an orphan file is harmless
	}
}

func (im *importer) importBoosts(ctx context.Context) error {
	total, err := im.src.count(ctx, `SELECT count(*) FROM boosts`)
	if err != nil {
		return err
	}
	ins := im.dst.inserter("boosts", "id", "message_id", "booster_id", "content", "created_at")
	var id, mid, booster, content, created any
	i := 0
	err = im.src.each(ctx, `SELECT b.id, b.message_id, b.booster_id, b.content, b.created_at
		FROM boosts b JOIN messages m ON m.id = b.message_id ORDER BY b.id`,
		[]any{&id, &mid, &booster, &content, &created}, func() error {
			i++
			im.progress("boosts", i, total)
			bid, _ := integer(id)
			m, _ := integer(mid)
			u, _ := integer(booster)
			if im.skippedMessages[m] || im.users[u] == nil || strings.TrimSpace(str(content)) == "" {
				im.rep.skip("boosts of a message left out")
				return nil
			}
			at, err := railsTime(created)
			if err != nil {
				return fmt.Errorf("boost %d: %w", bid, err)
			}
			if n, ok := im.renumbered[m]; ok {
				m = n
			}
			im.rep.Boosts++
			return ins.add(ctx, bid, m, u, fit(str(content), chat.DefaultLimits.BoostRunes, "👍"), rowscan.ToMillis(at))
		})
	if err != nil {
		return fmt.Errorf("boosts: %w", err)
	}
	if skipped := total - i; skipped > 0 {
		im.rep.Skipped["boosts of a message left out"] += skipped
	}
	return ins.flush(ctx)
}

func (im *importer) importBans(ctx context.Context) error {
	if !im.src.has("bans", "ip_address", "created_at") {
		return nil
	}
	seen := map[string]bool{}
	ins := im.dst.inserter("bans", "ip", "created_at")
	// Which person's ban added each address, so unbanning them lifts it.
	byUser := im.dst.inserter("ban_ips", "user_id", "ip", "created_at")
	byUser.parent = ins
	seenBy := map[string]bool{}
	userCol := "NULL"
	if im.src.has("bans", "user_id") {
		userCol = "user_id"
	}
	var ip, created, uid any
	err := im.src.each(ctx, `SELECT ip_address, created_at, `+userCol+` FROM bans ORDER BY id`, []any{&ip, &created, &uid}, func() error {
		addr, err := netip.ParseAddr(strings.TrimSpace(str(ip)))
		if err != nil {
			im.rep.skip("bans of an unreadable address")
			return nil
		}
		addr = addr.Unmap().WithZone("")
		// Banning this machine would lock everyone out behind a proxy.
		if addr.IsLoopback() || addr.IsUnspecified() {
			return nil
		}
		at, err := railsTime(created)
		if err != nil {
			at = rowscan.Now()
		}
		a := addr.String()
		if u, ok := integer(uid); ok && im.users[u] != nil && !seenBy[fmt.Sprint(u, " ", a)] {
			seenBy[fmt.Sprint(u, " ", a)] = true
			if err := byUser.add(ctx, u, a, rowscan.ToMillis(at)); err != nil {
				return err
			}
		}
		if seen[a] {
			return nil
		}
		seen[a] = true
		im.rep.Bans++
		return ins.add(ctx, a, rowscan.ToMillis(at))
	})
	if err != nil {
		return fmt.Errorf("bans: %w", err)
	}
	fmt.Fprintf(im.opts.Progress, "import-once: bans %d/%d\n", im.rep.Bans, im.rep.Bans)
	return byUser.flush(ctx)
}

func (im *importer) importSearches(ctx context.Context) error {
	if !im.src.has("searches", "user_id", "query", "updated_at") {
		return nil
	}
	ins := im.dst.inserter("recent_searches", "user_id", "query", "searched_at")
	var uid, query, updated any
	cur, kept := int64(-1), 0
	var seen map[string]bool
	var last int64
	err := im.src.each(ctx, `SELECT user_id, query, updated_at FROM searches ORDER BY user_id, updated_at DESC, id DESC`,
		[]any{&uid, &query, &updated}, func() error {
			u, _ := integer(uid)
			if u != cur {
				cur, kept, seen, last = u, 0, map[string]bool{}, 0
			}
			q := strings.Join(strings.Fields(str(query)), " ")
			if im.users[u] == nil || kept >= campfire.RecentSearchesKept || q == "" || seen[q] ||
				len(q) > chat.DefaultLimits.SearchBytes || !utf8.ValidString(q) || strings.ContainsFunc(q, unicode.IsControl) {
				return nil
			}
			at, err := railsTime(updated)
			if err != nil {
				return nil
			}
			// Newest first here; keep them strictly ordered as the store does.
			ms := rowscan.ToMillis(at)
			if last != 0 && ms >= last {
				ms = last - 1
			}
			seen[q], last = true, ms
			kept++
			im.rep.Searches++
			return ins.add(ctx, u, q, ms)
		})
	if err != nil {
		return fmt.Errorf("searches: %w", err)
	}
	fmt.Fprintf(im.opts.Progress, "import-once: searches %d/%d\n", im.rep.Searches, im.rep.Searches)
	return ins.flush(ctx)
}

// finish rebuilds what each database derives: SQLite's search index, and
// PostgreSQL's identity sequences past the ids copied.
func (im *importer) finish(ctx context.Context) error {
	switch im.dst.driver {
	case "sqlite":
		if err := im.dst.exec(ctx, `INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')`); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	case "postgres":
		for _, t := range []string{"users", "rooms", "messages", "boosts", "bans", "recent_searches"} {
			// setval(seq, 1, false) makes 1 the next id of an empty table.
			if err := im.dst.exec(ctx, `SELECT setval(pg_get_serial_sequence(?, 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) FROM `+t, t); err != nil {
				return fmt.Errorf("%s: move its id sequence: %w", t, err)
			}
		}
	}
	return nil
}

// Summary is the report as the command prints it.
func (r Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "imported %d people, %d bots, %d rooms, %d memberships, %d messages (%d mentions), %d boosts, %d attachment files, %d banned addresses, %d recent searches in %s\n",
		r.Users, r.Bots, r.Rooms, r.Memberships, r.Messages, r.Mentions, r.Boosts, r.Files, r.Bans, r.Searches, r.Elapsed.Round(time.Millisecond))
	reasons := make([]string, 0, len(r.Skipped))
	for k := range r.Skipped {
		reasons = append(reasons, k)
	}
	slices.Sort(reasons)
	for _, k := range reasons {
		fmt.Fprintf(&b, "left out: %d %s\n", r.Skipped[k], k)
	}
	if r.Renumbered > 0 {
		fmt.Fprintf(&b, "note: %d messages posted out of id order got new ids, so each room's ids follow its order\n", r.Renumbered)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}
