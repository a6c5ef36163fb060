package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/campfire-go/campfire/internal/config"
)

// LockServing makes sure one server at a time serves a SQLite database.
// Several instances on one SQLite file would each fan messages out only to
// their own sockets (the in-process broker) and race its single writer, so
// a second `campfire serve` on the same file is a configuration error, said
// in one line. Subcommands (backup, admin) run beside the server and do not
// take the lock. For PostgreSQL it does nothing. The lock is released by
// the returned func, or by the kernel when the process dies (kill -9
// included), so a crash never leaves a stale lock behind.
func LockServing(cfg config.Config) (unlock func(), err error) {
	db, err := cfg.Database()
	if err != nil || db.Driver != "sqlite" {
		return func() {}, err
	}
	// One lock per file, however it is named: a symlink or another
	// relative path to the same database must find the same lock.
	real := db.Path
	if r, err := filepath.EvalSymlinks(db.Path); err == nil {
		real = r
	}
	if abs, err := filepath.Abs(real); err == nil {
		real = abs
	}
	path := real + ".serving"
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another campfire is already serving %s: several instances need DATABASE_URL=postgres://… and REDIS_URL", db.Path)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
