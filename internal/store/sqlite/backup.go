package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/campfire-go/campfire/internal/store/schema"
)

// Backup writes a consistent copy of the database to destPath while the
// store keeps serving, readable by its owner only (0600, like the database)
// and verified (Verify) before it appears under destPath. VACUUM INTO reads
// one snapshot (a WAL read transaction), so writes committed meanwhile are
// simply not in the copy. destPath must not exist.
func (s *Store) Backup(ctx context.Context, destPath string) error {
	if destPath == "" || strings.HasPrefix(destPath, "file:") {
		return fmt.Errorf("sqlite: backup: %q: want a file path", destPath)
	}
	if _, err := os.Lstat(destPath); err == nil {
		return fmt.Errorf("sqlite: backup: %s already exists", destPath)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(destPath), 0o700); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// The copy is written to an empty 0600 file beside destPath (VACUUM
	// INTO fills an empty file and keeps its mode), so it is never readable
	// by others, not even while it is written, and a half-written or
	// unsound copy never sits under the name an operator will restore from.
	tmp, err := os.CreateTemp(filepath.Dir(destPath), "."+filepath.Base(destPath)+".*.tmp")
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	tmpPath := tmp.Name()
	defer os.Remove(tmpPath) // after the link below, only the temporary name goes
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
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
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmpPath); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", destPath, err)
	}
	if err := syncFile(tmpPath); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := Verify(ctx, tmpPath); err != nil {
		return fmt.Errorf("sqlite: backup to %s failed verification, nothing written: %w", destPath, err)
	}
	// A link, not a rename: it refuses to replace a file that appeared at
	// destPath meanwhile.
	if err := os.Link(tmpPath, destPath); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return syncDir(filepath.Dir(destPath))
}

// Verify checks that the SQLite file at path is a sound Campfire database
// this binary can open: PRAGMA integrity_check answers ok, it has a schema
// version, and the version is not newer than this binary's. It returns the
// version. The file is opened read-only and as immutable (no locks, no
// -wal or -shm made): it is a backup, or a database nobody is serving.
func Verify(ctx context.Context, path string) (version int, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 {
		return 0, fmt.Errorf("%s is not a database file", path)
	}
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	db, err := sql.Open("sqlite", "file:"+esc+"?mode=ro&immutable=1")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return 0, fmt.Errorf("%s: integrity check: %w", path, err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return 0, fmt.Errorf("%s: integrity check: %w", path, err)
		}
		if s != "ok" && len(problems) < 3 {
			problems = append(problems, s)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("%s: integrity check: %w", path, err)
	}
	if len(problems) > 0 {
		return 0, fmt.Errorf("%s fails its integrity check: %s", path, strings.Join(problems, "; "))
	}
	var n int
	if err := db.QueryRowContext(ctx, schemaTableExists).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if n == 0 {
		return 0, fmt.Errorf("%s is a SQLite file but not a Campfire database (no schema_migrations)", path)
	}
	if err := db.QueryRowContext(ctx, currentVersion).Scan(&version); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if err := schema.Check("sqlite", version, LatestSchemaVersion()); err != nil {
		return version, err
	}
	return version, nil
}

// Restore puts the backup at src in place of the database at dbPath, which
// no process may have open (the caller holds the serving lock). It verifies
// src, copies it to a temporary file in dbPath's directory and verifies the
// copy; folds the current database's WAL into it and renames it to
// dbPath.bak-<UTC time> (returned); removes the -wal and -shm files left
// beside dbPath, which belong to the old database and would be replayed
// into the new one; and renames the copy to dbPath. Until the last rename
// the database is untouched but for its checkpoint; a failure after the
// second rename leaves the old database under the returned name.
func Restore(ctx context.Context, src, dbPath string) (previous string, err error) {
	if _, err := Verify(ctx, src); err != nil {
		return "", fmt.Errorf("refusing to restore: %w", err)
	}
	dir := filepath.Dir(dbPath)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dbPath)+".restore.*.tmp")
	if err != nil {
		return "", err
	}
	tmpPath := tmp.Name()
	defer os.Remove(tmpPath) // a no-op once renamed
	if err := copyInto(tmp, src); err != nil {
		return "", fmt.Errorf("copying %s: %w", src, err)
	}
	if _, err := Verify(ctx, tmpPath); err != nil {
		return "", fmt.Errorf("the copy of %s: %w", src, err)
	}

	if _, err := os.Stat(dbPath); err == nil {
		if err := checkpoint(ctx, dbPath); err != nil {
			return "", fmt.Errorf("folding %s's WAL into it before keeping it: %w", dbPath, err)
		}
		previous = dbPath + ".bak-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(dbPath, previous); err != nil {
			return "", err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return previous, fmt.Errorf("removing the old %s: %w", dbPath+suffix, err)
		}
	}
	if err := os.Rename(tmpPath, dbPath); err != nil {
		return previous, err
	}
	return previous, syncDir(dir)
}

// checkpoint copies every committed page of the WAL into the database file
// and empties the WAL, so the file alone holds the database.
func checkpoint(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", dsn(path, Options{BusyTimeout: 5 * time.Second}))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var busy, logged, done int
	if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &done); err != nil {
		return err
	}
	if busy != 0 {
		return errors.New("the database is in use")
	}
	return db.Close()
}

func copyInto(dst *os.File, src string) error {
	in, err := os.Open(src)
	if err != nil {
		dst.Close()
		return err
	}
	defer in.Close()
	if err := dst.Chmod(0o600); err != nil {
		dst.Close()
		return err
	}
	if _, err := io.Copy(dst, in); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename or link in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
