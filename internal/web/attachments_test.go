package web_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/campfire-go/campfire/internal/blob"
	"github.com/campfire-go/campfire/internal/broker"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/web/webtest"
	"github.com/campfire-go/campfire/internal/wire"
)

// upload is one multipart upload: fields first, then the file.
type upload struct {
	field    string // the file part's name: "file" (API) or "attachment" (bots)
	filename string
	data     []byte
	caption  string
	clientID string
}

func (u upload) body(t testing.TB) webtest.Raw {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if u.caption != "" {
		_ = mw.WriteField("body", u.caption)
	}
	if u.clientID != "" {
		_ = mw.WriteField("client_message_id", u.clientID)
	}
	field := u.field
	if field == "" {
		field = "file"
	}
	fw, err := mw.CreateFormFile(field, u.filename)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(u.data)
	_ = mw.Close()
	return webtest.Raw{ContentType: mw.FormDataContentType(), Body: buf.String()}
}

func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func postFile(t testing.TB, s *webtest.Server, token string, roomID int64, u upload, want int) wire.Message {
	t.Helper()
	var m wire.Message
	res := s.Must(t, want, "POST", roomPath(roomID, "attachments"), u.body(t), token)
	if want < 300 {
		res.JSON(t, &m)
	}
	return m
}

func get(t testing.TB, s *webtest.Server, path, token string, header ...string) *webtest.Response {
	t.Helper()
	req := s.NewRequest(t, "GET", path, nil, token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return s.Send(t, req)
}

// waitThumbnail waits for the message.updated that carries message id's
// thumbnail.
func waitThumbnail(t testing.TB, s *webtest.Server, id int64) {
	t.Helper()
	s.Events.Wait(t, 20*time.Second, wire.TypeMessageUpdated, func(e broker.Event) bool {
		return bytes.Contains(e.Frame, []byte(`"thumbnail_url":"/api/v1/messages/`+itoa(id)+`/attachment/thumbnail"`))
	})
}

func TestAttachmentUploadAndServe(t *testing.T) {
	s := newServer(t)
	room := allTalk(t, s)
	data := pngBytes(t, 1500, 500)
	m := postFile(t, s, s.AdminToken, room, upload{filename: "Cat photo.png", data: data, caption: "look", clientID: "up-1"}, http.StatusCreated)
	a := m.Attachment
	if a == nil || a.Filename != "Cat photo.png" || a.ContentType != "image/png" || a.ByteSize != int64(len(data)) ||
		a.URL != path("/api/v1/messages/%d/attachment", m.ID) || m.Body != "look" {
		t.Fatalf("message %+v attachment %+v", m, a)
	}
	// The cable got it too, with the attachment.
	s.Events.Wait(t, 5*time.Second, wire.TypeMessageCreated, func(e broker.Event) bool {
		return bytes.Contains(e.Frame, []byte(`"attachment":{"url":"`+a.URL+`"`))
	})

	// The thumbnail is made once, in the background, and announced live.
	waitThumbnail(t, s, m.ID)
	var got wire.Message
	s.Must(t, http.StatusOK, "GET", path("/api/v1/messages/%d", m.ID), nil, s.AdminToken).JSON(t, &got)
	ga := got.Attachment
	if ga == nil || ga.Width == nil || *ga.Width != 1500 || *ga.Height != 500 || ga.ThumbnailURL == nil {
		t.Fatalf("attachment after the thumbnail: %+v", ga)
	}
	th := get(t, s, *ga.ThumbnailURL, s.AdminToken)
	if th.Status != 200 || th.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail: %d %v", th.Status, th.Header)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(th.Body))
	if err != nil || cfg.Width != 1200 || cfg.Height != 400 {
		t.Fatalf("thumbnail %dx%d, %v", cfg.Width, cfg.Height, err)
	}

	// The file, whole and by range, with its headers.
	full := get(t, s, a.URL, s.AdminToken)
	if full.Status != 200 || !bytes.Equal(full.Body, data) {
		t.Fatalf("file: %d, %d bytes", full.Status, len(full.Body))
	}
	h := full.Header
	if h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(h.Get("Cache-Control"), "private") || h.Get("ETag") == "" ||
		h.Get("Content-Disposition") != `inline; filename="Cat photo.png"; filename*=UTF-8''Cat%20photo.png` ||
		h.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("headers %v", h)
	}
	part := get(t, s, a.URL, s.AdminToken, "Range", "bytes=1-3")
	if part.Status != http.StatusPartialContent || string(part.Body) != "PNG" ||
		part.Header.Get("Content-Range") != path("bytes 1-3/%d", len(data)) {
		t.Fatalf("range: %d %q %v", part.Status, part.Body, part.Header)
	}
	if nm := get(t, s, a.URL, s.AdminToken, "If-None-Match", h.Get("ETag")); nm.Status != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", nm.Status)
	}
	// A member who is not the author sees it too; HEAD works.
	bea, _ := s.Join(t, "Bea")
	if r := get(t, s, a.URL, bea); r.Status != 200 {
		t.Fatalf("member: %d", r.Status)
	}
	if r := s.Do(t, "HEAD", a.URL, nil, bea); r.Status != 200 || r.Header.Get("Content-Length") != itoa(int64(len(data))) {
		t.Fatalf("HEAD: %d %v", r.Status, r.Header)
	}
	// Listed in pages.
	var list struct {
		Messages []wire.Message `json:"messages"`
	}
	s.Must(t, http.StatusOK, "GET", roomPath(room, "messages"), nil, bea).JSON(t, &list)
	if n := len(list.Messages); n == 0 || list.Messages[n-1].Attachment == nil {
		t.Fatalf("page: %+v", list.Messages)
	}
}

