package sounds

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/campfire-go/campfire/internal/sounds/synth"
)

func TestSoundsParse(t *testing.T) {
	cases := []struct {
		body, want string
	}{
		{"/play tada", "tada"},
		{"/PLAY TaDa", "tada"},
		{"/Play trombone", "trombone"},
		{"  /play   tada  ", "tada"},
		{"\n/play\ttada\n", "tada"},
		{"/play bell", "bell"},
		{"/play", ""},
		{"/play ", ""},
		{"/playtada", ""},
		{"/play nosuch", ""},
		{"/play tada now", ""},
		{"play tada", ""},
		{"please /play tada", ""},
		{"/play tada" + string(make([]byte, 100)), ""},
		{"", ""},
	}
	for _, c := range cases {
		s, ok := Parse(c.body)
		if ok != (c.want != "") || s.Name != c.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", c.body, s.Name, ok, c.want)
		}
	}
}

// TestSoundsCommittedMatchGenerator fails when files/ is not what the
// generator makes (run `go generate ./internal/sounds`), and checks the
// generator is deterministic.
func TestSoundsCommittedMatchGenerator(t *testing.T) {
	a, b := synth.All(), synth.All()
	if len(a) != len(order) {
		t.Fatalf("generator makes %d sounds, the package lists %d", len(a), len(order))
	}
	total := 0
	for i, s := range a {
		if !bytes.Equal(s.WAV, b[i].WAV) {
			t.Errorf("%s: two runs of the generator differ", s.Name)
		}
		got, ok := Lookup(s.Name)
		if !ok {
			t.Errorf("%s: generated but not listed", s.Name)
			continue
		}
		if !bytes.Equal(got.Data, s.WAV) {
			t.Errorf("%s: the committed file differs from the generator's output; run go generate ./internal/sounds", s.Name)
		}
		total += len(s.WAV)
		// A 22.05 kHz 16-bit mono PCM WAV of under 1.5 s.
		w := s.WAV
		if string(w[0:4]) != "RIFF" || string(w[8:16]) != "WAVEfmt " || string(w[36:40]) != "data" {
			t.Errorf("%s: not a WAV header", s.Name)
		}
		if binary.LittleEndian.Uint16(w[22:]) != 1 || binary.LittleEndian.Uint32(w[24:]) != 22050 || binary.LittleEndian.Uint16(w[34:]) != 16 {
			t.Errorf("%s: not 22.05 kHz 16-bit mono", s.Name)
		}
		n := binary.LittleEndian.Uint32(w[40:])
		if int(n) != len(w)-44 {
			t.Errorf("%s: data size %d, file has %d", s.Name, n, len(w)-44)
		}
		if secs := float64(n) / 2 / 22050; secs >= 1.5 || secs < 0.1 {
			t.Errorf("%s: %.2f s long", s.Name, secs)
		}
		silent := true
		for j := 44; j < len(w); j += 2 {
			if v := int16(binary.LittleEndian.Uint16(w[j:])); v > 3000 || v < -3000 {
				silent = false
				break
			}
		}
		if silent {
			t.Errorf("%s: (nearly) silent", s.Name)
		}
	}
	if total >= 400_000 {
		t.Errorf("sounds total %d bytes; keep them under 400 KB", total)
	}
}

func TestSoundsFilesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range All() {
		if seen[s.File] {
			t.Errorf("two sounds share %s", s.File)
		}
		seen[s.File] = true
		if got, ok := ByFile(s.File); !ok || got.Name != s.Name {
			t.Errorf("ByFile(%q) = %q, %v", s.File, got.Name, ok)
		}
	}
}
