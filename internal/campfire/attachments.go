package campfire

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/campfire-go/campfire/internal/blob"
	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/store"
	"github.com/campfire-go/campfire/internal/thumb"
	"github.com/campfire-go/campfire/internal/wire"
)

// FileOptions configure attachments. Zero values take the defaults.
type FileOptions struct {
	// MaxUpload caps one file's bytes (default 100 MiB).
	MaxUpload int64
	// Workers make thumbnails (default 2); Queue bounds the images
	// waiting for one (default 64). An image that finds the queue full
	// stays pending and is picked up by the next sweep (every SweepEvery,
	// default 1 minute), so a burst of uploads never grows memory.
	Workers, Queue int
	SweepEvery     time.Duration
	// ThumbWidth×ThumbHeight bounds a thumbnail (default 1200×800).
	ThumbWidth, ThumbHeight int
}

func (o *FileOptions) defaults() {
	if o.MaxUpload <= 0 {
		o.MaxUpload = 100 << 20
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Queue <= 0 {
		o.Queue = 64
	}
	if o.SweepEvery <= 0 {
		o.SweepEvery = time.Minute
	}
	if o.ThumbWidth <= 0 || o.ThumbHeight <= 0 {
		o.ThumbWidth, o.ThumbHeight = 1200, 800
	}
}

// files is the attachments' blob store and thumbnail pool.
type files struct {
	blobs blob.Store
	opts  FileOptions
	jobs  chan chat.Attachment
	mu    sync.Mutex
	// queued are the messages in jobs or being worked on, so a sweep does
	// not queue one twice. Bounded by Queue + Workers.
	queued map[int64]struct{}
	// missed is set when an image found the queue full; the worker that
	// empties the queue then kicks a sweep, so it waits for a free slot
	// rather than for the next minute.
	missed atomic.Bool
	kick   chan struct{}
	// uploading counts each person's uploads in progress (guarded by mu;
	// an entry goes at zero).
	uploading map[int64]int
}

// maxUploadsPerUser bounds one person's uploads in progress on an
// instance. Each holds a connection, a goroutine and a temporary file for
// up to 10 minutes; the posting limit alone lets a dribbling client start
// hundreds in that time. It is above the posting burst (30), so a browser
// sending a drop of files at once over HTTP/2 meets that limit first.
const maxUploadsPerUser = 32

// BeginUpload claims one of u's upload slots on this instance before the
// body is read (429 too_many_uploads when all are taken); call done when
// the upload has ended.
func (c *Core) BeginUpload(u chat.User) (done func(), err error) {
	f := c.files
	if f == nil {
		return nil, errNoFiles
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.uploading[u.ID] >= maxUploadsPerUser {
		return nil, &chat.Error{Kind: chat.KindRateLimited, Code: "too_many_uploads", Wait: 5 * time.Second,
			Message: fmt.Sprintf("at most %d uploads at once; wait for one to finish", maxUploadsPerUser)}
	}
	f.uploading[u.ID]++
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.uploading[u.ID]--; f.uploading[u.ID] <= 0 {
				delete(f.uploading, u.ID)
			}
		})
	}, nil
}

// SetFiles gives the core its blob store; without one, uploads answer 503.
// Call it before Run.
func (c *Core) SetFiles(b blob.Store, o FileOptions) {
	o.defaults()
	c.files = &files{blobs: b, opts: o, jobs: make(chan chat.Attachment, o.Queue),
		queued: map[int64]struct{}{}, kick: make(chan struct{}, 1), uploading: map[int64]int{}}
}

// Blobs is the blob store (nil before SetFiles).
func (c *Core) Blobs() blob.Store {
	if c.files == nil {
		return nil
	}
	return c.files.blobs
}

// MaxUpload is the largest file accepted.
func (c *Core) MaxUpload() int64 {
	if c.files == nil {
		return 0
	}
	return c.files.opts.MaxUpload
}

var errNoFiles = chat.Errorf(chat.KindUnavailable, "files_unavailable", "file uploads are not available on this server")

// ErrTooLarge is the error for a file over the limit.
func (c *Core) ErrTooLarge() error {
	return chat.Errorf(chat.KindTooLarge, "too_large", "the file is larger than the %d MB limit", c.MaxUpload()>>20)
}

