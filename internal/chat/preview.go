package chat

import (
	"fmt"
	"time"
)

// LinkPreview is what the server found at the first http(s) link of a
// message (OpenGraph, else <title> and meta description). Its image, when
// there is one, was fetched by the server and is served from the blob
// store under ImageKey, so readers never contact the linked site.
type LinkPreview struct {
	MessageID   int64
	URL         string // the link as found in the body
	Title       string
	Description string
	SiteName    string
	ImageKey    string // blob key of the proxied image, "" for none
	ImageType   string // its sniffed content type
	CreatedAt   time.Time
}

// String describes p by value (fmt prints a nested pointer as an address):
// for logs, and for tests that compare messages as text.
func (p *LinkPreview) String() string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprintf("{%d %q %q %q %q %q %q %d}", p.MessageID, p.URL, p.Title, p.Description, p.SiteName,
		p.ImageKey, p.ImageType, p.CreatedAt.UnixMilli())
}
