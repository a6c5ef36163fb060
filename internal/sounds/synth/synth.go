// Package synth makes the /play sounds from arithmetic alone: oscillators,
// a seeded noise source, envelopes and one-pole filters, written out as
// 22.05 kHz 16-bit mono WAV. Nothing is sampled or copied; the same code
// makes the same bytes on every run (the noise is a fixed-seed xorshift,
// products are rounded explicitly so no platform fuses them differently),
// which a test in package sounds checks against the committed files.
package synth

import (
	"encoding/binary"
	"math"
)

// Rate is the sample rate of every sound.
const Rate = 22050

// Sound is one generated sound.
type Sound struct {
	Name string
	WAV  []byte
}

// All makes every sound, in the order the picker lists them.
func All() []Sound {
	makers := []struct {
		name string
		make func() []float64
	}{
		{"tada", tada},
		{"trombone", trombone},
		{"rimshot", rimshot},
		{"drumroll", drumroll},
		{"bell", bell},
		{"ding", ding},
		{"crickets", crickets},
		{"pop", pop},
		{"whoosh", whoosh},
		{"buzzer", buzzer},
	}
	out := make([]Sound, len(makers))
	for i, m := range makers {
		out[i] = Sound{Name: m.name, WAV: encode(m.make())}
	}
	return out
}

// ---- building blocks

func samples(seconds float64) []float64 { return make([]float64, int(seconds*Rate)) }

func at(t float64) int { return int(t * Rate) }

// mul is a product rounded to float64 on its own, so that a compiler may
// not fuse it into a multiply-add (which rounds once, differently).
func mul(a, b float64) float64 { return float64(a * b) }

// noise is a xorshift32 generator: the same sequence on every run.
type noise uint32

func (n *noise) next() float64 {
	x := uint32(*n)
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	*n = noise(x)
	return float64(int32(x)) / float64(math.MaxInt32)
}

// tone adds a note at start: a sum of harmonics (amps[k] for harmonic k+1)
// of a frequency that freq(t) gives at each instant, shaped by env(t).
func tone(buf []float64, start, dur float64, freq func(t float64) float64, amps []float64, env func(t float64) float64) {
	i0, n := at(start), at(dur)
	phase := 0.0
	for i := 0; i < n && i0+i < len(buf); i++ {
		t := float64(i) / Rate
		phase += mul(2*math.Pi, freq(t)) / Rate
		v := 0.0
		for k, a := range amps {
			v += mul(a, math.Sin(mul(float64(k+1), phase)))
		}
		buf[i0+i] += mul(v, env(t))
	}
}

func constant(f float64) func(float64) float64 { return func(float64) float64 { return f } }

// adsr is a linear attack, then an exponential decay at rate per second,
// and a linear release over the last rel seconds of dur.
func adsr(attack, rate, dur, rel float64) func(float64) float64 {
	return func(t float64) float64 {
		e := math.Exp(-mul(rate, t))
		if t < attack {
			e = t / attack
		}
		if t > dur-rel {
			e = mul(e, math.Max(0, (dur-t)/rel))
		}
		return e
	}
}

// burst adds filtered noise at start: lowpass by lp (0..1, 1 is open),
// then highpass by hp (0 is open), shaped by env.
func burst(buf []float64, seed noise, start, dur, lp, hp float64, env func(t float64) float64) {
	i0, n := at(start), at(dur)
	low, prev, high := 0.0, 0.0, 0.0
	for i := 0; i < n && i0+i < len(buf); i++ {
		t := float64(i) / Rate
		x := seed.next()
		low += mul(lp, x-low)
		high = mul(hp, high+low-prev)
		prev = low
		v := low
		if hp > 0 {
			v = high
		}
		buf[i0+i] += mul(v, env(t))
	}
}

// encode normalises to a peak of 0.8, fades the last 5 ms and writes a
// PCM WAV file.
func encode(buf []float64) []byte {
	peak := 0.0
	for _, v := range buf {
		peak = math.Max(peak, math.Abs(v))
	}
	gain := 0.0
	if peak > 0 {
		gain = 0.8 / peak
	}
	fade := at(0.005)
	data := make([]byte, 2*len(buf))
	for i, v := range buf {
		v = mul(v, gain)
		if left := len(buf) - i; left < fade {
			v = mul(v, float64(left)/float64(fade))
		}
		s := int16(math.Round(mul(math.Max(-1, math.Min(1, v)), 32767)))
		binary.LittleEndian.PutUint16(data[2*i:], uint16(s))
	}
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+len(data)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)     // fmt chunk size
	binary.LittleEndian.PutUint16(h[20:], 1)      // PCM
	binary.LittleEndian.PutUint16(h[22:], 1)      // mono
	binary.LittleEndian.PutUint32(h[24:], Rate)   // sample rate
	binary.LittleEndian.PutUint32(h[28:], Rate*2) // byte rate
	binary.LittleEndian.PutUint16(h[32:], 2)      // block align
	binary.LittleEndian.PutUint16(h[34:], 16)     // bits per sample
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(len(data)))
	return append(h, data...)
}

// brass is a bright harmonic series (1/k), for tada and the trombone.
var brass = []float64{1, 0.6, 0.45, 0.3, 0.22, 0.15, 0.1, 0.06}

// ---- the sounds

