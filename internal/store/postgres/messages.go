package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/store/rowscan"
)

const (
	// A post is three statements sent as one pipeline, which PostgreSQL
	// runs as one implicit transaction, in one round trip:
	//
	//  1. lockRoomForPost takes the room's row lock (NO KEY UPDATE: it does
	//     not block the foreign-key checks of other rooms' posts or of new
	//     memberships). The lock is held to the commit, so the room's posts
	//     run one at a time and each commits before the next takes a seq:
	//     seq order is commit order, across every instance.
	//  2. postCreator reads the creator for the reply.
	//  3. postMessage, which starts (READ COMMITTED: with a new snapshot)
	//     only once the lock is held, so it sees every earlier post of the
	//     room: it takes last_seq + 1, unless the idempotency key was used
	//     already (a retry takes no seq) or the creator is not active, and
	//     writes the message, the counter, the mentions and the unread
	//     markers. The search entry is a generated column.
	lockRoomForPost = `SELECT 1 FROM rooms WHERE id = $1 FOR NO KEY UPDATE`
	postCreator     = `SELECT ` + rowscan.UserCols + ` FROM users u WHERE u.id = $1`
	postMessage     = `WITH room AS (
			SELECT last_seq FROM rooms WHERE id = $1
		), existing AS (
			SELECT id FROM messages WHERE room_id = $1 AND creator_id = $2 AND client_message_id = $3
		), ins AS (
			INSERT INTO messages (room_id, seq, creator_id, client_message_id, body, body_html, created_at, updated_at)
			SELECT $1, room.last_seq + 1, $2, $3, $4, $5, $6, $6
			FROM room, users u
			WHERE u.id = $2 AND u.status = 'active' AND NOT EXISTS (SELECT 1 FROM existing)
			RETURNING id, seq
		), counter AS (
			UPDATE rooms SET last_seq = ins.seq, last_message_at = greatest(rooms.last_message_at, $6)
			FROM ins WHERE rooms.id = $1
		), mention AS (
			-- Mentions of users that do not exist are dropped rather than
			-- failing the post.
			INSERT INTO mentions (message_id, user_id)
			SELECT ins.id, u.id FROM ins, users u WHERE u.id = ANY($7)
			RETURNING user_id
		), unread AS (
			-- Only members still clear (the partial index memberships_clear):
			-- in a busy room that is a handful, usually none.
			UPDATE memberships ms SET unread_at = $6
			FROM ins
			WHERE ms.room_id = $1 AND ms.unread_at IS NULL AND ms.involvement <> 'invisible'
				AND ms.user_id <> $2 AND ms.user_id <> ALL($8)
			RETURNING ms.user_id
		)` + postAttachment + `
		SELECT coalesce((SELECT id FROM existing), 0), coalesce((SELECT id FROM ins), 0),
			coalesce((SELECT seq FROM ins), 0),
			ARRAY(SELECT user_id FROM mention ORDER BY user_id),
			ARRAY(SELECT user_id FROM unread ORDER BY user_id)`

	// messagesFrom loads rowscan.MessageCols, the mentions, and whether there are
	// boosts to load (most messages have none, and then a page is one query).
	messagesFrom = `SELECT ` + rowscan.MessageCols + `,
			ARRAY(SELECT user_id FROM mentions WHERE message_id = m.id ORDER BY user_id),
			EXISTS (SELECT 1 FROM boosts WHERE message_id = m.id)` + attachmentSelect + `
		FROM messages m JOIN users u ON u.id = m.creator_id ` + attachmentJoin
	messageByID  = messagesFrom + `WHERE m.id = $1`
	newestPage   = messagesFrom + `WHERE m.room_id = $1 ORDER BY m.id DESC LIMIT $2`
	beforePage   = messagesFrom + `WHERE m.room_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3`
	afterPage    = messagesFrom + `WHERE m.room_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3`
	afterSeqPage = messagesFrom + `WHERE m.room_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`
	updatedSince = messagesFrom + `WHERE m.room_id = $1 AND m.updated_at > m.created_at AND m.updated_at > $2
		ORDER BY m.updated_at, m.id LIMIT $3`
	boostsOf = `SELECT ` + rowscan.BoostCols + ` FROM boosts b JOIN users u ON u.id = b.booster_id
		WHERE b.message_id = ANY($1) ORDER BY b.id`

	// Edits and boosts move updated_at strictly past created_at (even within
	// the same millisecond) and never back, which is what
	// MessagesUpdatedSince relies on. edited_at gets the same value (the
	// right-hand sides read the row as it was).
	editMessage = `UPDATE messages SET body = $1, body_html = $2,
			updated_at = greatest($3, updated_at, created_at + 1),
			edited_at = greatest($3, updated_at, created_at + 1)
		WHERE id = $4`
	deleteMentions = `DELETE FROM mentions WHERE message_id = $1`
	insertMentions = `INSERT INTO mentions (message_id, user_id)
		SELECT $1, id FROM users WHERE id = ANY($2) ON CONFLICT DO NOTHING`
	touchMessage  = `UPDATE messages SET updated_at = greatest($1, updated_at, created_at + 1) WHERE id = $2`
	deleteMessage = `DELETE FROM messages WHERE id = $1`

	insertBoost = `INSERT INTO boosts (message_id, booster_id, content, created_at) VALUES ($1, $2, $3, $4) RETURNING id`
	boostByID   = `SELECT ` + rowscan.BoostCols + ` FROM boosts b JOIN users u ON u.id = b.booster_id WHERE b.id = $1`
	// Removing a boost is an update of its message, so a client that
	// refetches updated messages after a reconnect sees it gone.
	deleteBoost = `WITH d AS (DELETE FROM boosts WHERE id = $1 RETURNING message_id)
		UPDATE messages m SET updated_at = greatest($2, m.updated_at, m.created_at + 1)
		FROM d WHERE m.id = d.message_id`
)

