package campfire

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/campfire-go/campfire/internal/blob"
	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/unfurl"
	"github.com/campfire-go/campfire/internal/wire"
)

// PreviewConfig turns link previews on. The zero value (no Fetcher) is off.
type PreviewConfig struct {
	// Fetcher fetches pages and images through the outgoing-request guard.
	Fetcher *unfurl.Fetcher
	// Workers fetch at once (default 2); Queue bounds messages waiting
	// (default 256). Past it a message gets no preview, and a log line.
	Workers, Queue int
}

// previewer is the Core's link preview pool: a bounded queue of message ids
// and a fixed set of workers, owned by Core.Run.
type previewer struct {
	cfg  PreviewConfig
	jobs chan int64
	// busy holds the messages being previewed, so a post and a quick
	// edit of the same message are not fetched side by side; a job for a
	// busy message is queued again by its worker when done.
	mu    sync.Mutex
	busy  map[int64]bool
	again map[int64]bool
}

// media is the Core's part for stored pictures: link previews and their
// images, avatars and the logo.
type media struct {
	blobs    blob.Store
	previews *previewer    // nil: link previews are off
	slots    chan struct{} // pictures being decoded (decodeSlot)
}

// SetBlobs gives the Core its blob store, for preview images, avatars and
// the logo; call it before Run. Without one, uploads are refused and
// previews have no images.
func (c *Core) SetBlobs(b blob.Store) {
	c.media.blobs = b
	c.media.slots = make(chan struct{}, pictureDecodes)
}

// SetPreviews turns link previews on; call it before Run.
func (c *Core) SetPreviews(cfg PreviewConfig) {
	if cfg.Fetcher == nil {
		c.media.previews = nil
		return
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 256
	}
	c.media.previews = &previewer{cfg: cfg, jobs: make(chan int64, cfg.Queue),
		busy: map[int64]bool{}, again: map[int64]bool{}}
}

// queuePreview asks for m's preview to be (re)made: after a post with a
// link, and after any edit of a message with a link or a preview (the link
// may have changed or gone) or one being previewed (its fetch must not
// store a card for a link the edit removed). It never blocks.
func (c *Core) queuePreview(m chat.Message) {
	p := c.media.previews
	if p == nil {
		return
	}
	if m.Preview == nil && !strings.Contains(m.Body, "http") {
		p.mu.Lock()
		busy := p.busy[m.ID]
		p.mu.Unlock()
		if !busy {
			return
		}
	}
	select {
	case p.jobs <- m.ID:
	default:
		c.log.Warn("link preview queue full; dropping", "message", m.ID)
	}
}

// runPreviews runs the workers until ctx is done; in-flight fetches are
// cancelled with it.
func (c *Core) runPreviews(ctx context.Context) {
	p := c.media.previews
	if p == nil {
		return
	}
	var wg sync.WaitGroup
	for range p.cfg.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case id := <-p.jobs:
					c.previewJob(ctx, id)
				}
			}
		})
	}
	wg.Wait()
}

// previewJob runs makePreview for id unless another worker has it, in
// which case that worker runs it once more when done.
func (c *Core) previewJob(ctx context.Context, id int64) {
	p := c.media.previews
	p.mu.Lock()
	if p.busy[id] {
		p.again[id] = true
		p.mu.Unlock()
		return
	}
	p.busy[id] = true
	p.mu.Unlock()
	for {
		c.makePreview(ctx, id)
		p.mu.Lock()
		if !p.again[id] || ctx.Err() != nil {
			delete(p.busy, id)
			delete(p.again, id)
			p.mu.Unlock()
			return
		}
		delete(p.again, id)
		p.mu.Unlock()
	}
}

