package app_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

func TestBackupAndRestoreCommands(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			if e == db.Postgres {
				if _, err := exec.LookPath("pg_dump"); err != nil && os.Getenv("CI") != "true" {
					t.Skip("pg_dump not installed")
				}
			}
			src := dbFlag(dbtest.Source(t, e))
			if code, _, stderr := run(t, "", false, "migrate", "--db", src); code != 0 {
				t.Fatalf("migrate: %s", stderr)
			}
			if code, _, stderr := run(t, "a long enough secret\n", false, "user", "create", "--email", "o@example.com", "--role", "owner", "--db", src); code != 0 {
				t.Fatalf("user create: %s", stderr)
			}
			out := filepath.Join(t.TempDir(), "b.backup")
			code, stdout, stderr := run(t, "", false, "backup", "--db", src, "--out", out)
			if code != 0 {
				t.Fatalf("backup: exit %d: %s", code, stderr)
			}
			for _, want := range []string{"Wrote " + out, "users 1, contacts 0", "tables,"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("backup printed %q, want %q", stdout, want)
				}
			}
			if !strings.Contains(stderr, "Backing up") || strings.Contains(stderr, "a long enough secret") {
				t.Errorf("backup progress: %q", stderr)
			}

			// The source is not empty: restoring into it is refused.
			code, _, stderr = run(t, "", false, "restore", out, "--db", src)
			if code != 1 || !strings.Contains(stderr, "is not empty: it has 1 users and 0 contacts") || !strings.Contains(stderr, "Nothing was changed") {
				t.Errorf("restore into the source: exit %d: %s", code, stderr)
			}
			target := dbFlag(dbtest.Source(t, db.SQLite))
			if e == db.Postgres {
				target = dbFlag(emptyDatabase(t))
			}
			// Flags before the file work as well as after it.
			code, stdout, stderr = run(t, "", false, "restore", "--db", target, out)
			if code != 0 {
				t.Fatalf("restore: exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "Restored "+out) || !strings.Contains(stdout, "users 1, contacts 0") {
				t.Errorf("restore printed %q", stdout)
			}
		})
	}
}

func TestBackupCommandInput(t *testing.T) {
	dir := t.TempDir()
	src := "sqlite:" + filepath.Join(dir, "r.db")
	other := filepath.Join(dir, "other.db")
	if d, err := db.Open(context.Background(), db.Source{Engine: db.SQLite, Path: other}); err != nil {
		t.Fatal(err)
	} else {
		d.W.Exec(`CREATE TABLE notes (body TEXT)`)
		d.Close()
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no out", []string{"backup", "--db", src}, 2, "--out FILE is required"},
		{"restore no file", []string{"restore", "--db", src}, 2, "name one backup file"},
		{"restore two files", []string{"restore", "a", "b", "--db", src}, 2, "name one backup file"},
		{"restore missing file", []string{"restore", filepath.Join(dir, "nope.db"), "--db", src}, 1, "no such file"},
		{"backup of no file", []string{"backup", "--db", src, "--out", filepath.Join(dir, "b.db")}, 1, "r.db: no such file or directory"},
		{"backup of another database", []string{"backup", "--db", "sqlite:" + other, "--out", filepath.Join(dir, "b.db")}, 1, "it is not a Rapport database"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, "", false, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, c.code, c.want)
			}
		})
	}
}

// emptyDatabase makes a new PostgreSQL database (the test schema of the
// backup exists in the test database) and returns its source.
func emptyDatabase(t *testing.T) db.Source {
	t.Helper()
	ctx := context.Background()
	base := dbtest.PostgresURL()
	d, err := db.Open(ctx, db.Source{Engine: db.Postgres, URL: base})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	name := "rapport_cli_" + strings.ReplaceAll(strings.ToLower(t.Name()), "/", "_")
	d.W.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	if _, err := d.W.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if d, err := db.Open(context.Background(), db.Source{Engine: db.Postgres, URL: base}); err == nil {
			d.W.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			d.Close()
		}
	})
	i := strings.LastIndex(base, "/")
	rest := base[i+1:]
	q := ""
	if j := strings.Index(rest, "?"); j >= 0 {
		q = rest[j:]
	}
	return db.Source{Engine: db.Postgres, URL: base[:i+1] + name + q}
}
