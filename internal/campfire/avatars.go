package campfire

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"time"

	xdraw "golang.org/x/image/draw"

	"github.com/campfire-go/campfire/internal/blob"
	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/thumb"
	"github.com/campfire-go/campfire/internal/wire"
)

// Limits on uploaded pictures. The declared dimensions are checked before a
// pixel is decoded (a decoded image costs up to 8 bytes a pixel), so a small
// file claiming a huge canvas is refused without allocating it: the same
// rules as attachments' thumbnails.
const (
	// MaxPictureBytes bounds an uploaded avatar or logo file.
	MaxPictureBytes  = 10 << 20
	maxPicturePixels = 50_000_000
	maxPictureSide   = 20_000
	// AvatarSize is the side of a stored avatar or logo, in pixels.
	AvatarSize = 512
	// pictureDecodes is how many pictures are decoded at once.
	pictureDecodes = 2
)

var (
	errNotPicture = chat.Errorf(chat.KindUnsupported, "unsupported_image", "the file is not a JPEG, PNG, GIF or WebP image")
	errPictureBig = chat.Errorf(chat.KindInvalid, "image_too_large", "the image is larger than %d×%d pixels or %d megapixels", maxPictureSide, maxPictureSide, maxPicturePixels/1_000_000)
	errPictureBad = chat.Errorf(chat.KindInvalid, "invalid_image", "the image could not be read")
)

// decodePicture reads a JPEG, PNG, GIF or WebP image from r, refusing it by
// its declared dimensions before decoding. Errors are client errors. A
// decoder that panics on a hostile file (they are not meant to) is an
// invalid image, not a crashed worker.
func decodePicture(r io.ReadSeeker, maxPixels int64) (img image.Image, err error) {
	defer func() {
		if recover() != nil {
			img, err = nil, errPictureBad
		}
	}()
	br := bufio.NewReader(r)
	head, _ := br.Peek(12)
	config, decode, ok := thumb.Decoders(head) // the same decoders as attachments
	if !ok {
		return nil, errNotPicture
	}
	cfg, err := config(br)
	if err != nil {
		return nil, errPictureBad
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, errPictureBad
	}
	if cfg.Width > maxPictureSide || cfg.Height > maxPictureSide || int64(cfg.Width)*int64(cfg.Height) > maxPixels ||
		thumb.DecodeBytes(cfg) > thumb.MaxDecodeBytes {
		return nil, errPictureBig
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, errPictureBad
	}
	img, err = decode(bufio.NewReader(r))
	if err != nil {
		return nil, errPictureBad
	}
	if b := img.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 || b.Dx() > maxPictureSide || b.Dy() > maxPictureSide {
		return nil, errPictureBad
	}
	return img, nil
}

// encodePicture writes dst as JPEG when it is opaque, else PNG, and
// returns the content type.
func encodePicture(w io.Writer, dst draw.Image, opaque bool) (string, error) {
	if opaque {
		return "image/jpeg", jpeg.Encode(w, dst, &jpeg.Options{Quality: 85})
	}
	return "image/png", (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, dst)
}

func opaqueImage(img image.Image) bool {
	o, ok := img.(interface{ Opaque() bool })
	return ok && o.Opaque()
}

func newCanvas(w, h int, opaque bool) draw.Image {
	if opaque {
		return image.NewRGBA(image.Rect(0, 0, w, h))
	}
	return image.NewNRGBA(image.Rect(0, 0, w, h))
}

// squarePicture centre-crops img to a square and scales it to size×size.
func squarePicture(r io.ReadSeeker, size int, w io.Writer) (string, error) {
	img, err := decodePicture(r, maxPicturePixels)
	if err != nil {
		return "", err
	}
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	x0, y0 := b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2
	crop := image.Rect(x0, y0, x0+side, y0+side)
	opaque := opaqueImage(img)
	dst := newCanvas(size, size, opaque)
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, crop, draw.Src, nil)
	return encodePicture(w, dst, opaque)
}

