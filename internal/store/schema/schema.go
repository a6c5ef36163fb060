// Package schema reads the embedded migrations of the SQL stores and checks
// a database's schema version against them. How a migration is applied
// (locks, transactions) belongs to each store; the SQL of each is its own.
package schema

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// ErrTooNew means the database was migrated by a newer Campfire than this
// one. Running an older binary on it could corrupt data it does not
// understand, so the stores refuse to open it.
var ErrTooNew = errors.New("database schema is newer than this binary")

// Migration is one file NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads the files NNNN_name.sql in dir of fsys, ordered by NNNN, which
// must run 1, 2, 3… with no gap. store names the store in errors.
func Load(store string, fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("%s: migration %q: want NNNN_name.sql", store, e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("%s: migration %s: version %d, want %d", store, m.Name, m.Version, i+1)
		}
	}
	return ms, nil
}

// Latest is the version ms migrate to, for Load's results. The files are
// embedded in the binary, so an error is a build mistake (a test catches
// it) and panics.
func Latest(ms []Migration, err error) int {
	if err != nil {
		panic(err)
	}
	return len(ms)
}

// Check returns an error matching ErrTooNew if a database at version v is
// newer than latest, the version this binary migrates to.
func Check(store string, v, latest int) error {
	if v > latest {
		return fmt.Errorf("%s: %w: the database is at schema version %d but this binary knows only up to %d; run a newer campfire or restore a backup",
			store, ErrTooNew, v, latest)
	}
	return nil
}
