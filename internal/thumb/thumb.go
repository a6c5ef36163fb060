// Package thumb makes thumbnails of uploaded images with pure-Go decoders
// (JPEG, PNG, GIF, WebP). Images are hostile input: their declared size is
// checked before any pixel is decoded, so a small file that claims a huge
// canvas (a decompression bomb) is refused without allocating it.
package thumb

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Limits on what is decoded. MaxPixels admits a 50-megapixel photo;
// MaxDecodeBytes bounds the decoded image itself, so one at 8 bytes a pixel
// (16-bit PNG: 400 MB at 50 megapixels, 549 MB allocated in all for a
// 394 KB file) is refused at half the pixels.
const (
	MaxPixels      = 50_000_000
	MaxSide        = 20_000
	MaxDecodeBytes = 4 * MaxPixels
)

var (
	// ErrTooLarge refuses an image whose declared size is over the limits.
	ErrTooLarge = errors.New("thumb: image dimensions over the limit")
	// ErrUnsupported is anything but JPEG, PNG, GIF or WebP.
	ErrUnsupported = errors.New("thumb: not a supported image")
)

// Decodable reports whether contentType (as http.DetectContentType names
// it) is one Make reads.
func Decodable(contentType string) bool {
	switch contentType {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
		return true
	}
	return false
}

// Result describes the original and the thumbnail written.
type Result struct {
	Width, Height           int // the original's
	ThumbWidth, ThumbHeight int
	ContentType             string // of the thumbnail: image/jpeg, or image/png when the original has transparency
}

type format struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

var formats = map[string]format{
	"jpeg": {jpeg.DecodeConfig, jpeg.Decode},
	"png":  {png.DecodeConfig, png.Decode},
	"gif":  {gif.DecodeConfig, gif.Decode}, // the first frame only
	"webp": {webp.DecodeConfig, webp.Decode},
}

// Decoders returns the config and image decoders for the format b's magic
// bytes name, and false for anything but JPEG, PNG, GIF and WebP. Avatars
// and logos decode through it too, so one list says what the server reads.
func Decoders(b []byte) (config func(io.Reader) (image.Config, error), decode func(io.Reader) (image.Image, error), ok bool) {
	f, ok := formats[sniff(b)]
	return f.config, f.decode, ok
}

// sniff names the format from the magic bytes (image.Decode's registry is
// global and may hold formats we never want to decode).
func sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpeg"
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "png"
	case len(b) >= 6 && (string(b[:6]) == "GIF87a" || string(b[:6]) == "GIF89a"):
		return "gif"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

// Make reads an image from r, checks its declared size, decodes it and
// writes a thumbnail that fits in maxW×maxH (never enlarged) to w.
func Make(r io.ReadSeeker, maxW, maxH int, w io.Writer) (Result, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(12)
	f, ok := formats[sniff(head)]
	if !ok {
		return Result{}, ErrUnsupported
	}
	cfg, err := f.config(br)
	if err != nil {
		return Result{}, fmt.Errorf("thumb: reading the image header: %w", err)
	}
	if err := CheckSize(cfg.Width, cfg.Height); err != nil {
		return Result{}, err
	}
	if DecodeBytes(cfg) > MaxDecodeBytes {
		return Result{}, fmt.Errorf("%w: %d×%d at %d bytes a pixel", ErrTooLarge, cfg.Width, cfg.Height, bytesPerPixel(cfg.ColorModel))
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return Result{}, fmt.Errorf("thumb: rewinding: %w", err)
	}
	img, err := f.decode(bufio.NewReader(r))
	if err != nil {
		return Result{}, fmt.Errorf("thumb: decoding: %w", err)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 || b.Dx() > MaxSide || b.Dy() > MaxSide {
		return Result{}, ErrTooLarge
	}
	res := Result{Width: b.Dx(), Height: b.Dy()}
	res.ThumbWidth, res.ThumbHeight = Fit(b.Dx(), b.Dy(), maxW, maxH)
	opaque := isOpaque(img)
	var dst draw.Image
	if opaque {
		dst = image.NewRGBA(image.Rect(0, 0, res.ThumbWidth, res.ThumbHeight))
	} else {
		dst = image.NewNRGBA(image.Rect(0, 0, res.ThumbWidth, res.ThumbHeight))
	}
	xdraw.BiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	if opaque {
		res.ContentType = "image/jpeg"
		err = jpeg.Encode(w, dst, &jpeg.Options{Quality: 85})
	} else {
		res.ContentType = "image/png"
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, dst)
	}
	if err != nil {
		return Result{}, fmt.Errorf("thumb: encoding: %w", err)
	}
	return res, nil
}

// DecodeBytes is what decoding an image of cfg allocates; over
// MaxDecodeBytes it must be refused before decoding (a small 16-bit PNG
// under the pixel limit decodes to hundreds of megabytes).
func DecodeBytes(cfg image.Config) int64 {
	return int64(cfg.Width) * int64(cfg.Height) * bytesPerPixel(cfg.ColorModel)
}

// bytesPerPixel is what the decoder allocates per pixel for a color model.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	case color.Gray16Model:
		return 2
	case color.GrayModel:
		return 1
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// CheckSize refuses dimensions that are empty or over the limits.
func CheckSize(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("thumb: image has no pixels (%d×%d)", w, h)
	}
	if w > MaxSide || h > MaxSide || int64(w)*int64(h) > MaxPixels {
		return fmt.Errorf("%w: %d×%d", ErrTooLarge, w, h)
	}
	return nil
}

// Fit scales w×h down to fit in maxW×maxH, keeping the aspect ratio and at
// least one pixel a side; an image that fits already keeps its size.
func Fit(w, h, maxW, maxH int) (int, int) {
	if w <= maxW && h <= maxH {
		return w, h
	}
	// Compare w/maxW with h/maxH without floating point.
	if int64(w)*int64(maxH) >= int64(h)*int64(maxW) {
		return maxW, max(1, int(int64(h)*int64(maxW)/int64(w)))
	}
	return max(1, int(int64(w)*int64(maxH)/int64(h))), maxH
}

func isOpaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}
