package migrate

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"strings"

	"github.com/campfire-go/campfire/internal/store/postgres"
)

// kind is a column's type as both schemas mean it: INTEGER/BIGINT (ids,
// seqs, unix milliseconds) or TEXT.
type kind uint8

const (
	integer kind = iota + 1
	text
)

type column struct {
	name string
	kind kind
}

// table is one table copied: its columns in copy order and the primary key
// that orders batches and checksums.
type table struct {
	name string
	cols []column
	key  []string
	// identity says the table's id comes from an identity sequence on
	// PostgreSQL, which must be moved past the copied ids.
	identity bool
}

// tables are every table of Campfire's schema holding data, parents before
// children so foreign keys hold after each batch. The schemas' own
// bookkeeping (schema_migrations) and SQLite's search index (messages_fts,
// rebuilt on PostgreSQL by its generated column) are not copied. checkSchema
// refuses a database with a column or table this list does not name, so a
// migration that adds one cannot be forgotten here.
var tables = []table{
	{name: "accounts", key: []string{"id"}, cols: []column{
		{"id", integer}, {"name", text}, {"join_code", text}, {"created_at", integer},
		{"logo_key", text},
	}},
	{name: "users", key: []string{"id"}, identity: true, cols: []column{
		{"id", integer}, {"name", text}, {"email", text}, {"role", text}, {"status", text},
		{"password_hash", text}, {"bio", text}, {"bot_token_hash", text}, {"webhook_url", text},
		{"created_at", integer}, {"updated_at", integer}, {"avatar_key", text},
	}},
	{name: "sessions", key: []string{"id"}, identity: true, cols: []column{
		{"id", integer}, {"user_id", integer}, {"token_hash", text}, {"ip", text}, {"user_agent", text},
		{"created_at", integer}, {"last_active_at", integer},
	}},
	{name: "rooms", key: []string{"id"}, identity: true, cols: []column{
		{"id", integer}, {"name", text}, {"type", text}, {"creator_id", integer}, {"direct_key", text},
		{"last_seq", integer}, {"last_message_at", integer}, {"created_at", integer}, {"updated_at", integer},
	}},
	{name: "memberships", key: []string{"room_id", "user_id"}, cols: []column{
		{"room_id", integer}, {"user_id", integer}, {"involvement", text}, {"unread_at", integer},
		{"created_at", integer},
	}},
	{name: "messages", key: []string{"id"}, identity: true, cols: []column{
		{"id", integer}, {"room_id", integer}, {"seq", integer}, {"creator_id", integer},
		{"client_message_id", text}, {"body", text}, {"body_html", text},
		{"created_at", integer}, {"updated_at", integer}, {"edited_at", integer},
	}},
	{name: "mentions", key: []string{"message_id", "user_id"}, cols: []column{
		{"message_id", integer}, {"user_id", integer},
	}},
	{name: "boosts", key: []string{"id"}, identity: true, cols: []column{
		{"id", integer}, {"message_id", integer}, {"booster_id", integer}, {"content", text},
		{"created_at", integer},
	}},
	// Attachment rows; their files stay where they are in the blob store
	// (STORAGE_PATH or STORAGE_URL), which the new instances must share.
	{name: "attachments", key: []string{"message_id"}, cols: []column{
		{"message_id", integer}, {"blob_key", text}, {"filename", text}, {"content_type", text},
		{"byte_size", integer}, {"width", integer}, {"height", integer}, {"thumbnail_key", text},
		{"state", text}, {"created_at", integer},
	}},
	{name: "link_previews", key: []string{"message_id"}, cols: []column{
		{"message_id", integer}, {"url", text}, {"title", text}, {"description", text},
		{"site_name", text}, {"image_key", text}, {"image_type", text}, {"created_at", integer},
	}},
	{name: "bans", key: []string{"id"}, identity: true, cols: []column{
		{"id", integer}, {"ip", text}, {"created_at", integer},
	}},
	{name: "recent_searches", key: []string{"id"}, identity: true, cols: []column{
		{"id", integer}, {"user_id", integer}, {"query", text}, {"searched_at", integer},
	}},
	{name: "push_subscriptions", key: []string{"id"}, identity: true, cols: []column{
		{"id", integer}, {"user_id", integer}, {"endpoint", text}, {"p256dh", text}, {"auth", text},
		{"created_at", integer}, {"updated_at", integer},
	}},
	// Admin tools: the account's settings, and the addresses each person's
	// ban added (so unbanning them lifts those).
	{name: "account_settings", key: []string{"id"}, cols: []column{
		{"id", integer}, {"admins_create_rooms", integer}, {"custom_css", text},
		{"css_version", integer}, {"updated_at", integer},
	}},
	{name: "ban_ips", key: []string{"id"}, identity: true, cols: []column{
		{"id", integer}, {"user_id", integer}, {"ip", text}, {"created_at", integer},
	}},
	// The VAPID key pair the subscriptions are bound to: without it every
	// browser would have to subscribe again.
	{name: "vapid_keys", key: []string{"id"}, cols: []column{
		{"id", integer}, {"public_key", text}, {"private_key", text}, {"created_at", integer},
	}},
}

