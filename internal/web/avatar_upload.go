package web

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/campfire-go/campfire/internal/blob"
	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
)

// pictureOverhead is what a multipart envelope may add around the file.
const pictureOverhead = 64 << 10

var errNoPicture = chat.Errorf(chat.KindBadRequest, "bad_request",
	"send the picture as multipart/form-data in a field named \"file\", or as the body with an image/* Content-Type")

// withPicture hands fn the uploaded picture: the "file" (or "avatar"/"logo")
// part of a multipart form, or a raw body with an image content type. The
// body is capped; a body over the cap is a 413 before anything is decoded.
func withPicture[T any](w http.ResponseWriter, r *http.Request, fn func(io.Reader) (T, error)) (T, error) {
	var zero T
	limit := int64(campfire.MaxPictureBytes + pictureOverhead)
	if r.ContentLength > limit {
		return zero, pictureTooLarge()
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case strings.HasPrefix(ct, "image/"):
		return pictureErr(fn(body))
	case ct == "multipart/form-data" && params["boundary"] != "":
		mr := multipart.NewReader(body, params["boundary"])
		for parts := 0; parts < 8; parts++ {
			p, err := mr.NextPart()
			if err != nil {
				if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
					return zero, pictureTooLarge()
				}
				return zero, errNoPicture
			}
			switch p.FormName() {
			case "file", "avatar", "logo":
				return pictureErr(fn(p))
			}
			if _, err := io.Copy(io.Discard, p); err != nil {
				return zero, errNoPicture
			}
		}
	}
	return zero, errNoPicture
}

func pictureTooLarge() error {
	return chat.Errorf(chat.KindTooLarge, "too_large", "the picture is larger than %d MB", campfire.MaxPictureBytes>>20)
}

// pictureErr turns a body cut off over the cap into 413.
func pictureErr[T any](v T, err error) (T, error) {
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return v, pictureTooLarge()
	}
	return v, err
}

// serveImage sends a stored picture with the headers every user-supplied
// image gets: its sniffed type, nosniff, and a CSP that stops it running
// anything should it be opened directly.
func serveImage(w http.ResponseWriter, r *http.Request, obj blob.Object, cacheControl string) {
	defer obj.Close()
	h := w.Header()
	ct := obj.ContentType()
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
	default:
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Length", strconv.FormatInt(obj.Size(), 10))
	h.Set("Cache-Control", cacheControl)
	http.ServeContent(w, r, "", obj.ModTime().Truncate(time.Second), obj)
}

// privateCache is the Cache-Control of a picture only signed-in people
// see: cached forever at a URL that names its version (the content never
// changes there), else revalidated.
func privateCache(immutable bool) string {
	if immutable {
		return "private, max-age=31536000, immutable"
	}
	return "private, max-age=0, must-revalidate"
}

// versioned reports whether the request names the current version (?v=),
// so the answer may be cached forever.
func versioned(r *http.Request, version string) bool {
	return version != "" && r.URL.Query().Get("v") == version
}
