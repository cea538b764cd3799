package db_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/migrations"
)

// A migration that fails half-way leaves nothing of itself behind and the
// error names it.
func TestFailedMigrationLeavesDatabaseAsItWas(t *testing.T) {
	broken := fstest.MapFS{}
	for _, dir := range []string{"sqlite", "postgres"} {
		good, err := fs.ReadFile(migrations.FS, dir+"/00001_foundation.sql")
		if err != nil {
			t.Fatal(err)
		}
		broken[dir+"/00001_foundation.sql"] = &fstest.MapFile{Data: good}
		broken[dir+"/00002_broken.sql"] = &fstest.MapFile{Data: []byte(
			"-- +goose Up\nCREATE TABLE half_done (x integer);\nCREATE TABLE broken (;\n")}
	}
	restore := db.SetSource(broken)
	defer restore()
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			d := dbtest.OpenUnmigrated(t, dbtest.Source(t, e))
			ctx := context.Background()
			_, err := d.Migrate(ctx)
			var me *db.MigrationError
			if !errors.As(err, &me) || !strings.Contains(me.Name, "00002_broken.sql") {
				t.Fatalf("Migrate = %v, want a MigrationError naming 00002_broken.sql", err)
			}
			var n int
			if err := d.R.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
				t.Errorf("migration 00001 should be applied: %v", err)
			}
			if _, err := d.R.ExecContext(ctx, "SELECT * FROM half_done"); err == nil {
				t.Errorf("table half_done exists; the failed migration was not rolled back")
			}
		})
	}
}
