package sqlite

import (
	"context"
	"embed"
	"fmt"
	"sync"

	"github.com/campfire-go/campfire/internal/store/rowscan"
	"github.com/campfire-go/campfire/internal/store/schema"
)

// ErrSchemaTooNew means the database was migrated by a newer Campfire than
// this one. Running an older binary on it could corrupt data it does not
// understand, so Open refuses. It is the same error for every store.
var ErrSchemaTooNew = schema.ErrTooNew

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the embedded files NNNN_name.sql, ordered by NNNN.
var migrations = sync.OnceValues(func() ([]schema.Migration, error) {
	return schema.Load("sqlite", migrationFiles, "migrations")
})

// LatestSchemaVersion is the schema version this binary migrates to.
func LatestSchemaVersion() int { return schema.Latest(migrations()) }

const (
	createSchemaTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`
	schemaTableExists = `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`
	currentVersion    = `SELECT coalesce(max(version), 0) FROM schema_migrations`
	recordVersion     = `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
)

// schemaVersion is the newest migration applied, 0 for a new database.
func schemaVersion(q querier) (int, error) {
	var n int
	if err := q.queryRow(schemaTableExists).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	var v int
	if err := q.queryRow(currentVersion).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	return v, nil
}

// checkVersion returns the database's schema version, or ErrSchemaTooNew.
func checkVersion(q querier) (int, error) {
	v, err := schemaVersion(q)
	if err != nil {
		return 0, err
	}
	return v, schema.Check("sqlite", v, LatestSchemaVersion())
}

// migrate applies every pending migration, each in its own transaction, on
// the writer's connection. The version is re-read inside the transaction
// (which holds the write lock), so two processes migrating at once cannot
// both apply a step.
func migrate(t *wtx) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := checkVersion(t); err != nil {
		return err
	}
	for _, m := range ms {
		if err := applyMigration(t, m); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(t *wtx, m schema.Migration) (err error) {
	if err := t.execScript("BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("sqlite: migration %s: begin: %w", m.Name, err)
	}
	defer func() {
		if err != nil {
			_ = t.execScript("ROLLBACK")
		}
	}()
	if err := t.execScript(createSchemaTable); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	v, err := checkVersion(t)
	if err != nil {
		return err
	}
	if v >= m.Version {
		return t.execScript("COMMIT")
	}
	if err := t.execScript(m.SQL); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	if _, err := t.exec(recordVersion, m.Version, m.Name, rowscan.ToMillis(rowscan.Now())); err != nil {
		return fmt.Errorf("sqlite: migration %s: record version: %w", m.Name, err)
	}
	if err := t.execScript("COMMIT"); err != nil {
		return fmt.Errorf("sqlite: migration %s: commit: %w", m.Name, err)
	}
	return nil
}

// Migrate applies pending migrations. Open already does unless
// Options.NoMigrate; `campfire migrate` opens with NoMigrate and calls this.
// It waits for the writes queued before it and holds back those after.
func (s *Store) Migrate(ctx context.Context) error {
	return s.w.submitSolo(ctx, migrate)
}

// SchemaVersion is the database's current schema version (compare
// LatestSchemaVersion).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.readTx(ctx, func(q querier) (err error) {
		v, err = schemaVersion(q)
		return err
	})
	return v, err
}
