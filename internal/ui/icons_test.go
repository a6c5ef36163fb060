package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The app icons (static/app-icon-*.png) are icon.svg drawn at the sizes a
// web manifest needs, made here so no outside tool is needed:
//
//	CAMPFIRE_WRITE_ICONS=1 go test -run TestAppIcons ./internal/ui
//
// Without the variable the test checks the committed files are the sizes
// the manifest says.
func TestAppIcons(t *testing.T) {
	icons := []struct {
		name     string
		size     int
		maskable bool
	}{
		{"app-icon-192.png", 192, false},
		{"app-icon-512.png", 512, false},
		{"app-icon-maskable-512.png", 512, true},
	}
	for _, ic := range icons {
		path := filepath.Join("static", ic.name)
		if os.Getenv("CAMPFIRE_WRITE_ICONS") == "1" {
			var buf bytes.Buffer
			if err := png.Encode(&buf, drawIcon(ic.size, ic.maskable)); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != ic.size || cfg.Height != ic.size {
			t.Fatalf("%s: %dx%d (%v), want %d", ic.name, cfg.Width, cfg.Height, err, ic.size)
		}
	}
}

type pt struct{ x, y float64 }

// cubic appends the points of a Bézier curve from p (excluded).
func cubic(out []pt, p, c1, c2, e pt) []pt {
	for i := 1; i <= 16; i++ {
		t := float64(i) / 16
		u := 1 - t
		out = append(out, pt{
			u*u*u*p.x + 3*u*u*t*c1.x + 3*u*t*t*c2.x + t*t*t*e.x,
			u*u*u*p.y + 3*u*u*t*c1.y + 3*u*t*t*c2.y + t*t*t*e.y,
		})
	}
	return out
}

// halfCircle appends the lower half circle around c of radius r, from its
// right end to its left (SVG's "a r r 0 0 1 -2r 0").
func halfCircle(out []pt, c pt, r float64) []pt {
	for i := 1; i <= 24; i++ {
		a := math.Pi * float64(i) / 24
		out = append(out, pt{c.x + r*math.Cos(a), c.y + r*math.Sin(a)})
	}
	return out
}

// The two flames of icon.svg, in its 64-unit box.
func flames() (outer, inner []pt) {
	outer = []pt{{32, 10}}
	outer = cubic(outer, pt{32, 10}, pt{35, 19}, pt{45, 24}, pt{45, 37})
	outer = halfCircle(outer, pt{32, 37}, 13)
	outer = cubic(outer, pt{19, 37}, pt{19, 30}, pt{23, 26}, pt{25, 22})
	outer = cubic(outer, pt{25, 22}, pt{26, 27}, pt{28, 29}, pt{30, 30})
	outer = cubic(outer, pt{30, 30}, pt{29, 23}, pt{30, 16}, pt{32, 10})
	inner = []pt{{32, 30}}
	inner = cubic(inner, pt{32, 30}, pt{34, 35}, pt{39, 37}, pt{39, 43})
	inner = halfCircle(inner, pt{32, 43}, 7)
	inner = cubic(inner, pt{25, 43}, pt{25, 39}, pt{28, 37}, pt{29, 34})
	inner = cubic(inner, pt{29, 34}, pt{30, 36}, pt{31, 37}, pt{32, 37})
	inner = cubic(inner, pt{32, 37}, pt{32, 34}, pt{32, 32}, pt{32, 30})
	return outer, inner
}

func inside(poly []pt, p pt) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a.y > p.y) != (b.y > p.y) && p.x < (b.x-a.x)*(p.y-a.y)/(b.y-a.y)+a.x {
			in = !in
		}
	}
	return in
}

func nearSegment(p, a, b pt, w float64) bool {
	dx, dy := b.x-a.x, b.y-a.y
	t := max(0, min(1, ((p.x-a.x)*dx+(p.y-a.y)*dy)/(dx*dx+dy*dy)))
	x, y := a.x+t*dx-p.x, a.y+t*dy-p.y
	return x*x+y*y <= w*w/4
}

// drawIcon draws icon.svg at size px. A maskable icon fills the square
// with the background and keeps the drawing inside the central 80% safe
// zone; the plain one has icon.svg's rounded corners.
func drawIcon(size int, maskable bool) image.Image {
	bg := color.NRGBA{0x2b, 0x21, 0x18, 0xff}
	colors := []color.NRGBA{{0xa1, 0x62, 0x07, 0xff}, {0xf5, 0x9e, 0x0b, 0xff}, {0xfd, 0xe6, 0x8a, 0xff}}
	outer, inner := flames()
	scale, offset := float64(size)/64, 0.0
	if maskable {
		scale = float64(size) * 0.7 / 64
		offset = float64(size) * 0.15
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 3 // samples per pixel side
	for y := range size {
		for x := range size {
			var r, g, b, a float64
			for sy := range ss {
				for sx := range ss {
					px := float64(x) + (float64(sx)+0.5)/ss
					py := float64(y) + (float64(sy)+0.5)/ss
					var c color.NRGBA
					if maskable || roundedRect(px/float64(size)*64, py/float64(size)*64) {
						c = bg
					}
					p := pt{(px - offset) / scale, (py - offset) / scale}
					switch {
					case inside(inner, p):
						c = colors[2]
					case inside(outer, p):
						c = colors[1]
					case nearSegment(p, pt{16, 54}, pt{48, 48}, 4) || nearSegment(p, pt{48, 54}, pt{16, 48}, 4):
						c = colors[0]
					}
					af := float64(c.A) / 255
					r, g, b, a = r+float64(c.R)*af, g+float64(c.G)*af, b+float64(c.B)*af, a+af
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(a / (ss * ss) * 255)})
		}
	}
	return img
}

// roundedRect is icon.svg's background: 64 units square, corners of 14.
func roundedRect(x, y float64) bool {
	const r = 14
	cx, cy := min(max(x, r), 64-r), min(max(y, r), 64-r)
	return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r
}
