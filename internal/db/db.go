// Package db opens Rapport's database on SQLite or PostgreSQL, applies the
// migrations and runs transactions. SQL is written once with $1, $2
// placeholders; the few real differences between the engines sit behind
// methods of Dialect.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Engine names a database engine.
type Engine string

// The supported engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is an open Rapport database. On SQLite, W holds the single writer
// connection and R a read-only pool; on PostgreSQL both are the same pool.
type DB struct {
	Engine Engine
	// W runs writes and transactions.
	W *sql.DB
	// R runs reads that need not see an open transaction's writes.
	R *sql.DB
	// Pool is the pgx pool on PostgreSQL, nil on SQLite.
	Pool *pgxpool.Pool
	// Path is the SQLite file, empty on PostgreSQL.
	Path string
}

// Source is a parsed --db value.
type Source struct {
	Engine Engine
	// Path is the SQLite file path.
	Path string
	// URL is the PostgreSQL connection URL.
	URL string
}

// ParseSource parses a --db value: "sqlite:PATH" or "postgres://..." (also
// "postgresql://...").
func ParseSource(s string) (Source, error) {
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		p := strings.TrimPrefix(s, "sqlite:")
		p = strings.TrimPrefix(p, "//") // sqlite:///abs/path.db
		if p == "" {
			return Source{}, errors.New("sqlite: needs a file path, e.g. sqlite:rapport.db")
		}
		return Source{Engine: SQLite, Path: p}, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return Source{}, errors.New("postgres URL needs a host, e.g. postgres://user@localhost:5432/rapport")
		}
		return Source{Engine: Postgres, URL: s}, nil
	}
	return Source{}, errors.New("accepted forms are sqlite:PATH and postgres://USER@HOST:PORT/DB")
}

// String returns the source without any password, for logs and messages.
func (s Source) String() string {
	if s.Engine == SQLite {
		return "sqlite:" + s.Path
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return "postgres://?"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.String()
}

// Open connects to the database named by src and checks that it answers.
// It does not migrate.
func Open(ctx context.Context, src Source) (*DB, error) {
	switch src.Engine {
	case SQLite:
		return openSQLite(ctx, src.Path)
	case Postgres:
		return openPostgres(ctx, src.URL)
	}
	return nil, fmt.Errorf("unknown engine %q", src.Engine)
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(abs)
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("folder %s does not exist", dir)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	if err := checkWritable(abs); err != nil {
		return nil, err
	}
	// busy_timeout must cover a second process starting on the same file;
	// _txlock=immediate takes the write lock at BEGIN so two writers never
	// deadlock upgrading read locks.
	base := "file:" + (&url.URL{Path: abs}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	// The writer keeps 32 MB of pages (SQLite's default is 2 MB): imports
	// and bulk changes seek all over the email and search indexes, and
	// each page read again costs a system call.
	w, err := sql.Open("sqlite", base+"&_pragma=journal_mode(WAL)&_txlock=immediate&_pragma=cache_size(-32768)")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", abs, err)
	}
	r, err := openCachingSQLite(base + "&_pragma=query_only(1)&_pragma=cache_size(-8192)")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	return &DB{Engine: SQLite, W: w, R: r, Path: abs}, nil
}

// checkWritable reports an unwritable file or folder before SQLite creates
// half a database (the -wal and -shm files live beside the main file).
func checkWritable(path string) error {
	if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
		f.Close()
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cannot write %s: %v", path, errors.Unwrap(err))
	}
	probe, err := os.CreateTemp(filepath.Dir(path), ".rapport-write-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in folder %s", filepath.Dir(path))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("bad postgres URL: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to %s:%d: %s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, pgShort(err))
	}
	sdb := stdlib.OpenDBFromPool(pool)
	return &DB{Engine: Postgres, W: sdb, R: sdb, Pool: pool}, nil
}

// pgShort turns pgx's long connection errors into their last, useful part.
func pgShort(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return s
}

// Close closes every pool.
func (d *DB) Close() error {
	var errs []error
	if d.R != d.W {
		errs = append(errs, d.R.Close())
	}
	errs = append(errs, d.W.Close())
	if d.Pool != nil {
		d.Pool.Close()
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	return d.R.PingContext(ctx)
}

// Querier runs queries: a *sql.DB, a *sql.Tx or a *Tx.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// IsUniqueViolation reports whether err comes from a UNIQUE constraint.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