func TestAttachmentNonMember(t *testing.T) {
	s := newServer(t)
	bea, _ := s.Join(t, "Bea")
	closed := createRoom(t, s, s.AdminToken, "Secret", "closed")
	m := postFile(t, s, s.AdminToken, closed.ID, upload{filename: "plan.png", data: pngBytes(t, 20, 20)}, http.StatusCreated)
	waitThumbnail(t, s, m.ID)
	for _, p := range []string{m.Attachment.URL, m.Attachment.URL + "/thumbnail"} {
		if r := get(t, s, p, bea); r.Status != http.StatusNotFound || r.ErrorCode() != "not_found" {
			t.Fatalf("non-member GET %s: %d %s", p, r.Status, r.Body)
		}
		if r := get(t, s, p, ""); r.Status != http.StatusUnauthorized {
			t.Fatalf("anonymous GET %s: %d", p, r.Status)
		}
	}
	// Nor may a non-member post there.
	postFile(t, s, bea, closed.ID, upload{filename: "x.txt", data: []byte("hi")}, http.StatusNotFound)
	// A message without a file has no attachment URL.
	plain := post(t, s, s.AdminToken, closed.ID, "text")
	if r := get(t, s, path("/api/v1/messages/%d/attachment", plain.ID), s.AdminToken); r.Status != http.StatusNotFound {
		t.Fatalf("no attachment: %d", r.Status)
	}
}