// Upload is one file being posted as a message.
type Upload struct {
	Filename string
	// File streams the bytes; it is read once, to its end or the limit.
	File            io.Reader
	Caption         string
	ClientMessageID string
}

// CheckUpload validates what comes with a file before its bytes are read,
// so a bad caption does not cost a 100 MB upload.
func (c *Core) CheckUpload(up Upload) error {
	if c.files == nil {
		return errNoFiles
	}
	if _, err := CleanFilename(up.Filename); err != nil {
		return err
	}
	if up.Caption != "" {
		if err := chat.CheckBody(up.Caption, c.opts.Limits); err != nil {
			return err
		}
	}
	return chat.CheckClientMessageID(up.ClientMessageID, c.opts.Limits)
}

// PostAttachment stores a file and posts it as a message: authorize,
// validate, stream the bytes to the blob store (sniffing their type), then
// commit the message with its attachment and publish, as PostMessage does.
// A retry with the same clientMessageID returns the original with
// created=false and stores nothing. Images are queued for a thumbnail;
// message.updated follows when it is made.
func (c *Core) PostAttachment(ctx context.Context, u chat.User, roomID int64, up Upload) (chat.Message, bool, error) {
	if err := c.CheckUpload(up); err != nil {
		return chat.Message{}, false, err
	}
	name, _ := CleanFilename(up.Filename)
	room, err := c.RoomForUser(ctx, u, roomID)
	if err != nil {
		return chat.Message{}, false, err
	}
	if up.ClientMessageID != "" {
		m, err := c.store.MessageByClientID(ctx, roomID, u.ID, up.ClientMessageID)
		if err == nil {
			c.publishRetry(ctx, m)
			return m, false, nil
		}
		if !errors.Is(err, chat.ErrNotFound) {
			return chat.Message{}, false, err
		}
	}
	if err := c.limit(ctx, c.postLimit, keyUser(u.ID), 1+postCost(up.Caption), "posting", failOpen); err != nil {
		return chat.Message{}, false, err
	}
	f := c.files
	// The type comes from the bytes, never from the client.
	br := bufio.NewReaderSize(up.File, 512)
	head, _ := br.Peek(512)
	if len(head) == 0 {
		return chat.Message{}, false, chat.Invalid("file_empty", "the file is empty")
	}
	ctype := sniff(head)
	key := NewBlobKey()
	lr := &limitReader{r: br, left: f.opts.MaxUpload}
	n, err := f.blobs.Put(ctx, key, lr, ctype)
	if lr.over {
		return chat.Message{}, false, c.ErrTooLarge()
	}
	if err != nil {
		return chat.Message{}, false, fmt.Errorf("storing upload: %w", err)
	}
	// From here on the blob exists: anything but a new message deletes it.
	keep := false
	defer func() {
		if !keep {
			c.deleteBlobs(context.WithoutCancel(ctx), key)
		}
	}()
	var html string
	var mentions []int64
	if up.Caption != "" {
		if html, mentions, err = c.renderBody(ctx, roomID, up.Caption); err != nil {
			return chat.Message{}, false, err
		}
	}
	state := chat.ThumbnailNone
	if thumb.Decodable(ctype) {
		state = chat.ThumbnailPending
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	m, created, unread, err := c.store.CreateMessage(wctx, store.NewMessage{
		RoomID: roomID, CreatorID: u.ID, ClientMessageID: up.ClientMessageID,
		Body: up.Caption, BodyHTML: html, Mentions: mentions,
		SkipUnread: c.online(ctx, roomID), CreatedAt: c.now().UTC(),
		Attachment: &chat.Attachment{Key: key, Filename: name, ContentType: ctype, ByteSize: n, State: state},
	})
	if errors.Is(err, chat.ErrForbidden) {
		return chat.Message{}, false, chat.Forbidden("your account is deactivated")
	}
	if err != nil {
		return chat.Message{}, false, notFoundAs(err, "room")
	}
	if !created {
		c.publishRetry(ctx, m)
		return m, false, nil
	}
	keep = true
	c.publish(ctx, broker.Event{
		Type: wire.TypeMessageCreated, RoomID: roomID, Seq: m.Seq,
		Frame: wire.MessageFrame(wire.TypeMessageCreated, wire.NewMessage(m)),
	})
	c.publishToUsers(ctx, wire.TypeRoomUnread, unread, wire.RoomIDFrame(wire.TypeRoomUnread, roomID))
	c.notifyBots(ctx, room.Room, m)
	c.pushLater(room.Room, m)
	if state == chat.ThumbnailPending {
		f.enqueue(*m.Attachment)
	}
	return m, true, nil
}

// sniff names the bytes' type as http.DetectContentType does, without
// parameters for the image types thumbnails are made of.
func sniff(head []byte) string {
	t := http.DetectContentType(head)
	if strings.HasPrefix(t, "image/") {
		t, _, _ = strings.Cut(t, ";")
	}
	return t
}

// limitReader fails once more than left bytes were read, and says so.
type limitReader struct {
	r    io.Reader
	left int64
	over bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		l.over = true
		return 0, errors.New("upload over the size limit")
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		l.over = true
		return 0, errors.New("upload over the size limit")
	}
	return n, err
}

