// Package sounds is the set of short sounds a message "/play NAME" plays.
// They are synthesised for this project by ./synth (run ./gen through `go
// generate`), committed under files/ and embedded in the binary.
//
// A sound message is not stored differently: any message whose body is
// "/play NAME" (NAME a known sound, any case, surrounding space ignored)
// reads as one, so the API, the pages and bots agree without a schema
// change. "/play" with an unknown name, no name or more words is plain
// text, as in Campfire.
package sounds

//go:generate go run ./gen files

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"strings"
)

//go:embed files/*.wav
var files embed.FS

// ContentType is the sounds' media type.
const ContentType = "audio/wav"

// Sound is one playable sound.
type Sound struct {
	Name string
	// File is the file name it is served under: name and content hash, so
	// it can be cached forever.
	File string
	Data []byte
}

// URL is where the sound is served.
func (s Sound) URL() string { return "/api/v1/sounds/" + s.File }

// order is the picker's order; every name has a file in files/.
var order = []string{"tada", "trombone", "rimshot", "drumroll", "bell", "ding", "crickets", "pop", "whoosh", "buzzer"}

var (
	list   []Sound
	byName = map[string]Sound{}
	byFile = map[string]Sound{}
)

func init() {
	for _, name := range order {
		b, err := files.ReadFile("files/" + name + ".wav")
		if err != nil {
			panic("sounds: " + name + ".wav is not embedded; run go generate ./internal/sounds")
		}
		sum := sha256.Sum256(b)
		s := Sound{Name: name, File: name + "-" + hex.EncodeToString(sum[:6]) + ".wav", Data: b}
		list = append(list, s)
		byName[name] = s
		byFile[s.File] = s
	}
}

// All lists the sounds in the picker's order. The caller must not modify it.
func All() []Sound { return list }

// Names lists the sound names in the picker's order.
func Names() []string { return append([]string(nil), order...) }

// Lookup finds a sound by name (any case).
func Lookup(name string) (Sound, bool) {
	s, ok := byName[strings.ToLower(name)]
	return s, ok
}

// ByFile finds a sound by the file name in its URL.
func ByFile(file string) (Sound, bool) {
	s, ok := byFile[file]
	return s, ok
}

// Parse says which sound a message body plays: "/play NAME" exactly (the
// command in any case, NAME a known sound in any case, any whitespace
// around and between). Anything else, including "/play" alone, an unknown
// name or "/playtada", plays nothing.
func Parse(body string) (Sound, bool) {
	if len(body) > 64 { // far longer than any "/play NAME"; don't split it
		body = strings.TrimSpace(body)
		if len(body) > 64 {
			return Sound{}, false
		}
	}
	f := strings.Fields(body)
	if len(f) != 2 || !strings.EqualFold(f[0], "/play") {
		return Sound{}, false
	}
	return Lookup(f[1])
}
