package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/campfire-go/campfire/internal/blob"
	"github.com/campfire-go/campfire/internal/campfire"
	"github.com/campfire-go/campfire/internal/config"
)

// OpenBlobs chooses the blob store: the one switch on STORAGE_URL. An S3
// bucket that does not answer at start is an error, as a database would be.
func OpenBlobs(ctx context.Context, cfg config.Config) (blob.Store, *Check, error) {
	o, ok, err := cfg.Files.S3()
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		s, err := blob.NewLocal(config.LocalDir(cfg.StoragePath))
		return s, nil, err
	}
	s, err := blob.NewS3(o)
	if err != nil {
		return nil, nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Check(cctx); err != nil {
		return nil, nil, fmt.Errorf("STORAGE_URL: %w", err)
	}
	return s, &Check{Name: "storage", Check: s.Check}, nil
}

// openFiles gives the core its blob store and thumbnail pool.
func (e *Engine) openFiles(ctx context.Context, cfg config.Config) error {
	b, check, err := OpenBlobs(ctx, cfg)
	if err != nil {
		return err
	}
	e.Blobs = b
	if check != nil {
		e.Checks = append(e.Checks, *check)
	}
	e.Core.SetFiles(b, campfire.FileOptions{
		MaxUpload: cfg.Files.MaxUpload(), Workers: cfg.Files.Workers(), Queue: cfg.Files.Queue(),
	})
	return nil
}
