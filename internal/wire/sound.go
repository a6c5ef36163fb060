package wire

import "github.com/campfire-go/campfire/internal/sounds"

// Sound is the sound a "/play NAME" message plays.
type Sound struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// NewSound is the sound body plays, nil when it is not "/play NAME" with a
// known name. It is derived from the body each time, never stored.
func NewSound(body string) *Sound {
	s, ok := sounds.Parse(body)
	if !ok {
		return nil
	}
	return &Sound{Name: s.Name, URL: s.URL()}
}

// Sounds is GET /api/v1/sounds.
type Sounds struct {
	Sounds []Sound `json:"sounds"`
}

// NewSounds converts a list of sounds.
func NewSounds(all []sounds.Sound) Sounds {
	out := Sounds{Sounds: make([]Sound, len(all))}
	for i, s := range all {
		out.Sounds[i] = Sound{Name: s.Name, URL: s.URL()}
	}
	return out
}
