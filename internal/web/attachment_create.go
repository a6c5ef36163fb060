package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/wire"
)

// uploadTimeout bounds one upload, from the first byte to the commit: 100
// MB at a slow 200 KB/s. The request's usual 20 s budget is for the API's
// quick calls.
const uploadTimeout = 10 * time.Minute

// uploadOverhead is what a multipart body may carry besides the file: the
// caption, the client id, part headers and boundaries.
const uploadOverhead = 1 << 20

var (
	errNotMultipart = chat.Errorf(chat.KindUnsupported, "unsupported_media_type", "send the file as multipart/form-data")
	errNoFile       = chat.Invalid("file_missing", "the request has no file part")
	errBadMultipart = chat.Errorf(chat.KindBadRequest, "invalid_multipart", "the multipart body is malformed or was cut off")
)

// attachmentCreate posts a file (multipart: file, optional body caption and
// client_message_id, sent before the file) as a message: 201, or 200 with
// the original when the same client_message_id was already posted.
func (a *API) attachmentCreate(w http.ResponseWriter, r *http.Request, u chat.User) error {
	id, err := pathID(r, "id", "room")
	if err != nil {
		return err
	}
	m, created, err := a.postUpload(w, r, u, id, "file")
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	WriteJSON(w, status, wire.NewMessage(m))
	return nil
}

// postUpload reads a multipart upload as a stream (never whole in memory,
// never to a temporary file of the server's own) and posts it. Text parts
// must come before the file part named fileField; parts after it are not
// read.
func (a *API) postUpload(w http.ResponseWriter, r *http.Request, u chat.User, roomID int64, fileField string) (chat.Message, bool, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return chat.Message{}, false, errNotMultipart
	}
	max := a.core.MaxUpload()
	if max <= 0 {
		return chat.Message{}, false, chat.Errorf(chat.KindUnavailable, "files_unavailable", "file uploads are not available on this server")
	}
	// Refused before a byte is read when the declared length says so.
	if r.ContentLength > max+uploadOverhead {
		return chat.Message{}, false, a.core.ErrTooLarge()
	}
	done, err := a.core.BeginUpload(u)
	if err != nil {
		return chat.Message{}, false, err
	}
	defer done()
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(uploadTimeout))
	_ = rc.SetWriteDeadline(time.Now().Add(uploadTimeout + 30*time.Second))
	body := &readTracker{r: http.MaxBytesReader(w, r.Body, max+uploadOverhead)}
	mr := multipart.NewReader(body, params["boundary"])

	// The upload outlives the request's short budget but not its own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), uploadTimeout)
	defer cancel()
	var up campfire.Upload
	for parts := 0; ; parts++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			return chat.Message{}, false, errNoFile
		}
		if err != nil || parts > 16 {
			return chat.Message{}, false, body.failure(errBadMultipart)
		}
		switch p.FormName() {
		case "body":
			if up.Caption, err = readField(p, a.limits.MessageBytes, "body"); err != nil {
				return chat.Message{}, false, body.failure(err)
			}
		case "client_message_id":
			if up.ClientMessageID, err = readField(p, a.limits.ClientIDBytes, "client_message_id"); err != nil {
				return chat.Message{}, false, body.failure(err)
			}
		case fileField:
			// A multipart error (a body cut off mid-part) is the client's
			// too, like the body's own.
			part := &readTracker{r: p}
			up.Filename, up.File = p.FileName(), part
			if up.Filename == "" {
				up.Filename = "file"
			}
			m, created, err := a.core.PostAttachment(ctx, u, roomID, up)
			if err != nil {
				if body.err == nil {
					body.err = part.err
				}
				return chat.Message{}, false, body.failure(err)
			}
			return m, created, nil
		default:
			// Unknown parts are skipped (their bytes count against the limit).
			if _, err := io.Copy(io.Discard, p); err != nil {
				return chat.Message{}, false, body.failure(errBadMultipart)
			}
		}
	}
}

// readField reads a small text part, refusing one over max bytes.
func readField(p *multipart.Part, max int, name string) (string, error) {
	b, err := io.ReadAll(io.LimitReader(p, int64(max)+1))
	if err != nil {
		return "", errBadMultipart
	}
	if len(b) > max {
		return "", chat.Errorf(chat.KindTooLarge, name+"_too_large", "%s is larger than %d bytes", name, max)
	}
	return string(b), nil
}

// readTracker remembers the body's read error, so a failure that came from
// the client (cut off, over the limit) is answered as the client's fault
// rather than as a storage failure.
type readTracker struct {
	r   io.Reader
	err error
}

func (t *readTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

// failure is err, unless the body's own read failed first: then 413 past
// the limit, 400 for a body cut off.
func (t *readTracker) failure(err error) error {
	if _, ok := chat.AsError(err); ok && t.err == nil {
		return err
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(t.err, &mbe):
		return chat.Errorf(chat.KindTooLarge, "too_large", "the upload is larger than %d MB", (mbe.Limit-uploadOverhead)>>20)
	case t.err != nil:
		return errBadMultipart
	}
	return err
}

// isMultipart reports a multipart/form-data request.
func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}
