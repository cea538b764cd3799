package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
)

// openSQLiteFile opens path on a connection of its own; query adds URI
// parameters such as "mode=ro".
func openSQLiteFile(ctx context.Context, path, query string) (*sql.DB, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?_pragma=busy_timeout(10000)"
	if query != "" {
		dsn += "&" + query
	}
	c, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	c.SetMaxOpenConns(1)
	if err := c.PingContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return c, nil
}

// sqliteBackup copies the database into the empty file tmp with VACUUM
// INTO. It reads inside one read transaction, which in WAL mode neither
// blocks the writer nor sees writes that commit after it began.
func (s *Service) sqliteBackup(ctx context.Context, tmp string) error {
	c, err := openSQLiteFile(ctx, s.db.Path, "")
	if err != nil {
		return err
	}
	defer c.Close()
	var n int
	if err := c.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`, migrationTable).Scan(&n); err != nil {
		return fmt.Errorf("read %s: %w", s.db.Path, err)
	}
	if n == 0 {
		return fmt.Errorf("%s has no %s table: it is not a Rapport database", s.db.Path, migrationTable)
	}
	if _, err := c.ExecContext(ctx, `VACUUM INTO $1`, tmp); err != nil {
		return fmt.Errorf("copy database: %w", err)
	}
	return nil
}

// verifySQLite checks a SQLite backup file and returns its table counts:
// the file passes integrity_check and holds the migration table.
func verifySQLite(ctx context.Context, path string) (map[string]int64, error) {
	c, err := openSQLiteFile(ctx, path, "mode=ro")
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := integrityCheck(ctx, c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tables, err := sqliteTables(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, ok := tables[migrationTable]; !ok {
		return nil, fmt.Errorf("%s has no %s table: it is not a Rapport database", path, migrationTable)
	}
	return tables, nil
}

// migrationTable is goose's record of applied migrations; every Rapport
// database has it.
const migrationTable = "goose_db_version"

func integrityCheck(ctx context.Context, c *sql.DB) error {
	rows, err := c.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], "...")
		}
		return fmt.Errorf("integrity check failed: %s", strings.Join(problems, "; "))
	}
	return nil
}

// sqliteTables counts the rows of every ordinary table (not the full-text
// index, whose shadow tables are its own business).
func sqliteTables(ctx context.Context, c *sql.DB) (map[string]int64, error) {
	rows, err := c.QueryContext(ctx, `SELECT name FROM pragma_table_list
		WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	counts := make(map[string]int64, len(names))
	for _, n := range names {
		var k int64
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM "`+strings.ReplaceAll(n, `"`, `""`)+`"`).Scan(&k); err != nil {
			return nil, fmt.Errorf("count %s: %w", n, err)
		}
		counts[n] = k
	}
	return counts, nil
}

// dataCounts returns the number of users and contacts, the two tables whose
// rows make a database "not empty"; a missing table counts as empty.
func dataCounts(tables map[string]int64) (users, contacts int64) {
	return tables["users"], tables["contacts"]
}

// restoreSQLite puts the backup file in place of the database at target,
// which must not exist or hold no users and no contacts.
func restoreSQLite(ctx context.Context, file, target string) (Result, error) {
	start := time.Now()
	if sameFile(file, target) {
		return Result{}, fmt.Errorf("%s is the database itself", file)
	}
	if err := checkEmptySQLite(ctx, target); err != nil {
		return Result{}, err
	}
	tmp, err := tempNextTo(target)
	if err != nil {
		return Result{}, err
	}
	defer os.Remove(tmp)
	if err := copyFile(file, tmp); err != nil {
		return Result{}, err
	}
	// The copy is what goes live: it is what gets checked.
	if _, err := verifySQLite(ctx, tmp); err != nil {
		return Result{}, fmt.Errorf("the backup %s is not usable: %w", file, err)
	}
	// The old file's journal must not be replayed into the new one.
	for _, p := range []string{target + "-wal", target + "-shm", target + "-journal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return Result{}, err
		}
	}
	size, err := commit(tmp, target)
	if err != nil {
		return Result{}, err
	}
	return Result{Path: target, Engine: db.SQLite, Size: size, Started: start}, nil
}

// checkEmptySQLite refuses a target that holds users or contacts, or that
// another process has open. It leaves an existing target out of WAL mode,
// so no -wal file is left beside it.
func checkEmptySQLite(ctx context.Context, target string) error {
	st, err := os.Stat(target)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return nil
	}
	c, err := openSQLiteFile(ctx, target, "")
	if err != nil {
		return err
	}
	defer c.Close()
	tables, err := sqliteTables(ctx, c)
	if err != nil {
		return fmt.Errorf("%s is not a database Rapport can read: %w", target, err)
	}
	if err := notEmpty(target, tables); err != nil {
		return err
	}
	// Leaving WAL mode needs the only connection to the file: it fails
	// while a server has the database open.
	if _, err := c.ExecContext(ctx, `PRAGMA busy_timeout = 2000`); err != nil {
		return err
	}
	var mode string
	if err := c.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode); err != nil || mode != "delete" {
		return fmt.Errorf("%s is in use by another process (is rapport serve running?): stop it before restoring", target)
	}
	return nil
}

// notEmpty refuses a target that has users or contacts, or tables of
// something else than Rapport (which a restore would replace).
func notEmpty(target string, tables map[string]int64) error {
	if _, ok := tables[migrationTable]; !ok && len(tables) > 0 {
		names := make([]string, 0, len(tables))
		for n := range tables {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) > 3 {
			names = append(names[:3], "...")
		}
		return &kindError{kind: ErrNotEmpty, msg: fmt.Sprintf("%s holds tables that are not Rapport's (%s); restore only into a new, empty database",
			target, strings.Join(names, ", "))}
	}
	users, contacts := dataCounts(tables)
	if users > 0 || contacts > 0 {
		return &kindError{kind: ErrNotEmpty, msg: fmt.Sprintf("%s is not empty: it has %d users and %d contacts; restore only into a new, empty database",
			target, users, contacts)}
	}
	return nil
}

// ErrNotEmpty is returned by Restore when the target database has users or
// contacts.
var ErrNotEmpty = errors.New("the target database is not empty")

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", from, err)
	}
	return out.Close()
}