// notCopied are tables of either schema that hold no data of their own.
func notCopied(name string) bool {
	return name == "schema_migrations" || name == progressTable ||
		name == "messages_fts" || strings.HasPrefix(name, "messages_fts_")
}

func tableNames() []string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	return names
}

func (t table) colNames() []string {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.name
	}
	return names
}

// keyIndex is the position of each key column among cols.
func (t table) keyIndex() []int {
	idx := make([]int, len(t.key))
	for i, k := range t.key {
		for j, c := range t.cols {
			if c.name == k {
				idx[i] = j
			}
		}
	}
	return idx
}

// selectAll reads the whole table in key order (either database).
func (t table) selectAll() string {
	return fmt.Sprintf("SELECT %s FROM %s ORDER BY %s",
		strings.Join(t.colNames(), ", "), t.name, strings.Join(t.key, ", "))
}

// whereAfter selects the rows after a key, one ? per key column (SQLite,
// whose row values compare as tuples and use the primary key's index).
func (t table) whereAfter() string {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(t.key)), ", ")
	return fmt.Sprintf(" WHERE (%s) > (%s)", strings.Join(t.key, ", "), marks)
}

// selectAfter reads the rows after a key in key order (SQLite).
func (t table) selectAfter() string {
	return fmt.Sprintf("SELECT %s FROM %s%s ORDER BY %s",
		strings.Join(t.colNames(), ", "), t.name, t.whereAfter(), strings.Join(t.key, ", "))
}

// normalize turns a value read from SQLite into what PostgreSQL will hold
// for c: nil, int64, or text without NUL or invalid UTF-8 (replaced by
// U+FFFD as the postgres store does). cleaned reports such a replacement.
// SQLite's columns have affinities, not types, so a value of the wrong
// kind is an error rather than a guess.
func normalize(c column, v any) (out any, cleaned bool, err error) {
	switch x := v.(type) {
	case nil:
		return nil, false, nil
	case int64:
		if c.kind == integer {
			return x, false, nil
		}
	case string:
		if c.kind == text {
			s := postgres.CleanText(x)
			return s, s != x, nil
		}
	case []byte:
		if c.kind == text {
			s := postgres.CleanText(string(x))
			return s, s != string(x), nil
		}
	}
	want := "an integer"
	if c.kind == text {
		want = "text"
	}
	return nil, false, fmt.Errorf("column %s holds %T, want %s", c.name, v, want)
}

// checksum hashes a table's rows in key order in one canonical form, so
// the same rows give the same sum whichever database they were read from:
// per value a tag byte (NULL, integer, text), then the integer as 8 bytes
// big-endian or the text's length and bytes; rows are delimited by the
// fixed column count.
type checksum struct {
	h    hash.Hash
	buf  []byte
	rows int64
}

func newChecksum() *checksum { return &checksum{h: sha256.New()} }

func (c *checksum) add(row []any) error {
	b := c.buf[:0]
	for _, v := range row {
		switch x := v.(type) {
		case nil:
			b = append(b, 0)
		case int64:
			b = append(b, 1)
			b = binary.BigEndian.AppendUint64(b, uint64(x))
		case string:
			b = append(b, 2)
			b = binary.AppendUvarint(b, uint64(len(x)))
			b = append(b, x...)
		default:
			return fmt.Errorf("checksum: unexpected %T", v)
		}
	}
	c.buf = b
	c.h.Write(b)
	c.rows++
	return nil
}

func (c *checksum) sum() string { return fmt.Sprintf("%x", c.h.Sum(nil)) }
