package wire

import (
	"strconv"

	"github.com/campfire-go/campfire/internal/chat"
)

// Attachment is the contract's attachment object. Width, height and
// thumbnail_url are null until a thumbnail is made (never, for files that
// are not images).
type Attachment struct {
	URL          string  `json:"url"`
	Filename     string  `json:"filename"`
	ContentType  string  `json:"content_type"`
	ByteSize     int64   `json:"byte_size"`
	Width        *int    `json:"width"`
	Height       *int    `json:"height"`
	ThumbnailURL *string `json:"thumbnail_url"`
}

// AttachmentURL is where a message's file is served (to members only).
func AttachmentURL(messageID int64) string {
	return "/api/v1/messages/" + strconv.FormatInt(messageID, 10) + "/attachment"
}

// ThumbnailURL is where its thumbnail is served.
func ThumbnailURL(messageID int64) string { return AttachmentURL(messageID) + "/thumbnail" }

// NewAttachment converts a; nil stays nil.
func NewAttachment(a *chat.Attachment) *Attachment {
	if a == nil {
		return nil
	}
	w := &Attachment{URL: AttachmentURL(a.MessageID), Filename: a.Filename, ContentType: a.ContentType, ByteSize: a.ByteSize}
	if a.State == chat.ThumbnailReady && a.ThumbnailKey != "" {
		width, height, u := a.Width, a.Height, ThumbnailURL(a.MessageID)
		w.Width, w.Height, w.ThumbnailURL = &width, &height, &u
	}
	return w
}