// fitImage scales an image down to fit in maxW×maxH (never up) and
// re-encodes it, so what is served is our own encoding of the pixels.
func fitImage(r io.ReadSeeker, maxW, maxH int, maxPixels int64, w io.Writer) (string, error) {
	img, err := decodePicture(r, maxPixels)
	if err != nil {
		return "", err
	}
	b := img.Bounds()
	tw, th := b.Dx(), b.Dy()
	if tw > maxW || th > maxH {
		if int64(tw)*int64(maxH) >= int64(th)*int64(maxW) {
			tw, th = maxW, max(1, int(int64(th)*int64(maxW)/int64(tw)))
		} else {
			tw, th = max(1, int(int64(tw)*int64(maxH)/int64(th))), maxH
		}
	}
	opaque := opaqueImage(img)
	dst := newCanvas(tw, th, opaque)
	xdraw.BiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return encodePicture(w, dst, opaque)
}

// storePicture makes the square picture from src, stores it under
// prefix-<hash>.<ext> and returns the key. The key changes with the
// picture, which makes the URL naming it cacheable forever.
func (c *Core) storePicture(ctx context.Context, prefix string, src io.Reader) (string, error) {
	if c.media.blobs == nil {
		return "", chat.Errorf(chat.KindUnavailable, "storage_unavailable", "file storage is not configured")
	}
	data, err := io.ReadAll(io.LimitReader(src, MaxPictureBytes+1))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return "", chat.Errorf(chat.KindTooLarge, "too_large", "the image is larger than %d MB", MaxPictureBytes>>20)
		}
		return "", chat.Errorf(chat.KindBadRequest, "bad_request", "the upload could not be read")
	}
	if len(data) > MaxPictureBytes {
		return "", chat.Errorf(chat.KindTooLarge, "too_large", "the image is larger than %d MB", MaxPictureBytes>>20)
	}
	release, err := c.decodeSlot(ctx)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	ct, err := squarePicture(bytes.NewReader(data), AvatarSize, &out)
	release()
	if err != nil {
		return "", err
	}
	ext := ".png"
	if ct == "image/jpeg" {
		ext = ".jpg"
	}
	sum := sha256.Sum256(out.Bytes())
	key := prefix + "-" + hex.EncodeToString(sum[:8]) + ext
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := c.media.blobs.Put(wctx, key, &out, ct); err != nil {
		return "", fmt.Errorf("storing picture: %w", err)
	}
	return key, nil
}

// decodeSlot waits for one of the few pictures that may be decoded at once
// (a decode may hold a few hundred MB: 50 megapixels at up to 8 bytes
// each), and returns its release.
func (c *Core) decodeSlot(ctx context.Context) (func(), error) {
	if c.media.slots == nil {
		return func() {}, nil
	}
	select {
	case c.media.slots <- struct{}{}:
		return func() { <-c.media.slots }, nil
	case <-ctx.Done():
		return nil, chat.Errorf(chat.KindUnavailable, "busy", "the server is busy with other pictures; try again shortly")
	}
}

// canChangeAvatar: people their own, admins anyone's (bots included).
func canChangeAvatar(actor chat.User, id int64) bool { return actor.ID == id || actor.IsAdmin() }

// SetAvatar replaces a user's avatar with the picture read from src
// (centre-cropped to a square, 512 px): the user themself or an admin.
func (c *Core) SetAvatar(ctx context.Context, actor chat.User, id int64, src io.Reader) (chat.User, error) {
	if !canChangeAvatar(actor, id) {
		return chat.User{}, chat.Forbidden("only an administrator can change someone else's picture")
	}
	target, err := c.User(ctx, actor, id)
	if err != nil {
		return chat.User{}, err
	}
	if err := c.limitAction(ctx, actor, "changing pictures"); err != nil {
		return chat.User{}, err
	}
	key, err := c.storePicture(ctx, fmt.Sprintf("avatars/%d", id), src)
	if err != nil {
		return chat.User{}, err
	}
	u, err := c.store.SetUserAvatar(ctx, id, key, c.now().UTC())
	if err != nil {
		c.deleteBlob(ctx, key)
		return chat.User{}, notFoundAs(err, "user")
	}
	if target.AvatarKey != key {
		c.deleteBlob(ctx, target.AvatarKey)
	}
	c.publishUser(ctx, u)
	return u, nil
}

