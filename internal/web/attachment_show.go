package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/campfire-go/campfire/internal/chat"
)

// downloadTimeout bounds serving one file.
const downloadTimeout = 10 * time.Minute

// attachmentShow serves a message's file to a member of its room (others
// get 404), with range requests, an ETag and private caching. Only raster
// images are shown inline; anything a browser could run (HTML, SVG, XML,
// PDF, scripts) is a download, and the sandbox CSP stops it even if opened.
func (a *API) attachmentShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	return a.serveAttachment(w, r, u, false)
}

// thumbnailShow serves an image attachment's thumbnail (404 until made).
func (a *API) thumbnailShow(w http.ResponseWriter, r *http.Request, u chat.User) error {
	return a.serveAttachment(w, r, u, true)
}

func (a *API) serveAttachment(w http.ResponseWriter, r *http.Request, u chat.User, thumbnail bool) error {
	id, err := pathID(r, "id", "message")
	if err != nil {
		return err
	}
	// Reading from the blob store may outlast the request's usual budget.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), downloadTimeout)
	defer cancel()
	att, obj, err := a.core.Attachment(ctx, u, id, thumbnail)
	if err != nil {
		return err
	}
	defer obj.Close()
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(downloadTimeout))

	ctype, name := att.ContentType, att.Filename
	if thumbnail {
		ctype = obj.ContentType()
		name = "thumbnail-" + name
	}
	disposition := "attachment"
	if inlineSafe(ctype) {
		disposition = "inline"
	}
	key := att.Key
	if thumbnail {
		key = att.ThumbnailKey
	}
	sum := sha256.Sum256([]byte(key))
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", ContentDisposition(disposition, name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	// The bytes at this URL never change; private, as only members may see them.
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	http.ServeContent(w, r, "", obj.ModTime(), obj)
	return nil
}

// inlineSafe lists the types a browser may show on our origin: raster
// images, which cannot run anything.
func inlineSafe(ctype string) bool {
	switch ctype {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// ContentDisposition builds the header with an ASCII fallback name and the
// exact one as RFC 6266/5987 filename*, so no quote, control character or
// non-ASCII byte reaches the header raw.
func ContentDisposition(disposition, name string) string {
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	var ext strings.Builder
	for _, b := range []byte(name) {
		if b < 0x80 && (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0) {
			ext.WriteByte(b)
		} else {
			fmt.Fprintf(&ext, "%%%02X", b)
		}
	}
	return disposition + `; filename="` + fallback + `"; filename*=UTF-8''` + ext.String()
}
