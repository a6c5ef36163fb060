// Package blob stores files (attachments, thumbnails, avatars, logos) by
// key: local disk under STORAGE_PATH by default, an S3-compatible bucket
// (STORAGE_URL=s3://…) for several instances. Keys are made by the server
// (never from user input) and contain only [a-z0-9/._-].
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrNotFound is returned by Open and Stat for a key that is not stored.
var ErrNotFound = errors.New("blob: not found")

// ErrInvalidKey is returned for a key outside the allowed form.
var ErrInvalidKey = errors.New("blob: invalid key")

// Store is the seam both backends implement; a contract suite runs against each.
type Store interface {
	// Put streams r to key (replacing any object there) and returns the
	// bytes written. It never holds the whole file in memory. A failed Put
	// leaves nothing behind at key.
	Put(ctx context.Context, key string, r io.Reader, contentType string) (int64, error)
	// Open returns the object for reading with range support.
	Open(ctx context.Context, key string) (Object, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// Object is an open stored file.
type Object interface {
	io.ReadSeekCloser
	Size() int64
	ModTime() time.Time
	ContentType() string
}

// CheckKey reports whether key has the form every backend accepts:
// segments of [a-z0-9._-] separated by single slashes, each starting with
// a letter or digit (so no "..", no hidden files, no absolute paths).
func CheckKey(key string) error {
	if key == "" || len(key) > 512 {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || !isAlnum(seg[0]) {
			return fmt.Errorf("%w: %q", ErrInvalidKey, key)
		}
		for i := 0; i < len(seg); i++ {
			if c := seg[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
				return fmt.Errorf("%w: %q", ErrInvalidKey, key)
			}
		}
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