func (s *Store) CreateMessage(ctx context.Context, nm store.NewMessage) (chat.Message, bool, []int64, error) {
	j := newPostJob(ctx, nm)
	r, err := s.posts.submit(ctx, j)
	if err == nil {
		err = r.err
	}
	if err != nil {
		return chat.Message{}, false, nil, dbErr("create message", err)
	}
	return r.msg, r.created, r.newlyUnread, nil
}

// postJob is one CreateMessage on its way through the poster.
type postJob struct {
	ctx            context.Context
	nm             store.NewMessage // text already cleaned
	at             time.Time
	mentions, skip []int64
	done           chan postResult // buffered: the poster never waits for a caller
}

type postResult struct {
	msg         chat.Message
	created     bool
	newlyUnread []int64
	err         error
}

func newPostJob(ctx context.Context, nm store.NewMessage) *postJob {
	nm.ClientMessageID, nm.Body, nm.BodyHTML = CleanText(nm.ClientMessageID), CleanText(nm.Body), CleanText(nm.BodyHTML)
	mentions := slices.Clone(nm.Mentions)
	slices.Sort(mentions)
	mentions = slices.Compact(mentions)
	if mentions == nil {
		mentions = []int64{}
	}
	skip := nm.SkipUnread
	if skip == nil {
		skip = []int64{} // <> ALL(NULL) is NULL, which would mark no one
	}
	return &postJob{ctx: ctx, nm: nm, at: rowscan.OrNow(nm.CreatedAt), mentions: mentions, skip: skip,
		done: make(chan postResult, 1)}
}

// queue adds the job's three statements to b (see postMessage).
func (j *postJob) queue(b *pgx.Batch) {
	nm := j.nm
	b.Queue(lockRoomForPost, nm.RoomID)
	b.Queue(postCreator, nm.CreatorID)
	b.Queue(postMessage, cleanArgs(append([]any{nm.RoomID, nm.CreatorID, rowscan.NullString(nm.ClientMessageID), nm.Body, nm.BodyHTML,
		rowscan.ToMillis(j.at), j.mentions, j.skip}, attachmentArgs(nm.Attachment)...))...)
}

// postRow is what the database answered for one job.
type postRow struct {
	roomFound, creatorFound bool
	creator                 chat.User
	existing, id, seq       int64
	kept, newlyUnread       []int64
}

// readPostRow reads the results of one job's statements. An error is the
// whole transaction's: it was rolled back.
func readPostRow(br pgx.BatchResults) (r postRow, err error) {
	tag, err := br.Exec()
	if err != nil {
		return r, err
	}
	r.roomFound = tag.RowsAffected() > 0
	r.creator, err = rowscan.ScanUser(br.QueryRow())
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return r, err
	}
	r.creatorFound = err == nil
	err = br.QueryRow().Scan(&r.existing, &r.id, &r.seq, &r.kept, &r.newlyUnread)
	return r, err
}

