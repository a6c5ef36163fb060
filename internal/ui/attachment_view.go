package ui

import (
	"strconv"

	"github.com/campfire-go/campfire/internal/chat"
	"github.com/campfire-go/campfire/internal/thumb"
	"github.com/campfire-go/campfire/internal/wire"
)

// attachmentView is a message's file as the "attachment" template shows
// it; static/attachments.js fills the same markup from the API's JSON.
type attachmentView struct {
	URL, Filename, Size string
	// ThumbnailURL is set once the thumbnail is made; Width×Height is its
	// size, so the page does not jump when it loads.
	ThumbnailURL  string
	Width, Height int
}

func newAttachmentView(a *chat.Attachment) *attachmentView {
	w := wire.NewAttachment(a)
	if w == nil {
		return nil
	}
	v := &attachmentView{URL: w.URL, Filename: w.Filename, Size: formatBytes(w.ByteSize)}
	if w.ThumbnailURL != nil {
		v.ThumbnailURL = *w.ThumbnailURL
		v.Width, v.Height = thumb.Fit(*w.Width, *w.Height, 1200, 800)
	}
	return v
}

// formatBytes matches formatBytes in static/attachments.js.
func formatBytes(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " bytes"
	case n < 1000*1000:
		return strconv.FormatInt((n+500)/1000, 10) + " KB"
	case n < 1000*1000*1000:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
	}
	return strconv.FormatFloat(float64(n)/1e9, 'f', 1, 64) + " GB"
}
