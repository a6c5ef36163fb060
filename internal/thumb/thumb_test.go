package thumb

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
	"time"
)

func testImage(w, h int, alpha bool) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(255)
			if alpha && x < w/2 {
				a = 100
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), 200, a})
		}
	}
	return img
}

func encoded(t testing.TB, f string, img image.Image) []byte {
	var buf bytes.Buffer
	var err error
	switch f {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// webp1x1 is a 1×1 lossless WebP (no encoder ships with x/image).
var webp1x1 = []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")

// PNGHeader is a valid PNG signature and IHDR claiming w×h, with no pixels.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk := append([]byte("IHDR"), ihdr...)
	_ = binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		name             string
		data             []byte
		w, h, tw, th     int
		thumbContentType string
	}{
		{"png", encoded(t, "png", testImage(1500, 500, false)), 1500, 500, 1200, 400, "image/jpeg"},
		{"png alpha", encoded(t, "png", testImage(100, 1000, true)), 100, 1000, 80, 800, "image/png"},
		{"jpeg", encoded(t, "jpeg", testImage(900, 900, false)), 900, 900, 800, 800, "image/jpeg"},
		{"gif", encoded(t, "gif", testImage(64, 48, false)), 64, 48, 64, 48, "image/jpeg"},
		{"webp", webp1x1, 1, 1, 1, 1, "image/png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			r, err := Make(bytes.NewReader(tc.data), 1200, 800, &out)
			if err != nil {
				t.Fatal(err)
			}
			if r.Width != tc.w || r.Height != tc.h || r.ThumbWidth != tc.tw || r.ThumbHeight != tc.th || r.ContentType != tc.thumbContentType {
				t.Fatalf("result %+v", r)
			}
			cfg, format, err := image.DecodeConfig(&out)
			if err != nil || cfg.Width != tc.tw || cfg.Height != tc.th || "image/"+format != tc.thumbContentType {
				t.Fatalf("thumbnail %+v %s %v", cfg, format, err)
			}
		})
	}
}

// A few hundred bytes that declare a canvas of billions of pixels are
// refused from the header, before any allocation.
func TestBombRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"png 100000×100000", pngHeader(100000, 100000)},
		{"png 60 MP", pngHeader(10000, 6000)},
		{"png side 30000", pngHeader(30000, 10)},
		{"gif 65535×65535", append([]byte("GIF89a\xff\xff\xff\xff\x00\x00\x00"), 0x3b)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Make(bytes.NewReader(tc.data), 1200, 800, io.Discard)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestNotImages(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("hello"), []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"), []byte("BM\x00\x00")} {
		if _, err := Make(bytes.NewReader(data), 1200, 800, io.Discard); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Make(%q) = %v, want ErrUnsupported", data, err)
		}
	}
	// Truncated: a clear error.
	full := encoded(t, "png", testImage(100, 100, false))
	if _, err := Make(bytes.NewReader(full[:len(full)/2]), 1200, 800, io.Discard); err == nil {
		t.Error("a truncated PNG made a thumbnail")
	}
}

func TestFit(t *testing.T) {
	for _, tc := range [][6]int{
		{1200, 800, 1200, 800, 1200, 800},
		{2400, 1600, 1200, 800, 1200, 800},
		{100, 20000, 1200, 800, 4, 800},
		{20000, 1, 1200, 800, 1200, 1},
		{10, 10, 1200, 800, 10, 10},
	} {
		if w, h := Fit(tc[0], tc[1], tc[2], tc[3]); w != tc[4] || h != tc[5] {
			t.Errorf("Fit(%d, %d) = %d×%d, want %d×%d", tc[0], tc[1], w, h, tc[4], tc[5])
		}
	}
}

// FuzzThumbnail feeds corrupt and hostile files to the image path: a clear
// error or a thumbnail, never a panic or a hang. The default test run only
// runs the seeds; go test -fuzz FuzzThumbnail ./internal/thumb explores.
func FuzzThumbnail(f *testing.F) {
	f.Add(encoded(f, "png", testImage(20, 10, true)))
	f.Add(encoded(f, "jpeg", testImage(16, 16, false)))
	f.Add(encoded(f, "gif", testImage(8, 8, false)))
	f.Add(webp1x1)
	f.Add(pngHeader(100000, 100000))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		r, err := Make(bytes.NewReader(data), 1200, 800, io.Discard)
		if err == nil && (r.ThumbWidth <= 0 || r.ThumbHeight <= 0 || r.ThumbWidth > 1200 || r.ThumbHeight > 800) {
			t.Fatalf("thumbnail %+v", r)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("took %s", d)
		}
	})
}

// A 16-bit PNG decodes at 8 bytes a pixel: 7000×7000 (under MaxPixels)
// would allocate 400 MB per worker, so it is refused by its header; the
// same size at 8 bits still goes on to decoding.
func TestDeepPNGBombRefused(t *testing.T) {
	deep := pngHeader(7000, 7000)
	deep[8+8+8] = 16 // IHDR bit depth
	chunk := deep[12 : 12+4+13]
	binary.BigEndian.PutUint32(deep[12+4+13:], crc32.ChecksumIEEE(chunk))
	if _, err := Make(bytes.NewReader(deep), 1200, 800, io.Discard); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("16-bit 7000×7000: err = %v, want ErrTooLarge", err)
	}
	if _, err := Make(bytes.NewReader(pngHeader(7000, 7000)), 1200, 800, io.Discard); err == nil || errors.Is(err, ErrTooLarge) {
		t.Fatalf("8-bit 7000×7000: err = %v, want a decoding error", err)
	}
}
