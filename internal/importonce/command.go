package importonce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/campfire-go/campfire/internal/app/engine"
	"github.com/campfire-go/campfire/internal/blob"
	"github.com/campfire-go/campfire/internal/config"
)

const usage = "usage: campfire import-once PATH/production.sqlite3 [--files DIR]"

// Command runs `campfire import-once PATH [--files DIR]` into the database
// the server's configuration names (DATABASE_URL and the other settings,
// from the environment and the remaining flags). Progress goes to stderr,
// the counts to stdout.
func Command(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	var path, files string
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--files" || a == "-files":
			if i+1 >= len(args) {
				return errors.New(usage)
			}
			files, i = args[i+1], i+1
		case strings.HasPrefix(a, "--files=") || strings.HasPrefix(a, "-files="):
			_, files, _ = strings.Cut(a, "=")
		case path == "" && !strings.HasPrefix(a, "-"):
			path = a
		default:
			rest = append(rest, a)
		}
	}
	if path == "" {
		return errors.New(usage)
	}
	cfg, err := config.Load(rest, environ)
	if err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	// A server writing the same SQLite file would not see the import's
	// rows in its caches: refuse while one serves it.
	unlock, err := engine.LockServing(cfg)
	if err != nil {
		return err
	}
	defer unlock()
	var blobs blob.Store
	if files != "" {
		if blobs, _, err = engine.OpenBlobs(ctx, cfg); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "import-once: %s into %s\n", path, redact(cfg.DatabaseURL))
	rep, err := Run(ctx, Options{Source: path, Files: files, DatabaseURL: cfg.DatabaseURL, Blobs: blobs, Progress: stderr})
	if err != nil {
		return fmt.Errorf("import-once: %w (nothing was imported)", err)
	}
	fmt.Fprint(stdout, rep.Summary())
	if files == "" && rep.Skipped["attachment files (no --files)"] > 0 {
		fmt.Fprintln(stdout, "attachments were imported as their file names only: to bring the files, import again into a new, empty database with --files DIR (Campfire's storage/files)")
	}
	return nil
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "sqlite" {
		return u
	}
	return p.Redacted()
}