// result turns the committed row into the caller's answer.
func (j *postJob) result(q querier, r postRow) postResult {
	nm := j.nm
	switch {
	case !r.creatorFound:
		return postResult{err: notFound(fmt.Sprintf("creator %d", nm.CreatorID))}
	case !r.creator.Active():
		// Checked after the room's lock, so after any deactivation
		// committed before it: a socket that outlived its user cannot post.
		return postResult{err: fmt.Errorf("creator %d is %s: %w", nm.CreatorID, r.creator.Status, chat.ErrForbidden)}
	case !r.roomFound:
		return postResult{err: notFound(fmt.Sprintf("room %d", nm.RoomID))}
	case r.existing != 0:
		// A retry: return the original; no seq was taken.
		msg, err := loadMessage(q, r.existing)
		return postResult{msg: msg, err: err}
	case r.id == 0:
		// The creator was deactivated between the statements.
		return postResult{err: fmt.Errorf("creator %d is not active: %w", nm.CreatorID, chat.ErrForbidden)}
	}
	if r.kept == nil {
		r.kept = []int64{}
	}
	return postResult{msg: chat.Message{
		ID: r.id, RoomID: nm.RoomID, Seq: r.seq, CreatorID: nm.CreatorID, ClientMessageID: nm.ClientMessageID,
		Body: nm.Body, BodyHTML: nm.BodyHTML, Creator: r.creator, Mentions: r.kept, Boosts: []chat.Boost{},
		CreatedAt: j.at, UpdatedAt: j.at, Attachment: j.attachment(r.id),
	}, created: true, newlyUnread: r.newlyUnread}
}

// runPosts runs jobs as one pipeline on c, which PostgreSQL runs as one
// implicit transaction with one commit, and answers each job. The jobs
// must be in ascending room order (see poster.run). It returns an error,
// answering no job, when the transaction failed: then nothing of it was
// kept.
func runPosts(ctx context.Context, c *pgxpool.Conn, jobs []*postJob) error {
	b := &pgx.Batch{}
	for _, j := range jobs {
		j.queue(b)
	}
	br := c.SendBatch(ctx, b)
	rows := make([]postRow, len(jobs))
	err := func() (err error) {
		defer br.Close()
		for i := range jobs {
			if rows[i], err = readPostRow(br); err != nil {
				return err
			}
		}
		return nil
	}()
	if err == nil {
		err = br.Close() // the commit's outcome
	}
	if err != nil {
		return err
	}
	q := querier{ctx: ctx, db: c}
	for i, j := range jobs {
		j.done <- j.result(q, rows[i])
	}
	return nil
}

// loadMessage reads one message with its creator, mentions and boosts.
func loadMessage(q querier, id int64) (chat.Message, error) {
	msgs, err := queryMessages(q, messageByID, id)
	if err != nil {
		return chat.Message{}, err
	}
	if len(msgs) == 0 {
		return chat.Message{}, pgx.ErrNoRows
	}
	return msgs[0], nil
}

// queryMessages runs a messagesFrom query and loads the boosts of the
// messages that have any with one more query.
func queryMessages(q querier, query string, args ...any) ([]chat.Message, error) {
	rows, err := q.query(query, args...)
	if err != nil {
		return nil, err
	}
	var boosted []int64
	msgs, err := collect(rows, nil, func(sc rowscan.Scanner) (chat.Message, error) {
		m, hasBoosts, err := scanMessage(sc)
		if hasBoosts {
			boosted = append(boosted, m.ID)
		}
		return m, err
	})
	if err == nil {
		err = fillPreviews(q, msgs)
	}
	if err != nil || len(boosted) == 0 {
		return msgs, err
	}
	byID := make(map[int64]*chat.Message, len(msgs))
	for i := range msgs {
		byID[msgs[i].ID] = &msgs[i]
	}
	rows, err = q.query(boostsOf, boosted)
	_, err = collect(rows, err, func(sc rowscan.Scanner) (struct{}, error) {
		b, err := rowscan.ScanBoost(sc)
		if m := byID[b.MessageID]; err == nil && m != nil {
			m.Boosts = append(m.Boosts, b)
		}
		return struct{}{}, err
	})
	return msgs, err
}

func (s *Store) Message(ctx context.Context, id int64) (m chat.Message, err error) {
	err = s.run(ctx, func(q querier) (err error) {
		m, err = loadMessage(q, id)
		return err
	})
	return m, dbErr(fmt.Sprintf("message %d", id), err)
}

const messageIDByClientID = `SELECT id FROM messages WHERE room_id = $1 AND creator_id = $2 AND client_message_id = $3`

func (s *Store) MessageByClientID(ctx context.Context, roomID, creatorID int64, clientMessageID string) (m chat.Message, err error) {
	err = s.run(ctx, func(q querier) error {
		var id int64
		if err := q.queryRow(messageIDByClientID, roomID, creatorID, clientMessageID).Scan(&id); err != nil {
			return err
		}
		var err error
		m, err = loadMessage(q, id)
		return err
	})
	return m, dbErr("message by client id", err)
}

