package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// avatarColors are backgrounds on which white text keeps a WCAG AA
// contrast; a user keeps their colour across renames.
var avatarColors = []string{
	"#b3261e", "#9c4221", "#8a5a00", "#3f6212", "#166534", "#0f766e",
	"#155e75", "#1d4ed8", "#4338ca", "#6d28d9", "#86198f", "#9d174d",
	"#475569", "#7c2d12",
}

// avatarShow serves a user's uploaded picture, or draws their initials on
// a colour derived from their id (a robot for bots). Names are user input:
// the initials are XML-escaped, and the SVG is served with a CSP that
// forbids scripts should someone open it directly. A request naming the
// current version (?v=, as avatar_url does) is cached forever; one without
// revalidates, so a page's plain /avatar URLs show a new picture on reload.
func (a *API) avatarShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := avatarTarget(r, u)
	if err != nil {
		return err
	}
	x, obj, err := a.core.AvatarFile(r.Context(), u, id)
	if err == nil {
		serveImage(w, r, obj, privateCache(versioned(r, wire.AvatarVersion(x))))
		return nil
	}
	if x.ID == 0 {
		return err // no such user
	}
	var svg []byte
	if x.Role == chat.RoleBot {
		svg = botSVG(x.ID)
	} else {
		svg = avatarSVG(x.ID, initials(x.Name))
	}
	sum := sha256.Sum256(svg)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`

	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	// Private: only signed-in people may fetch it.
	h.Set("Cache-Control", privateCache(versioned(r, wire.AvatarVersion(x))))
	h.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Length", strconv.Itoa(len(svg)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(svg)
	}
	return nil
}

// initials are the first letters of the first and last words, upper-cased:
// "Jason Fried" → "JF", "dhh" → "D".
func initials(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || r == '-' || r == '_' || r == '.' })
	if len(words) == 0 {
		return "?"
	}
	first := func(w string) string {
		for _, r := range w {
			return string(unicode.ToUpper(r))
		}
		return ""
	}
	s := first(words[0])
	if len(words) > 1 {
		s += first(words[len(words)-1])
	}
	return s
}

func avatarSVG(id int64, text string) []byte {
	var esc bytes.Buffer
	_ = xml.EscapeText(&esc, []byte(text))
	color := avatarColors[uint64(id)%uint64(len(avatarColors))]
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64" role="img">`+
		`<rect width="64" height="64" rx="32" fill="%s"/>`+
		`<text x="50%%" y="50%%" dy=".35em" text-anchor="middle" fill="#ffffff" `+
		`font-family="-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, sans-serif" font-size="26" font-weight="600">%s</text>`+
		`</svg>`, color, esc.String())
}

// botSVG is a bot's picture: a robot's head on the bot's colour.
func botSVG(id int64) []byte {
	color := avatarColors[uint64(id)%uint64(len(avatarColors))]
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64" role="img">`+
		`<rect width="64" height="64" rx="32" fill="%s"/>`+
		`<g fill="#ffffff"><rect x="30" y="12" width="4" height="8"/><circle cx="32" cy="11" r="3"/>`+
		`<rect x="16" y="20" width="32" height="24" rx="6"/><rect x="11" y="27" width="4" height="10" rx="2"/>`+
		`<rect x="49" y="27" width="4" height="10" rx="2"/></g>`+
		`<g fill="%s"><circle cx="25" cy="30" r="4"/><circle cx="39" cy="30" r="4"/><rect x="24" y="37" width="16" height="3" rx="1.5"/></g>`+
		`</svg>`, color, color)
}
