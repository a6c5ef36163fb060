package postgres

import (
	"context"
	"embed"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
	return schema.Load("postgres", migrationFiles, "migrations")
})

// LatestSchemaVersion is the schema version this binary migrates to.
func LatestSchemaVersion() int { return schema.Latest(migrations()) }

const (
	// migrationLock is the advisory lock's first key ("campfire"'s first
	// bytes); the second is the schema's name hashed, so two Campfires in
	// two schemas of one database do not wait for each other.
	migrationLock = `SELECT pg_advisory_xact_lock(1667330150, hashtext(current_schema()))`
	// The table's name is resolved through search_path like every other.
	schemaTableExists = `SELECT to_regclass('schema_migrations') IS NOT NULL`
	createSchemaTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at BIGINT  NOT NULL
	)`
	extensionPresent = `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent')`
	extensionLock    = `SELECT pg_advisory_xact_lock(1667330152, 0)`
	// unaccent is a trusted extension (PostgreSQL 13+): the database's
	// owner may create it without being a superuser.
	createExtension = `CREATE EXTENSION IF NOT EXISTS unaccent`
	currentVersion  = `SELECT coalesce(max(version), 0) FROM schema_migrations`
	recordVersion   = `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`
)

// queryRower is a connection or a transaction.
type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// schemaVersion is the newest migration applied, 0 for a new database.
func schemaVersion(ctx context.Context, q queryRower) (int, error) {
	var exists bool
	if err := q.QueryRow(ctx, schemaTableExists).Scan(&exists); err != nil {
		return 0, dbErr("read schema version", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := q.QueryRow(ctx, currentVersion).Scan(&v); err != nil {
		return 0, dbErr("read schema version", err)
	}
	return v, nil
}

// checkVersion returns the database's schema version, or ErrSchemaTooNew.
func checkVersion(ctx context.Context, q queryRower) (int, error) {
	v, err := schemaVersion(ctx, q)
	if err != nil {
		return 0, err
	}
	return v, schema.Check("postgres", v, LatestSchemaVersion())
}

// Migrate applies pending migrations, each in its own transaction under a
// transaction-scoped advisory lock. The version is read again once the lock
// is held, so of N instances starting at once one applies each step and the
// others, having waited, find it done. Open already migrates unless
// Options.NoMigrate; `campfire migrate` opens with NoMigrate and calls this.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	return s.with(ctx, func(c *pgxpool.Conn) error {
		v, err := checkVersion(ctx, c)
		if err != nil {
			return err
		}
		if v < len(ms) {
			if err := ensureExtensions(ctx, c); err != nil {
				return err
			}
		}
		for _, m := range ms {
			if m.Version <= v {
				continue
			}
			if err := applyMigration(ctx, c, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// ensureExtensions creates the extensions the migrations use before they
// run. Extensions belong to the database, not to a schema, so two
// Campfires migrating two schemas at once (each under its own schema's
// lock) could both try to create one, and one would fail: this step takes
// a database-wide lock, and only when an extension is missing.
func ensureExtensions(ctx context.Context, c *pgxpool.Conn) error {
	var present bool
	if err := c.QueryRow(ctx, extensionPresent).Scan(&present); err != nil {
		return dbErr("check extensions", err)
	}
	if present {
		return nil
	}
	return dbErr("create extension unaccent", pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, extensionLock); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, createExtension)
		return err
	}))
}

func applyMigration(ctx context.Context, c *pgxpool.Conn, m schema.Migration) error {
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, migrationLock); err != nil {
			return dbErr("migration "+m.Name+": lock", err)
		}
		if _, err := tx.Exec(ctx, createSchemaTable); err != nil {
			return dbErr("migration "+m.Name, err)
		}
		v, err := checkVersion(ctx, tx)
		if err != nil {
			return err
		}
		if v >= m.Version {
			return nil // another instance applied it while we waited
		}
		// No arguments: pgx sends it as a simple query, which may hold
		// several statements.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			// Not dbErr: a unique violation here is a failed migration,
			// not a conflict for a client to see.
			return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, recordVersion, m.Version, m.Name, rowscan.ToMillis(rowscan.Now())); err != nil {
			return dbErr("migration "+m.Name+": record version", err)
		}
		return nil
	})
}

// SchemaVersion is the database's current schema version (compare
// LatestSchemaVersion).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.with(ctx, func(c *pgxpool.Conn) (err error) {
		v, err = schemaVersion(ctx, c)
		return err
	})
	return v, err
}
