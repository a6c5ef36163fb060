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
)

// avatarColors are backgrounds on which white text keeps a WCAG AA
// contrast; a user keeps their colour across renames.
var avatarColors = []string{
	"#b3261e", "#9c4221", "#8a5a00", "#3f6212", "#166534", "#0f766e",
	"#155e75", "#1d4ed8", "#4338ca", "#6d28d9", "#86198f", "#9d174d",
	"#475569", "#7c2d12",
}

// avatarShow draws a user's initials on a colour derived from their id.
// Names are user input: the initials are XML-escaped, and the SVG is
// served with a CSP that forbids scripts should someone open it directly.
func (a *API) avatarShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return err
	}
	x, err := a.core.User(r.Context(), u, id)
	if err != nil {
		return err
	}
	svg := avatarSVG(x.ID, initials(x.Name))
	sum := sha256.Sum256(svg)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`

	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	// Private: only signed-in people may fetch it. Revalidated after an
	// hour so a rename shows up, cheaply thanks to the ETag.
	h.Set("Cache-Control", "private, max-age=3600")
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