// readMessages runs a messagesFrom query on a pooled connection. The
// boosts, when there are any, are read by a second statement, which may
// see a boost added or removed since the first: the message's updated_at
// then moved too, so a client refetching updated messages catches up.
func (s *Store) readMessages(ctx context.Context, query string, args ...any) (msgs []chat.Message, err error) {
	err = s.run(ctx, func(q querier) (err error) {
		msgs, err = queryMessages(q, query, args...)
		return err
	})
	return msgs, err
}

func (s *Store) Messages(ctx context.Context, roomID int64, p store.Page) ([]chat.Message, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = chat.DefaultLimits.DefaultPage
	}
	query, args, newestFirst := newestPage, []any{roomID, limit}, true
	switch {
	case p.Before > 0:
		query, args = beforePage, []any{roomID, p.Before, limit}
	case p.After > 0:
		query, args, newestFirst = afterPage, []any{roomID, p.After, limit}, false
	case p.AfterSeq > 0 || p.Forward:
		query, args, newestFirst = afterSeqPage, []any{roomID, p.AfterSeq, limit}, false
	}
	msgs, err := s.readMessages(ctx, query, args...)
	if err != nil {
		return nil, dbErr(fmt.Sprintf("messages of room %d", roomID), err)
	}
	if newestFirst {
		slices.Reverse(msgs)
	}
	return msgs, nil
}

func (s *Store) MessagesUpdatedSince(ctx context.Context, roomID int64, t time.Time, limit int) ([]chat.Message, error) {
	if limit <= 0 {
		limit = chat.DefaultLimits.PageSize
	}
	msgs, err := s.readMessages(ctx, updatedSince, roomID, rowscan.ToMillis(t), limit)
	return msgs, dbErr(fmt.Sprintf("messages of room %d updated since %s", roomID, t), err)
}

func (s *Store) UpdateMessage(ctx context.Context, id int64, u store.MessageUpdate) (m chat.Message, err error) {
	at := rowscan.ToMillis(rowscan.OrNow(u.UpdatedAt))
	mentions := u.Mentions
	if mentions == nil {
		mentions = []int64{}
	}
	err = s.tx(ctx, func(q querier) (err error) {
		if err := mustAffect(q.exec(editMessage, u.Body, u.BodyHTML, at, id)); err != nil {
			return err
		}
		if _, err := q.exec(deleteMentions, id); err != nil {
			return err
		}
		if len(mentions) > 0 {
			if _, err := q.exec(insertMentions, id, mentions); err != nil {
				return err
			}
		}
		m, err = loadMessage(q, id)
		return err
	})
	return m, dbErr(fmt.Sprintf("update message %d", id), err)
}

func (s *Store) DeleteMessage(ctx context.Context, id int64) error {
	// Boosts and mentions go by ON DELETE CASCADE, the search entry with
	// the row; the room's last_seq is untouched, so the seq is never reused.
	return dbErr(fmt.Sprintf("delete message %d", id), s.run(ctx, func(q querier) error {
		return mustAffect(q.exec(deleteMessage, id))
	}))
}

func (s *Store) CreateBoost(ctx context.Context, messageID, boosterID int64, content string) (b chat.Boost, err error) {
	content = CleanText(content)
	err = s.tx(ctx, func(q querier) error {
		booster, err := rowscan.ScanUser(q.queryRow(userByID, boosterID))
		if err != nil {
			return fmt.Errorf("booster %d: %w", boosterID, err)
		}
		at := rowscan.Now()
		if err := mustAffect(q.exec(touchMessage, rowscan.ToMillis(at), messageID)); err != nil {
			return fmt.Errorf("message %d: %w", messageID, err)
		}
		b = chat.Boost{MessageID: messageID, BoosterID: boosterID, Content: content, Booster: booster, CreatedAt: at}
		return q.queryRow(insertBoost, messageID, boosterID, content, rowscan.ToMillis(at)).Scan(&b.ID)
	})
	return b, dbErr("create boost", err)
}

func (s *Store) Boost(ctx context.Context, id int64) (b chat.Boost, err error) {
	err = s.run(ctx, func(q querier) (err error) {
		b, err = rowscan.ScanBoost(q.queryRow(boostByID, id))
		return err
	})
	return b, dbErr(fmt.Sprintf("boost %d", id), err)
}

func (s *Store) DeleteBoost(ctx context.Context, id int64) error {
	return dbErr(fmt.Sprintf("delete boost %d", id), s.run(ctx, func(q querier) error {
		return mustAffect(q.exec(deleteBoost, id, rowscan.ToMillis(rowscan.Now())))
	}))
}
