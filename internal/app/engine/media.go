package engine

import (
	"fmt"
	"log/slog"

	"github.com/campfire-go/campfire/internal/blob"
	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/unfurl"
)

// openMedia gives the core its blob store for avatars, the logo and
// preview images (local disk under STORAGE_PATH, or S3 with STORAGE_URL:
// the same store as attachments), and the link preview fetcher unless
// LINK_PREVIEWS=off. Tests that serve their own pages replace the fetcher
// (campfire.Core.SetPreviews) with one allowed to reach loopback, or, for
// the real binary, set CAMPFIRE_TEST_UNFURL_ALLOW.
func (e *Engine) openMedia(cfg config.Config, log *slog.Logger) error {
	var b blob.Store
	if o, ok, err := cfg.Files.S3(); err != nil {
		return err
	} else if ok {
		if b, err = blob.NewS3(o); err != nil {
			return err
		}
	} else {
		l, err := blob.NewLocal(config.LocalDir(cfg.StoragePath))
		if err != nil {
			return err
		}
		b = l
	}
	e.Core.SetBlobs(b)
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
