package chat

import "time"

// Attachment is a file posted as a message (one per message). Its bytes
// live in the blob store under Key, never in the database.
type Attachment struct {
	MessageID   int64
	Key         string // blob key, made by the server
	Filename    string // as sent, cleaned (CleanFilename)
	ContentType string // sniffed from the bytes, not taken from the client
	ByteSize    int64
	// Width and Height are an image's, 0 until known. ThumbnailKey is ""
	// until a thumbnail is made.
	Width, Height int
	ThumbnailKey  string
	State         ThumbnailState
	CreatedAt     time.Time
}

// ThumbnailState says where an attachment is in the thumbnail pipeline.
type ThumbnailState string

const (
	// ThumbnailPending: an image waiting for its thumbnail.
	ThumbnailPending ThumbnailState = "pending"
	// ThumbnailReady: Width, Height and ThumbnailKey are set.
	ThumbnailReady ThumbnailState = "ready"
	// ThumbnailNone: not an image, or one that could not be read; shown as
	// a file.
	ThumbnailNone ThumbnailState = "none"
)
