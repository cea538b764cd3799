package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rapportcrm/rapport/internal/db"
)

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// PgRestore is the pg_restore program; empty means pg_restore on PATH.
	PgRestore string
}

// Restore puts the backup in file into the database src, which must be
// empty (no users and no contacts; a new SQLite file or PostgreSQL schema
// is), then applies the migrations the backup predates. The result counts
// the restored tables. Rapport must not be running on src meanwhile.
func Restore(ctx context.Context, src db.Source, file string, o RestoreOptions) (Result, error) {
	start := time.Now()
	kind, err := Kind(file)
	if err != nil {
		return Result{}, err
	}
	if kind != src.Engine {
		return Result{}, fmt.Errorf("restore: %s is a %s backup, but the database %s is %s", file, engineName(kind), src, engineName(src.Engine))
	}
	var res Result
	switch src.Engine {
	case db.SQLite:
		res, err = restoreSQLite(ctx, file, src.Path)
	case db.Postgres:
		res, err = restorePostgres(ctx, src, file, o)
	default:
		err = fmt.Errorf("unknown engine %q", src.Engine)
	}
	if err != nil {
		return Result{}, fmt.Errorf("restore: %w", err)
	}
	d, err := db.Open(ctx, src)
	if err != nil {
		return Result{}, fmt.Errorf("restore: open the restored database: %w", err)
	}
	defer d.Close()
	if res.Migrations, err = d.Migrate(ctx); err != nil {
		return Result{}, fmt.Errorf("restore: bring the restored database up to date: %w", err)
	}
	if res.Tables, err = Count(ctx, d); err != nil {
		return Result{}, fmt.Errorf("restore: %w", err)
	}
	res.Started, res.Duration = start, time.Since(start)
	return res, nil
}

func engineName(e db.Engine) string {
	if e == db.Postgres {
		return "PostgreSQL"
	}
	return "SQLite"
}

// Count returns the row count of every table of d (on PostgreSQL, of its
// schema), as a backup's Tables would list them.
func Count(ctx context.Context, d *db.DB) (map[string]int64, error) {
	if d.Engine == db.SQLite {
		return sqliteTables(ctx, d.R)
	}
	var schema string
	if err := d.Pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return nil, err
	}
	return pgTables(ctx, d.Pool, schema)
}

// restorePostgres restores the archive into the schema the URL of src
// selects (its search_path). The archive names its own schema; when that
// differs, the archive is restored under its name and its objects are then
// moved into the target schema, which keeps the target's owner and grants.
func restorePostgres(ctx context.Context, src db.Source, file string, o RestoreOptions) (Result, error) {
	start := time.Now()
	d, err := db.Open(ctx, src)
	if err != nil {
		return Result{}, err
	}
	defer d.Close()
	restore, err := program(ctx, "pg_restore", o.PgRestore, d.Pool)
	if err != nil {
		return Result{}, err
	}
	entries, err := listArchive(ctx, restore, file)
	if err != nil {
		return Result{}, fmt.Errorf("the backup is not usable: %w", err)
	}
	from, err := archiveSchema(entries)
	if err != nil {
		return Result{}, err
	}
	var target *string
	if err := d.Pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&target); err != nil {
		return Result{}, err
	}
	if target == nil {
		return Result{}, errors.New("the schema named by the database URL's search_path does not exist: create it first (CREATE SCHEMA ...)")
	}
	to := *target
	tables, err := pgTables(ctx, d.Pool, to)
	if err != nil {
		return Result{}, err
	}
	if err := notEmpty(src.String(), tables); err != nil {
		return Result{}, err
	}
	if from != to {
		var exists bool
		if err := d.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, from).Scan(&exists); err != nil {
			return Result{}, err
		}
		if exists {
			return Result{}, fmt.Errorf("the backup holds the schema %q, which already exists in this database: restore into another database, "+
				"or into the schema %q after dropping it", from, from)
		}
	}
	// The target has no users and no contacts: what is left there (an
	// empty, migrated schema) makes way for the backup's tables.
	if err := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error { return schemaObjects(ctx, tx, to, dropObject) }); err != nil {
		return Result{}, fmt.Errorf("clear the schema %s: %w", to, err)
	}
	args := []string{"--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"}
	if from == to {
		// The schema exists: restore everything but its creation.
		list, err := listWithout(entries, from)
		if err != nil {
			return Result{}, err
		}
		defer os.Remove(list)
		args = append(args, "--use-list="+list)
	}
	if err := runTool(ctx, restore, src.URL, append(args, file)...); err != nil {
		return Result{}, err
	}
	if from != to {
		err := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
			if err := schemaObjects(ctx, tx, from, moveObject(to)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{from}.Sanitize())
			return err
		})
		if err != nil {
			d.Pool.Exec(context.WithoutCancel(ctx), `DROP SCHEMA IF EXISTS `+pgx.Identifier{from}.Sanitize()+` CASCADE`)
			return Result{}, fmt.Errorf("move the restored tables from schema %s to %s: %w", from, to, err)
		}
	}
	st, err := os.Stat(file)
	if err != nil {
		return Result{}, err
	}
	return Result{Path: file, Engine: db.Postgres, Size: st.Size(), Started: start}, nil
}