// tada: a short pickup chord, then a held major chord with vibrato.
func tada() []float64 {
	buf := samples(1.0)
	chord := []float64{523.25, 659.25, 783.99}
	for _, f := range chord {
		tone(buf, 0, 0.12, constant(f), brass, adsr(0.01, 4, 0.12, 0.03))
	}
	for _, f := range append(chord, 1046.5) {
		vib := func(f float64) func(float64) float64 {
			return func(t float64) float64 { return f * (1 + 0.006*math.Sin(2*math.Pi*5.5*t)*math.Min(1, t*3)) }
		}(f)
		tone(buf, 0.16, 0.84, vib, brass, adsr(0.02, 1.2, 0.84, 0.2))
	}
	return buf
}

// trombone: wah, wah, wah, waaah: three falling notes, then a fourth that
// sags and wobbles.
func trombone() []float64 {
	buf := samples(1.4)
	notes := []float64{233.08, 220.0, 207.65}
	for i, f := range notes {
		tone(buf, float64(i)*0.28, 0.26, constant(f), brass, adsr(0.04, 1.5, 0.26, 0.06))
	}
	last := func(t float64) float64 {
		return 196*(1-0.06*t) + 5*math.Sin(2*math.Pi*6*t)*math.Min(1, t*2)
	}
	tone(buf, 0.84, 0.56, last, brass, adsr(0.04, 1.0, 0.56, 0.15))
	return buf
}

// drum adds a tom: a sine falling in pitch, quickly damped.
func drum(buf []float64, start, f0, dur float64) {
	tone(buf, start, dur, func(t float64) float64 { return f0 * (1 + math.Exp(-t*30)) }, []float64{1, 0.2}, adsr(0.002, 18, dur, 0.01))
}

// snare adds a snare hit: bright noise and a short body tone.
func snare(buf []float64, seed noise, start, level float64) {
	burst(buf, seed, start, 0.09, 0.7, 0, func(t float64) float64 { return level * math.Exp(-t*45) })
	tone(buf, start, 0.05, constant(190), []float64{level * 0.5}, adsr(0.001, 60, 0.05, 0.005))
}

// cymbal adds a crash: highpassed noise with a long decay.
func cymbal(buf []float64, seed noise, start, dur, level float64) {
	burst(buf, seed, start, dur, 0.9, 0.6, func(t float64) float64 { return level * math.Exp(-t*7) * math.Max(0, 1-t/dur) })
}

// rimshot: ba-dum-tss.
func rimshot() []float64 {
	buf := samples(0.8)
	drum(buf, 0, 170, 0.15)
	drum(buf, 0.17, 120, 0.18)
	drum(buf, 0.36, 90, 0.2)
	cymbal(buf, 7, 0.36, 0.44, 0.9)
	return buf
}

// drumroll: snare hits closing in and getting louder, then a crash.
func drumroll() []float64 {
	buf := samples(1.0)
	seed := noise(12345)
	for t, gap := 0.0, 0.07; t < 0.66; t, gap = t+gap, math.Max(0.035, gap*0.94) {
		seed = noise(uint32(seed)*2654435761 + 1)
		snare(buf, seed, t, 0.3+t)
	}
	drum(buf, 0.68, 80, 0.3)
	cymbal(buf, 99, 0.68, 0.32, 1.2)
	return buf
}

// bell: inharmonic partials, the higher ones dying sooner.
func bell() []float64 {
	buf := samples(1.0)
	partials := []struct{ ratio, amp, rate float64 }{
		{0.5, 0.5, 2.5}, {1, 1, 3}, {1.19, 0.5, 4}, {1.56, 0.35, 5}, {2.0, 0.3, 6}, {2.74, 0.25, 8}, {3.0, 0.15, 9}, {4.07, 0.1, 12},
	}
	for _, p := range partials {
		tone(buf, 0, 1.0, constant(880*p.ratio), []float64{p.amp}, adsr(0.002, p.rate, 1.0, 0.1))
	}
	return buf
}

// ding: one clear high note.
func ding() []float64 {
	buf := samples(0.6)
	tone(buf, 0, 0.6, constant(1318.5), []float64{1, 0.12, 0.05}, adsr(0.003, 6, 0.6, 0.1))
	return buf
}

// crickets: chirps of four pulses of a high tone.
func crickets() []float64 {
	buf := samples(0.9)
	for _, start := range []float64{0.0, 0.3, 0.6} {
		for p := range 4 {
			s := start + float64(p)*0.035
			tone(buf, s, 0.025, constant(4400), []float64{1, 0.1}, func(t float64) float64 { return math.Sin(math.Pi * t / 0.025) })
		}
	}
	return buf
}

// pop: a very short tone falling fast in pitch.
func pop() []float64 {
	buf := samples(0.15)
	tone(buf, 0, 0.15, func(t float64) float64 { return 300 + 900*math.Exp(-t*60) }, []float64{1, 0.3}, adsr(0.002, 35, 0.15, 0.02))
	return buf
}

// whoosh: noise whose lowpass opens and closes, under a swell.
func whoosh() []float64 {
	buf := samples(0.5)
	seed := noise(2024)
	low := 0.0
	for i := range buf {
		t := float64(i) / Rate
		shape := math.Sin(math.Pi * t / 0.5)
		low += mul(0.02+0.25*shape, seed.next()-low)
		buf[i] = mul(low, shape*shape)
	}
	return buf
}

// buzzer: two detuned low square-ish waves (odd harmonics).
func buzzer() []float64 {
	buf := samples(0.5)
	square := []float64{1, 0, 0.33, 0, 0.2, 0, 0.14, 0, 0.11}
	for _, f := range []float64{110, 113} {
		tone(buf, 0, 0.5, constant(f), square, adsr(0.01, 0.5, 0.5, 0.05))
	}
	return buf
}