// NewBlobKey is a fresh, unguessable attachment key; the first byte
// spreads files over 256 directories on local disk. The importer uses it too.
func NewBlobKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return "attachments/" + h[:2] + "/" + h[2:]
}

// CleanFilename makes a client's file name safe to store and show: the
// last path element, no control or direction characters, at most 255
// bytes (cut on a character boundary, keeping the extension).
func CleanFilename(name string) (string, error) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') ||
			r == '\u200E' || r == '\u200F' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		return "", chat.Invalid("invalid_filename", "the file needs a name")
	}
	if len(name) > 255 {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
			ext = name[i:]
		}
		base := name[:255-len(ext)]
		for !utf8.ValidString(base) {
			base = base[:len(base)-1]
		}
		name = base + ext
	}
	return name, nil
}

// Attachment returns a message's attachment for a caller who may read the
// message, opened for reading: the file, or its thumbnail. A non-member,
// a message without a file, or a thumbnail not made yet is not found.
// The caller closes the object.
func (c *Core) Attachment(ctx context.Context, u chat.User, messageID int64, thumbnail bool) (chat.Attachment, blob.Object, error) {
	m, err := c.Message(ctx, u, messageID)
	if err != nil {
		return chat.Attachment{}, nil, err
	}
	if m.Attachment == nil || c.files == nil {
		return chat.Attachment{}, nil, chat.NotFound("attachment")
	}
	a := *m.Attachment
	key := a.Key
	if thumbnail {
		if a.ThumbnailKey == "" {
			return chat.Attachment{}, nil, chat.NotFound("thumbnail")
		}
		key = a.ThumbnailKey
	}
	o, err := c.files.blobs.Open(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return chat.Attachment{}, nil, chat.NotFound("attachment")
	}
	if err != nil {
		return chat.Attachment{}, nil, err
	}
	return a, o, nil
}

// deleteAttachment deletes a deleted message's files; a failure is logged
// (the message is gone either way) and leaves an orphan file.
func (c *Core) deleteAttachment(ctx context.Context, a *chat.Attachment) {
	if a == nil {
		return
	}
	keys := []string{a.Key}
	if a.ThumbnailKey != "" {
		keys = append(keys, a.ThumbnailKey)
	}
	c.deleteBlobs(ctx, keys...)
}

func (c *Core) deleteBlobs(ctx context.Context, keys ...string) {
	if c.files == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	for _, k := range keys {
		if err := c.files.blobs.Delete(ctx, k); err != nil {
			c.log.Warn("deleting a file", "key", k, "err", err)
		}
	}
}

// roomFiles lists a room's files before it is deleted (deleteBlobs after
// the commit). A listing that fails is logged: the room goes anyway.
func (c *Core) roomFiles(ctx context.Context, roomID int64) []string {
	if c.files == nil {
		return nil
	}
	keys, err := c.store.RoomAttachmentKeys(ctx, roomID)
	if err != nil {
		c.log.Warn("listing a room's files", "room", roomID, "err", err)
	}
	return keys
}

// enqueue hands an image to the thumbnail workers without blocking; when
// the queue is full it stays pending for the next sweep.
func (f *files) enqueue(a chat.Attachment) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.queued[a.MessageID]; ok {
		return true
	}
	select {
	case f.jobs <- a:
		f.queued[a.MessageID] = struct{}{}
		return true
	default:
		f.missed.Store(true)
		return false
	}
}

