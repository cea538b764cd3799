// Package dbtest gives tests a fresh, migrated database on every engine:
// always SQLite, and PostgreSQL (a fresh schema per test) when
// RAPPORT_TEST_POSTGRES holds a connection URL.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rapportcrm/rapport/internal/db"
)

// PostgresURL is the URL of the test PostgreSQL server, or "".
func PostgresURL() string { return os.Getenv("RAPPORT_TEST_POSTGRES") }

// Engines lists the engines tests run on here.
func Engines() []db.Engine {
	if PostgresURL() != "" {
		return []db.Engine{db.SQLite, db.Postgres}
	}
	return []db.Engine{db.SQLite}
}

// Run runs fn as a subtest once per engine, each with a fresh migrated
// database that is removed afterwards.
func Run(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Open returns a fresh migrated database on engine e.
func Open(t testing.TB, e db.Engine) *db.DB {
	t.Helper()
	d := OpenUnmigrated(t, Source(t, e))
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", e, err)
	}
	t.Cleanup(func() { checkContactLists(t, d) })
	return d
}

// OpenUnmigrated opens src and closes it when the test ends.
func OpenUnmigrated(t testing.TB, src db.Source) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), src)
	if err != nil {
		t.Fatalf("open %s: %v", src, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Source returns the source of a fresh, empty database on engine e: a file
// in the test's temporary folder, or a new PostgreSQL schema that is
// dropped when the test ends. Several processes may open it.
func Source(t testing.TB, e db.Engine) db.Source {
	t.Helper()
	if e == db.SQLite {
		return db.Source{Engine: db.SQLite, Path: filepath.Join(t.TempDir(), "rapport.db")}
	}
	base := PostgresURL()
	if base == "" {
		t.Skip("RAPPORT_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to RAPPORT_TEST_POSTGRES: %v", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("bad RAPPORT_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return db.Source{Engine: db.Postgres, URL: u.String()}
}

// Existing opens the database RAPPORT_BENCH_DB names, written as
// rapport demo --db takes it, if it is set: benchmarks measure an existing
// demo data set of a realistic size instead of building one each time.
func Existing(tb testing.TB) (*db.DB, bool) {
	tb.Helper()
	v := os.Getenv("RAPPORT_BENCH_DB")
	if v == "" {
		return nil, false
	}
	src, err := db.ParseSource(v)
	if err != nil {
		tb.Fatal(err)
	}
	return OpenUnmigrated(tb, src), true
}