// makePreview brings message id's preview in line with its body: made for
// its first link, replaced when the link changed, removed when it is gone.
func (c *Core) makePreview(ctx context.Context, id int64) {
	m, err := c.store.Message(ctx, id)
	if err != nil {
		if !errors.Is(err, chat.ErrNotFound) {
			c.log.Warn("link preview: reading message", "message", id, "err", err)
		}
		return
	}
	link := unfurl.FirstURL(m.Body)
	old := m.Preview
	if old != nil && old.URL == link {
		return // an edit that kept the link
	}
	var next *chat.LinkPreview
	if link != "" {
		next = c.fetchPreview(ctx, m.ID, link)
	}
	if next != nil {
		// The fetch took seconds: an edit meanwhile (perhaps on another
		// instance) may have changed or removed the link. Its own job
		// makes its card; this one is stale.
		if cur, err := c.store.Message(ctx, id); err != nil || unfurl.FirstURL(cur.Body) != link {
			c.deleteBlob(ctx, next.ImageKey)
			return
		}
	}
	switch {
	case next != nil:
		m, err = c.store.SetLinkPreview(ctx, *next, c.now().UTC())
		if err != nil {
			// Most likely deleted meanwhile: the image has no owner.
			c.deleteBlob(ctx, next.ImageKey)
			if !errors.Is(err, chat.ErrNotFound) {
				c.log.Warn("link preview: storing", "message", id, "err", err)
			}
			return
		}
	case old != nil:
		m, err = c.store.DeleteLinkPreview(ctx, id, c.now().UTC())
		if err != nil {
			if !errors.Is(err, chat.ErrNotFound) {
				c.log.Warn("link preview: removing", "message", id, "err", err)
			}
			return
		}
	default:
		return
	}
	if old != nil && (next == nil || next.ImageKey != old.ImageKey) {
		c.deleteBlob(ctx, old.ImageKey)
	}
	c.publish(ctx, broker.Event{Type: wire.TypeMessageUpdated, RoomID: m.RoomID,
		Frame: wire.MessageFrame(wire.TypeMessageUpdated, wire.NewMessage(m))})
}

// fetchPreview fetches link and its image; nil when there is nothing to
// show. Failures are expected (sites refuse, time out, are private) and
// logged at debug level only.
func (c *Core) fetchPreview(ctx context.Context, messageID int64, link string) *chat.LinkPreview {
	f := c.media.previews.cfg.Fetcher
	page, err := f.Fetch(ctx, link)
	if err != nil {
		c.log.Debug("link preview: fetching", "message", messageID, "err", err)
		return nil
	}
	if page.Title == "" && page.Description == "" {
		return nil
	}
	lp := &chat.LinkPreview{MessageID: messageID, URL: link, Title: page.Title,
		Description: page.Description, SiteName: page.SiteName}
	if blobs := c.media.blobs; blobs != nil && page.ImageURL != "" {
		lp.ImageKey, lp.ImageType = c.storePreviewImage(ctx, blobs, messageID, page.ImageURL)
	}
	return lp
}

// previewImageSize bounds a stored preview image: a card shows it at most
// a few hundred pixels wide. previewImagePixels bounds what is decoded:
// the page chose the image, so it gets less room than an upload.
const (
	previewImageSize   = 600
	previewImagePixels = 16_000_000
)

// storePreviewImage fetches the image through the guard, re-encodes it
// (bounded dimensions before decoding, the same as avatars) so what
// readers get is our own PNG or JPEG, and stores it; "" when any step fails.
func (c *Core) storePreviewImage(ctx context.Context, blobs blob.Store, messageID int64, imageURL string) (key, contentType string) {
	img, err := c.media.previews.cfg.Fetcher.FetchImage(ctx, imageURL)
	if err != nil {
		c.log.Debug("link preview: fetching image", "message", messageID, "err", err)
		return "", ""
	}
	release, err := c.decodeSlot(ctx)
	if err != nil {
		return "", ""
	}
	var out bytes.Buffer
	contentType, err = fitImage(bytes.NewReader(img.Data), previewImageSize, previewImageSize, previewImagePixels, &out)
	release()
	if err != nil {
		c.log.Debug("link preview: image", "message", messageID, "err", err)
		return "", ""
	}
	sum := sha256.Sum256(out.Bytes())
	key = fmt.Sprintf("previews/%d-%s", messageID, hex.EncodeToString(sum[:8]))
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := blobs.Put(wctx, key, &out, contentType); err != nil {
		c.log.Warn("link preview: storing image", "message", messageID, "err", err)
		return "", ""
	}
	return key, contentType
}

// deleteBlob removes a stored file, logging a failure (an orphan file is
// wasted space, not an error anyone can act on).
func (c *Core) deleteBlob(ctx context.Context, key string) {
	blobs := c.media.blobs
	if key == "" || blobs == nil {
		return
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := blobs.Delete(wctx, key); err != nil {
		c.log.Warn("deleting a stored image", "key", key, "err", err)
	}
}

// PreviewImage opens a message's preview image for a member of its room
// and returns its version (wire.PreviewImageURL's v); chat.ErrNotFound for
// a non-member, a message without one, or a file gone.
func (c *Core) PreviewImage(ctx context.Context, u chat.User, messageID int64) (blob.Object, string, error) {
	m, err := c.Message(ctx, u, messageID)
	if err != nil {
		return nil, "", err
	}
	if m.Preview == nil {
		return nil, "", chat.NotFound("preview image")
	}
	obj, err := c.openBlob(ctx, m.Preview.ImageKey, "preview image")
	if err != nil {
		return nil, "", err
	}
	return obj, wire.PictureVersion(m.Preview.ImageKey), nil
}
