package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Local stores objects as files under a directory: the bytes at
// root/<key>, the content type at root/.meta/<key> (no key starts with a
// dot, so the two never meet). Writes go to a temporary file under
// root/.tmp and are renamed into place, so a reader never sees half a file
// and a failed Put leaves nothing at key.
type Local struct {
	root string
}

// staleTemp is the age past which a temporary file is a dead write's (a
// process killed mid-upload): uploads are bounded to 10 minutes.
const staleTemp = time.Hour

var _ Store = (*Local)(nil)

// NewLocal opens (creating) a local store under root.
func NewLocal(root string) (*Local, error) {
	for _, d := range []string{".meta", ".tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
			return nil, fmt.Errorf("blob: creating %s: %w", root, err)
		}
	}
	l := &Local{root: root}
	l.removeStaleTemps(time.Now().Add(-staleTemp))
	return l, nil
}

// removeStaleTemps deletes temporary files last written before before: a
// process killed mid-write leaves its file, which nothing else would ever
// remove. Best effort: a failure only leaves them for the next start.
func (l *Local) removeStaleTemps(before time.Time) {
	dir := filepath.Join(l.root, ".tmp")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && info.ModTime().Before(before) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func (l *Local) path(key string) string { return filepath.Join(l.root, filepath.FromSlash(key)) }
func (l *Local) meta(key string) string {
	return filepath.Join(l.root, ".meta", filepath.FromSlash(key))
}

func (l *Local) Put(ctx context.Context, key string, r io.Reader, contentType string) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	dst := l.path(key)
	n, err := l.writeAtomic(dst, ctxReader{ctx, r})
	if err != nil {
		return 0, fmt.Errorf("blob: writing %s: %w", key, err)
	}
	if _, err := l.writeAtomic(l.meta(key), strings.NewReader(contentType)); err != nil {
		_ = os.Remove(dst)
		return 0, fmt.Errorf("blob: writing %s: %w", key, err)
	}
	return n, nil
}

// writeAtomic copies r into a temporary file under root/.tmp (one place,
// so a start can clear those a killed process left), syncs it and renames
// it to dst.
func (l *Local) writeAtomic(dst string, r io.Reader) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return 0, err
	}
	f, err := os.CreateTemp(filepath.Join(l.root, ".tmp"), ".put-*")
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	n, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return 0, err
	}
	return n, nil
}

func (l *Local) Open(ctx context.Context, key string) (Object, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	f, err := os.Open(l.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: opening %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		_ = f.Close()
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	ct := "application/octet-stream"
	if b, err := readSmall(l.meta(key), 256); err == nil && len(b) > 0 {
		ct = string(b)
	}
	return &localObject{File: f, size: st.Size(), mod: st.ModTime(), ct: ct}, nil
}

func readSmall(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max))
}

func (l *Local) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	for _, p := range []string{l.path(key), l.meta(key)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("blob: deleting %s: %w", key, err)
		}
	}
	return nil
}

type localObject struct {
	*os.File
	size int64
	mod  time.Time
	ct   string
}

func (o *localObject) Size() int64         { return o.size }
func (o *localObject) ModTime() time.Time  { return o.mod }
func (o *localObject) ContentType() string { return o.ct }

// ctxReader stops a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
