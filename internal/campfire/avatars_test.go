package campfire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"testing"

	"github.com/campfire-go/campfire/internal/chat"
)

func encoded(t testing.TB, img image.Image, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, img)
	case "jpeg":
		err = jpeg.Encode(&b, img, nil)
	case "gif":
		err = gif.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSquarePicture(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 30, 90))
	for y := range 90 {
		for x := range 30 {
			c := color.NRGBA{0, 200, 0, 255} // the middle third
			if y < 30 || y >= 60 {
				c = color.NRGBA{200, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	for _, f := range []string{"png", "jpeg", "gif"} {
		var out bytes.Buffer
		ct, err := squarePicture(bytes.NewReader(encoded(t, img, f)), AvatarSize, &out)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, format, err := image.Decode(&out)
		if err != nil || "image/"+format != ct {
			t.Fatalf("%s: %v, %s served as %s", f, err, format, ct)
		}
		if b := got.Bounds(); b.Dx() != AvatarSize || b.Dy() != AvatarSize {
			t.Fatalf("%s: %v", f, b)
		}
		if r, g, _, _ := got.At(5, 5).RGBA(); g>>8 < 150 || r>>8 > 60 {
			t.Fatalf("%s: corner is %d,%d: not the centre", f, r>>8, g>>8)
		}
	}
	// Transparency is kept (PNG); an opaque picture becomes a JPEG.
	clear := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	if ct, err := squarePicture(bytes.NewReader(encoded(t, clear, "png")), 16, io.Discard); err != nil || ct != "image/png" {
		t.Fatalf("transparent: %s %v", ct, err)
	}
}

// bombPNG is a 1×1 PNG whose header claims w×h.
func bombPNG(t testing.TB, w, h uint32) []byte {
	p := encoded(t, image.NewGray(image.Rect(0, 0, 1, 1)), "png")
	binary.BigEndian.PutUint32(p[16:], w)
	binary.BigEndian.PutUint32(p[20:], h)
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	return p
}

// deepPNG declares a 16-bit RGBA image: under the pixel limit, but 8 bytes
// a pixel once decoded.
func deepPNG(t testing.TB, w, h uint32) []byte {
	p := bombPNG(t, w, h)
	p[24], p[25] = 16, 6 // IHDR bit depth, colour type RGBA
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	return p
}

func TestDecodePictureRefusals(t *testing.T) {
	good := encoded(t, image.NewRGBA(image.Rect(0, 0, 40, 40)), "png")
	for _, c := range []struct {
		name string
		data []byte
		code string
	}{
		{"empty", nil, "unsupported_image"},
		{"text", []byte("hello"), "unsupported_image"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "unsupported_image"},
		{"bomb", bombPNG(t, 200_000, 200_000), "image_too_large"},
		{"wide", bombPNG(t, 30_000, 1), "image_too_large"},
		{"pixels", bombPNG(t, 8_000, 8_000), "image_too_large"},
		{"deep", deepPNG(t, 7_000, 7_000), "image_too_large"}, // 49 MP, but 8 bytes a pixel decoded
		{"zero", bombPNG(t, 0, 0), "invalid_image"},
		{"truncated", good[:len(good)-20], "invalid_image"},
		{"header only", good[:30], "invalid_image"},
		{"riff not webp", []byte("RIFF\x00\x00\x00\x00WEBPVP8 garbage"), "invalid_image"},
	} {
		_, err := decodePicture(bytes.NewReader(c.data), maxPicturePixels)
		var e *chat.Error
		if !errors.As(err, &e) || e.Code != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

// FuzzDecodePicture: hostile and corrupt files get a clear error, never a
// panic or a hang; what decodes is within the limits.
func FuzzDecodePicture(f *testing.F) {
	f.Add(encoded(f, image.NewRGBA(image.Rect(0, 0, 3, 2)), "png"))
	f.Add(encoded(f, image.NewRGBA(image.Rect(0, 0, 3, 2)), "jpeg"))
	f.Add(encoded(f, image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.Black, color.White}), "gif"))
	f.Add(bombPNG(f, 100_000, 100_000))
	f.Add([]byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := decodePicture(bytes.NewReader(data), previewImagePixels)
		if err != nil {
			if _, ok := chat.AsError(err); !ok {
				t.Fatalf("not a client error: %v", err)
			}
			return
		}
		b := img.Bounds()
		if b.Dx() <= 0 || b.Dy() <= 0 || b.Dx() > maxPictureSide || b.Dy() > maxPictureSide {
			t.Fatalf("decoded %v", b)
		}
	})
}
