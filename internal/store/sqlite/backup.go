package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Backup writes a consistent copy of the database to destPath while the
// store keeps serving. VACUUM INTO reads one snapshot (a WAL read
// transaction), so writes committed meanwhile are simply not in the copy.
// destPath must not exist.
func (s *Store) Backup(ctx context.Context, destPath string) error {
	if destPath == "" || strings.HasPrefix(destPath, "file:") {
		return fmt.Errorf("sqlite: backup: %q: want a file path", destPath)
	}
	if _, err := os.Lstat(destPath); err == nil {
		return fmt.Errorf("sqlite: backup: %s already exists", destPath)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(destPath), 0o750); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// Its own connection: the read pool is query_only, which VACUUM INTO
	// refuses even though it writes only the new file, and the writer must
	// not stall for the length of a copy.
	db, err := sql.Open("sqlite", dsn(s.path, s.opts))
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", destPath); err != nil {
		_ = os.Remove(destPath) // a partial copy is no backup
		return fmt.Errorf("sqlite: backup to %s: %w", destPath, err)
	}
	return nil
}