// listWithout writes a pg_restore --use-list file of every entry but the
// creation of schema (and its comment), which exists already.
func listWithout(entries []tocEntry, schema string) (string, error) {
	f, err := os.CreateTemp("", "rapport-restore-*.list")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range entries {
		if isSchemaEntry(e, schema) {
			continue
		}
		b.WriteString(e.Line + "\n")
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return "", err
	}
	return f.Name(), f.Close()
}

// isSchemaEntry reports whether e creates schema or comments on it:
// "SCHEMA - public owner" or "COMMENT - SCHEMA public owner".
func isSchemaEntry(e tocEntry, schema string) bool {
	f := e.Fields
	switch e.Desc {
	case "SCHEMA":
		return len(f) >= 2 && f[0] == "-" && f[1] == schema
	case "COMMENT":
		return len(f) >= 3 && f[0] == "-" && f[1] == "SCHEMA" && f[2] == schema
	}
	return false
}

// schemaObjects calls fn on the objects of schema, kind by kind: tables
// first (they take their indexes, constraints, triggers and owned sequences
// along), then other relations, routines and types. Each kind is listed
// after the previous one was handled.
func schemaObjects(ctx context.Context, tx pgx.Tx, schema string, fn func(ctx context.Context, tx pgx.Tx, kind, ident string) error) error {
	for _, q := range objectQueries {
		rows, err := tx.Query(ctx, q, schema)
		if err != nil {
			return err
		}
		type obj struct{ kind, ident string }
		objs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (obj, error) {
			var o obj
			return o, r.Scan(&o.kind, &o.ident)
		})
		if err != nil {
			return err
		}
		for _, o := range objs {
			if err := fn(ctx, tx, o.kind, o.ident); err != nil {
				return err
			}
		}
	}
	return nil
}

var objectQueries = []string{
	`SELECT CASE c.relkind WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, format('%I.%I', n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'f') ORDER BY c.oid`,
	`SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'SEQUENCE' END, format('%I.%I', n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('v', 'm', 'S') ORDER BY c.oid`,
	`SELECT 'ROUTINE', format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = $1 ORDER BY p.oid`,
	`SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, format('%I.%I', n.nspname, t.typname)
		FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
		WHERE n.nspname = $1 AND (t.typtype IN ('e', 'd', 'r')
			OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
		ORDER BY t.oid`,
}

func dropObject(ctx context.Context, tx pgx.Tx, kind, ident string) error {
	_, err := tx.Exec(ctx, `DROP `+kind+` IF EXISTS `+ident+` CASCADE`)
	return err
}

func moveObject(to string) func(ctx context.Context, tx pgx.Tx, kind, ident string) error {
	return func(ctx context.Context, tx pgx.Tx, kind, ident string) error {
		_, err := tx.Exec(ctx, `ALTER `+kind+` `+ident+` SET SCHEMA `+pgx.Identifier{to}.Sanitize())
		return err
	}
}