func (f *files) done(id int64) {
	f.mu.Lock()
	delete(f.queued, id)
	f.mu.Unlock()
}

// RunFiles owns the thumbnail workers and the sweep that queues images
// left pending (a full queue, a restart) until ctx is done. Without a
// blob store it only waits.
func (c *Core) RunFiles(ctx context.Context) error {
	f := c.files
	if f == nil {
		<-ctx.Done()
		return nil
	}
	var wg sync.WaitGroup
	for range f.opts.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case a := <-f.jobs:
					c.makeThumbnail(ctx, a)
					f.done(a.MessageID)
					if len(f.jobs) == 0 && f.missed.Load() {
						select {
						case f.kick <- struct{}{}:
						default:
						}
					}
				}
			}
		})
	}
	defer wg.Wait()
	t := time.NewTicker(f.opts.SweepEvery)
	defer t.Stop()
	c.sweepThumbnails(ctx, c.now().Add(-10*time.Second))
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			c.sweepThumbnails(ctx, c.now().Add(-10*time.Second))
		case <-f.kick:
			f.missed.Store(false)
			c.sweepThumbnails(ctx, c.now())
		}
	}
}

// sweepThumbnails queues pending images created before before that their
// upload could not queue. The periodic sweep takes only those older than a
// few seconds (a fresh one is being queued by its upload); a kicked one
// takes all. Several instances may sweep the same image, and an image may
// be queued again just after it was made; making it twice is harmless.
func (c *Core) sweepThumbnails(ctx context.Context, before time.Time) {
	f := c.files
	// More than can be queued or in work at once, so the list always
	// reaches past what is already queued.
	pending, err := c.store.PendingThumbnails(ctx, before, f.opts.Queue+f.opts.Workers+1)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Warn("listing pending thumbnails", "err", err)
		}
		return
	}
	for _, a := range pending {
		if !f.enqueue(a) {
			return
		}
	}
}

// makeThumbnail reads an image, writes its thumbnail and records the
// outcome, then tells the room (message.updated). An image that cannot be
// read is recorded as none and shown as a file; a failure of the store or
// the blob store leaves it pending for a later sweep.
func (c *Core) makeThumbnail(ctx context.Context, a chat.Attachment) {
	f := c.files
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	res := store.ThumbnailResult{State: chat.ThumbnailNone}
	o, err := f.blobs.Open(ctx, a.Key)
	switch {
	case errors.Is(err, blob.ErrNotFound):
		c.log.Warn("thumbnail: file missing", "message", a.MessageID, "key", a.Key)
	case err != nil:
		c.log.Warn("thumbnail: opening file", "message", a.MessageID, "err", err)
		return
	default:
		var buf bytes.Buffer
		r, err := thumb.Make(o, f.opts.ThumbWidth, f.opts.ThumbHeight, &buf)
		_ = o.Close()
		if err != nil {
			c.log.Info("thumbnail: not made", "message", a.MessageID, "err", err)
			break
		}
		key := a.Key + ".thumb"
		if _, err := f.blobs.Put(ctx, key, &buf, r.ContentType); err != nil {
			c.log.Warn("thumbnail: storing", "message", a.MessageID, "err", err)
			return
		}
		res = store.ThumbnailResult{State: chat.ThumbnailReady, Width: r.Width, Height: r.Height, ThumbnailKey: key}
	}
	res.UpdatedAt = c.now().UTC()
	m, err := c.store.FinishThumbnail(ctx, a.MessageID, res)
	if errors.Is(err, chat.ErrNotFound) {
		// Deleted meanwhile: its files went with it, but for this one.
		if res.ThumbnailKey != "" {
			c.deleteBlobs(ctx, res.ThumbnailKey)
		}
		return
	}
	if err != nil {
		c.log.Warn("thumbnail: recording", "message", a.MessageID, "err", err)
		return
	}
	if res.State == chat.ThumbnailReady {
		c.publish(ctx, broker.Event{Type: wire.TypeMessageUpdated, RoomID: m.RoomID,
			Frame: wire.MessageFrame(wire.TypeMessageUpdated, wire.NewMessage(m))})
	}
}
