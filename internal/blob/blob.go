// Package blob stores files (attachments, thumbnails, avatars, logos) by
// key: local disk under STORAGE_PATH by default, an S3-compatible bucket
// (STORAGE_URL=s3://…) for several instances. Keys are made by the server
// (never from user input) and contain only [a-z0-9/._-].
package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned by Open and Stat for a key that is not stored.
var ErrNotFound = errors.New("blob: not found")

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