// DeleteAvatar goes back to the initials.
func (c *Core) DeleteAvatar(ctx context.Context, actor chat.User, id int64) (chat.User, error) {
	if !canChangeAvatar(actor, id) {
		return chat.User{}, chat.Forbidden("only an administrator can change someone else's picture")
	}
	target, err := c.User(ctx, actor, id)
	if err != nil {
		return chat.User{}, err
	}
	if target.AvatarKey == "" {
		return target, nil
	}
	u, err := c.store.SetUserAvatar(ctx, id, "", c.now().UTC())
	if err != nil {
		return chat.User{}, notFoundAs(err, "user")
	}
	c.deleteBlob(ctx, target.AvatarKey)
	c.publishUser(ctx, u)
	return u, nil
}

// publishUser tells every socket that a user changed how they look
// (user.updated), so their picture is replaced everywhere at once.
func (c *Core) publishUser(ctx context.Context, u chat.User) {
	c.publish(ctx, broker.Event{Type: wire.TypeUserUpdated, AllUsers: true,
		Frame: wire.UserFrame(wire.TypeUserUpdated, wire.NewUser(u, false))})
}

// AvatarFile opens a user's uploaded avatar; chat.ErrNotFound when they
// have none (the caller draws the initials).
func (c *Core) AvatarFile(ctx context.Context, u chat.User, id int64) (chat.User, blob.Object, error) {
	x, err := c.User(ctx, u, id)
	if err != nil {
		return x, nil, err
	}
	obj, err := c.openBlob(ctx, x.AvatarKey, "avatar")
	return x, obj, err
}

func (c *Core) openBlob(ctx context.Context, key, what string) (blob.Object, error) {
	if key == "" || c.media.blobs == nil {
		return nil, chat.NotFound(what)
	}
	obj, err := c.media.blobs.Open(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, chat.NotFound(what)
	}
	return obj, err
}

// SetLogo replaces the account's logo (admin): the favicon and app icon.
func (c *Core) SetLogo(ctx context.Context, admin chat.User, src io.Reader) (chat.Account, error) {
	if !admin.IsAdmin() {
		return chat.Account{}, chat.Forbidden("only an administrator can change the logo")
	}
	old, err := c.store.Account(ctx)
	if err != nil {
		return chat.Account{}, err
	}
	if err := c.limitAction(ctx, admin, "changing pictures"); err != nil {
		return chat.Account{}, err
	}
	key, err := c.storePicture(ctx, "logos/account", src)
	if err != nil {
		return chat.Account{}, err
	}
	a, err := c.store.SetAccountLogo(ctx, key)
	if err != nil {
		c.deleteBlob(ctx, key)
		return chat.Account{}, err
	}
	if old.LogoKey != key {
		c.deleteBlob(ctx, old.LogoKey)
	}
	return a, nil
}

// DeleteLogo goes back to the built-in icon (admin).
func (c *Core) DeleteLogo(ctx context.Context, admin chat.User) (chat.Account, error) {
	if !admin.IsAdmin() {
		return chat.Account{}, chat.Forbidden("only an administrator can change the logo")
	}
	old, err := c.store.Account(ctx)
	if err != nil {
		return chat.Account{}, err
	}
	if old.LogoKey == "" {
		return old, nil
	}
	a, err := c.store.SetAccountLogo(ctx, "")
	if err != nil {
		return chat.Account{}, err
	}
	c.deleteBlob(ctx, old.LogoKey)
	return a, nil
}

// LogoKey is the account logo's blob key, "" for none or before setup.
// Pages read it for their icon links; it is no secret (the sign-in page
// shows it).
func (c *Core) LogoKey(ctx context.Context) string {
	a, err := c.store.Account(ctx)
	if err != nil {
		return ""
	}
	return a.LogoKey
}

// LogoFile opens the account logo and returns its key; chat.ErrNotFound
// when there is none.
func (c *Core) LogoFile(ctx context.Context) (blob.Object, string, error) {
	key := c.LogoKey(ctx)
	obj, err := c.openBlob(ctx, key, "logo")
	return obj, key, err
}

// AccountBrand is what every page's frame shows of the account: its name
// ("Campfire" before setup) and its logo's blob key ("" for none), in one
// read.
func (c *Core) AccountBrand(ctx context.Context) (name, logoKey string, err error) {
	a, err := c.store.Account(ctx)
	if errors.Is(err, chat.ErrNotFound) {
		return "Campfire", "", nil
	}
	return a.Name, a.LogoKey, err
}