// Anything a browser could run is a download, typed by its bytes.
func TestAttachmentActiveContent(t *testing.T) {
	s := newServer(t)
	room := allTalk(t, s)
	for _, tc := range []struct{ name, data, ctype string }{
		{"innocent.png", "<!DOCTYPE html><html><script>alert(1)</script></html>", "text/html; charset=utf-8"},
		{"pic.svg", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`, "text/xml; charset=utf-8"},
		{"doc.pdf", "%PDF-1.4 hello", "application/pdf"},
		{"a\"b\r\n;c é.txt", "plain words", "text/plain; charset=utf-8"},
	} {
		m := postFile(t, s, s.AdminToken, room, upload{filename: tc.name, data: []byte(tc.data)}, http.StatusCreated)
		if m.Attachment.ContentType != tc.ctype || m.Attachment.ThumbnailURL != nil {
			t.Fatalf("%s: %+v", tc.name, m.Attachment)
		}
		r := get(t, s, m.Attachment.URL, s.AdminToken)
		cd := r.Header.Get("Content-Disposition")
		disp, params, err := mime.ParseMediaType(cd)
		if r.Status != 200 || err != nil || disp != "attachment" || r.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") || r.Header.Get("Content-Type") != tc.ctype {
			t.Fatalf("%s: %d %v (%v)", tc.name, r.Status, r.Header, err)
		}
		// mime decodes filename* back to the name as stored.
		if want := m.Attachment.Filename; params["filename"] != want || strings.ContainsAny(cd, "\r\n") {
			t.Fatalf("%s: filename %q from %q", tc.name, params["filename"], cd)
		}
	}
}

func TestAttachmentRetryAndDelete(t *testing.T) {
	s := newServer(t)
	room := allTalk(t, s)
	u := upload{filename: "a.png", data: pngBytes(t, 30, 30), clientID: "retry-1"}
	first := postFile(t, s, s.AdminToken, room, u, http.StatusCreated)
	again := postFile(t, s, s.AdminToken, room, u, http.StatusOK)
	if again.ID != first.ID || again.Attachment.URL != first.Attachment.URL {
		t.Fatalf("retry gave %d, first %d", again.ID, first.ID)
	}
	waitThumbnail(t, s, first.ID)
	st, err := s.Store.Message(context.Background(), first.ID)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{st.Attachment.Key, st.Attachment.ThumbnailKey}
	// One file and one thumbnail stored: the retry kept nothing.
	if n := countFiles(t, s); n != 2 {
		t.Fatalf("%d files stored, want 2", n)
	}

	// Only the author (or an admin) deletes; then the files go too.
	bea, _ := s.Join(t, "Bea")
	s.Must(t, http.StatusForbidden, "DELETE", path("/api/v1/messages/%d", first.ID), nil, bea)
	s.Must(t, http.StatusNoContent, "DELETE", path("/api/v1/messages/%d", first.ID), nil, s.AdminToken)
	for _, k := range keys {
		if _, err := s.Core.Blobs().Open(context.Background(), k); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("after delete, %s: %v", k, err)
		}
	}
	if r := get(t, s, first.Attachment.URL, s.AdminToken); r.Status != http.StatusNotFound {
		t.Fatalf("deleted file: %d", r.Status)
	}

	// Deleting a room deletes its files.
	other := createRoom(t, s, s.AdminToken, "Other", "open")
	postFile(t, s, s.AdminToken, other.ID, upload{filename: "x.txt", data: []byte("x")}, http.StatusCreated)
	if n := countFiles(t, s); n != 1 {
		t.Fatalf("%d files stored, want 1", n)
	}
	s.Must(t, http.StatusNoContent, "DELETE", roomPath(other.ID), nil, s.AdminToken)
	if n := countFiles(t, s); n != 0 {
		t.Fatalf("%d files left after the room's delete", n)
	}
}

// countFiles counts the files the local blob store holds.
func countFiles(t testing.TB, s *webtest.Server) int {
	t.Helper()
	n := 0
	root := config.LocalDir(s.Graph.Config.StoragePath)
	err := filepath.WalkDir(filepath.Join(root, "attachments"), func(p string, d os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAttachmentRefusals(t *testing.T) {
	s := webtest.New(t, webtest.Options{Config: func(c *config.Config) { c.Files.UploadMaxBytes = 64 << 10 }})
	s.Setup(t)
	room := allTalk(t, s)
	big := bytes.Repeat([]byte("x"), 64<<10+1)
	run(t, s, []scenario{
		{"json", "POST", roomPath(room, "attachments"), map[string]string{"body": "x"}, s.AdminToken, 415, "unsupported_media_type"},
		{"no file", "POST", roomPath(room, "attachments"), multipartFields(t, "body", "caption only"), s.AdminToken, 422, "file_missing"},
		{"empty file", "POST", roomPath(room, "attachments"), upload{filename: "e.txt"}.body(t), s.AdminToken, 422, "file_empty"},
		{"over the limit", "POST", roomPath(room, "attachments"), upload{filename: "big.txt", data: big}.body(t), s.AdminToken, 413, "too_large"},
		{"caption too long", "POST", roomPath(room, "attachments"), upload{filename: "a.txt", data: []byte("a"), caption: strings.Repeat("c", 65<<10)}.body(t), s.AdminToken, 413, "body_too_large"},
		{"blank caption", "POST", roomPath(room, "attachments"), upload{filename: "a.txt", data: []byte("a"), caption: " \t"}.body(t), s.AdminToken, 422, "body_blank"},
		{"bad client id", "POST", roomPath(room, "attachments"), upload{filename: "a.txt", data: []byte("a"), clientID: strings.Repeat("k", 65)}.body(t), s.AdminToken, 413, ""},
		{"cut off", "POST", roomPath(room, "attachments"), raw("multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc"), s.AdminToken, 400, "invalid_multipart"},
		{"unknown room", "POST", roomPath(999999, "attachments"), upload{filename: "a.txt", data: []byte("a")}.body(t), s.AdminToken, 404, "not_found"},
		{"anonymous", "POST", roomPath(room, "attachments"), upload{filename: "a.txt", data: []byte("a")}.body(t), "", 401, ""},
	})
	if n := countFiles(t, s); n != 0 {
		t.Fatalf("%d files left by refused uploads", n)
	}
}

func multipartFields(t testing.TB, kv ...string) webtest.Raw {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(kv); i += 2 {
		_ = mw.WriteField(kv[i], kv[i+1])
	}
	_ = mw.Close()
	return webtest.Raw{ContentType: mw.FormDataContentType(), Body: buf.String()}
}

// A declared length over the limit is refused before the body is read:
// the body here never arrives.
func TestAttachmentTooLargeEarly(t *testing.T) {
	s := webtest.New(t, webtest.Options{Config: func(c *config.Config) { c.Files.UploadMaxBytes = 1 << 20 }})
	s.Setup(t)
	room := allTalk(t, s)
	pr, pw := io.Pipe()
	defer pw.Close()
	req := s.NewRequest(t, "POST", roomPath(room, "attachments"), nil, s.AdminToken)
	req.Body = pr
	req.ContentLength = 200 << 20
	req.Header.Set("Content-Type", "multipart/form-data; boundary=XX")
	res := s.Send(t, req)
	if res.Status != http.StatusRequestEntityTooLarge || res.ErrorCode() != "too_large" {
		t.Fatalf("status %d %s", res.Status, res.Body)
	}
}

func TestBotAttachment(t *testing.T) {
	s := newServer(t)
	room := allTalk(t, s)
	b := createBot(t, s, "Deploy Bot", "")
	req := s.NewRequest(t, "POST", botPath(room, b.BotKey), upload{field: "attachment", filename: "build.log", data: []byte("ok\n")}.body(t), "")
	res := s.Send(t, req)
	var m wire.Message
	if res.Status != http.StatusCreated {
		t.Fatalf("bot upload: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &m)
	if m.Attachment == nil || m.Attachment.Filename != "build.log" || m.Creator.ID != b.ID ||
		res.Header.Get("Location") != path("/api/v1/messages/%d", m.ID) {
		t.Fatalf("bot message %+v", m)
	}
	if r := get(t, s, m.Attachment.URL, s.AdminToken); r.Status != 200 || string(r.Body) != "ok\n" {
		t.Fatalf("bot file: %d %q", r.Status, r.Body)
	}
	// The text form still works, and a wrong key is a plain 404.
	s.Must(t, http.StatusCreated, "POST", botPath(room, b.BotKey), text("hello"), "")
	s.Must(t, http.StatusNotFound, "POST", botPath(room, b.BotKey+"x"), upload{field: "attachment", filename: "a", data: []byte("a")}.body(t), "")
}

// A burst of images larger than the thumbnail queue: every upload is
// answered at once, and every image still gets its thumbnail (those that
// found the queue full are swept up when it empties).
func TestAttachmentThumbnailBurst(t *testing.T) {
	s := webtest.New(t, webtest.Options{Config: func(c *config.Config) {
		c.Files.ThumbnailWorkers, c.Files.ThumbnailQueue = 1, 1
	}})
	s.Setup(t)
	room := allTalk(t, s)
	data := pngBytes(t, 300, 200)
	var ids []int64
	for i := range 8 {
		m := postFile(t, s, s.AdminToken, room, upload{filename: path("p%d.png", i), data: data}, http.StatusCreated)
		ids = append(ids, m.ID)
	}
	for _, id := range ids {
		waitThumbnail(t, s, id)
	}
}

// One person's uploads in progress are bounded: with 32 dribbling (a
// slowloris holds each for up to the 10-minute upload timeout), the next
// is refused at once with 429 too_many_uploads, and a slot is free again
// when one ends.
func TestAttachmentUploadsInProgressBounded(t *testing.T) {
	s := newServer(t)
	room := allTalk(t, s)
	tmp := filepath.Join(config.LocalDir(s.Graph.Config.StoragePath), ".tmp")
	var pipes []*io.PipeWriter
	defer func() {
		for _, pw := range pipes {
			_ = pw.CloseWithError(errors.New("client gone"))
		}
	}()
	const slots = 32
	results := make(chan int, slots)
	// Fresh connections: a body that cannot be rewound is never retried on
	// an idle connection the server has just closed.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range slots {
		pr, pw := io.Pipe()
		pipes = append(pipes, pw)
		req := s.NewRequest(t, "POST", roomPath(room, "attachments"), nil, s.AdminToken)
		req.Body, req.ContentLength = pr, -1
		req.Header.Set("Content-Type", "multipart/form-data; boundary=XX")
		go func() {
			res, err := client.Do(req)
			if err != nil {
				results <- 0
				return
			}
			res.Body.Close()
			results <- res.StatusCode
		}()
		go func() {
			// More than the client's write buffer, so the bytes are sent.
			_, _ = io.WriteString(pw, "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.bin\"\r\n\r\n"+strings.Repeat("x", 64<<10))
		}()
		// In progress once its bytes are being written to storage.
		deadline := time.Now().Add(20 * time.Second)
		for {
			if entries, _ := os.ReadDir(tmp); len(entries) == i+1 {
				break
			}
			select {
			case st := <-results:
				t.Fatalf("slow upload %d ended: %d", i, st)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("slow upload %d never started", i)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	small := upload{filename: "a.txt", data: []byte("a")}
	res := s.Do(t, "POST", roomPath(room, "attachments"), small.body(t), s.AdminToken)
	if res.Status != http.StatusTooManyRequests || res.ErrorCode() != "too_many_uploads" {
		t.Fatalf("upload past the slots: %d %s", res.Status, res.Body)
	}
	// Another person is not affected.
	bea, _ := s.Join(t, "Bea")
	s.Must(t, http.StatusCreated, "POST", roomPath(room, "attachments"), small.body(t), bea)
	// One slow upload ends (cut off): its slot is free again.
	// (The client gives up before the server has seen the cut.)
	_ = pipes[0].CloseWithError(errors.New("client gone"))
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := s.Do(t, "POST", roomPath(room, "attachments"), small.body(t), s.AdminToken)
		if res.Status == http.StatusCreated {
			break
		}
		if res.ErrorCode() != "too_many_uploads" || time.Now().After(deadline) {
			t.Fatalf("after one ended: %d %s", res.Status, res.Body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
