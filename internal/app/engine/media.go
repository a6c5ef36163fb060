package engine

import (
	"fmt"
	"log/slog"

	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/unfurl"
)

// openMedia gives the core the blob store openFiles opened (attachments,
// avatars, the logo and preview images share it), and the link preview
// fetcher unless LINK_PREVIEWS=off. Tests that serve their own pages
// replace the fetcher (campfire.Core.SetPreviews) with one allowed to reach
// loopback, or, for the real binary, set CAMPFIRE_TEST_UNFURL_ALLOW.
func (e *Engine) openMedia(cfg config.Config, log *slog.Logger) error {
	e.Core.SetBlobs(e.Blobs)
	if !cfg.Previews.Off {
		if len(cfg.Previews.AllowForTests) > 0 {
			log.Warn("link previews may reach private addresses (CAMPFIRE_TEST_UNFURL_ALLOW): a setting for tests only",
				"prefixes", fmt.Sprint(cfg.Previews.AllowForTests))
		}
		f := unfurl.New(unfurl.Config{AllowForTests: cfg.Previews.AllowForTests})
		e.Core.SetPreviews(campfire.PreviewConfig{Fetcher: f})
		e.closers = append(e.closers, func() error { f.Close(); return nil })
	}
	return nil
}
