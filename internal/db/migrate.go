package db

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/rapportcrm/rapport/migrations"
)

// MigrationError names the migration that failed. The failed migration ran
// in its own transaction, so the database is as it was before it.
type MigrationError struct {
	Name string
	Err  error
}

func (e *MigrationError) Error() string {
	return fmt.Sprintf("migration %s failed: %v", e.Name, e.Err)
}

func (e *MigrationError) Unwrap() error { return e.Err }

// source is where migrations come from; tests swap it for a broken set.
var source fs.FS = migrations.FS

func (d *DB) provider() (*goose.Provider, error) {
	dialect, dir := goose.DialectSQLite3, "sqlite"
	if d.Engine == Postgres {
		dialect, dir = goose.DialectPostgres, "postgres"
	}
	sub, err := fs.Sub(source, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, d.W, sub, goose.WithDisableGlobalRegistry(true))
}

// Migrate applies the job queue's migrations, then Rapport's own. On
// PostgreSQL a session advisory lock (per schema) lets any number of
// processes start at once; on SQLite the single writer serialises them.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	if d.Engine == Postgres {
		conn, err := d.Pool.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		defer conn.Release()
		var schema string
		if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return nil, err
		}
		h := fnv.New64a()
		h.Write([]byte("rapport-migrate:" + schema))
		key := int64(h.Sum64())
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
			return nil, fmt.Errorf("take migration lock: %w", err)
		}
		defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
	}
	if err := d.migrateRiver(ctx); err != nil {
		return nil, &MigrationError{Name: "job queue schema", Err: err}
	}
	p, err := d.provider()
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	var applied []string
	for _, r := range results {
		applied = append(applied, r.Source.Path)
	}
	if err != nil {
		var pe *goose.PartialError
		if errors.As(err, &pe) {
			for _, r := range pe.Applied {
				applied = append(applied, r.Source.Path)
			}
			return applied, &MigrationError{Name: pe.Failed.Source.Path, Err: pe.Err}
		}
		return applied, err
	}
	return applied, nil
}

func (d *DB) migrateRiver(ctx context.Context) error {
	if d.Engine == Postgres {
		m, err := rivermigrate.New(riverpgxv5.New(d.Pool), nil)
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	}
	m, err := rivermigrate.New(riversqlite.New(d.W), nil)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// Pending reports whether any of Rapport's migrations has not been applied.
func (d *DB) Pending(ctx context.Context) (bool, error) {
	p, err := d.provider()
	if err != nil {
		return false, err
	}
	return p.HasPending(ctx)
}
