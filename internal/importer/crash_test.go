package importer_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/importer"
	"github.com/rapportcrm/rapport/internal/user"
)

const (
	envCrashDB     = "RAPPORT_IMPORT_CRASH_DB"
	envCrashDir    = "RAPPORT_IMPORT_CRASH_DIR"
	envCrashImport = "RAPPORT_IMPORT_CRASH_ID"
	envCrashUndo   = "RAPPORT_IMPORT_CRASH_UNDO"
)

// TestImportCrashChild runs an import in a process the crash test kills.
func TestImportCrashChild(t *testing.T) {
	raw := os.Getenv(envCrashDB)
	if raw == "" {
		return
	}
	ctx := context.Background()
	src, err := db.ParseSource(raw)
	if err == nil {
		var d *db.DB
		if d, err = db.Open(ctx, src); err == nil {
			users := user.NewService(d)
			imp := importer.New(importer.Options{DB: d, Contacts: contact.NewService(d, users),
				Companies: company.NewService(d, users), Users: users, Dir: os.Getenv(envCrashDir), Batch: 25})
			actx := access.WithActor(ctx, access.SystemActor)
			if os.Getenv(envCrashUndo) != "" {
				_, err = imp.Undo(actx, os.Getenv(envCrashImport))
			} else {
				_, err = imp.Run(actx, os.Getenv(envCrashImport), false, nil)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "import child ended: %v\n", err)
	os.Exit(3)
}

// TestImportResumesAfterCrash kills the process running an import part of
// the way through, resumes it, and finds every row imported exactly once.
func TestImportResumesAfterCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, eng := range dbtest.Engines() {
		t.Run(string(eng), func(t *testing.T) {
			src := dbtest.Source(t, eng)
			d := dbtest.OpenUnmigrated(t, src)
			if _, err := d.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			ctx, _ := fixture.User(t, d, "owner")
			ctx = access.WithActor(ctx, access.SystemActor)
			users := user.NewService(d)
			dir := filepath.Join(t.TempDir(), "imports")
			imp := importer.New(importer.Options{DB: d, Contacts: contact.NewService(d, users),
				Companies: company.NewService(d, users), Users: users, Dir: dir, Batch: 25})
			const rows = 3000
			im, err := imp.Upload(ctx, importer.Contacts, "big.csv", strings.NewReader(bigCSV(rows)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := imp.Configure(ctx, im.ID, importer.Settings{}); err != nil {
				t.Fatal(err)
			}
			raw := "sqlite:" + src.Path
			if eng == db.Postgres {
				raw = src.URL
			}
			killAt(t, d, raw, dir, im.ID, "", `SELECT rows_done FROM imports WHERE id = $1`, 200, rows)
			var at int64
			d.R.QueryRowContext(ctx, `SELECT rows_done FROM imports WHERE id = $1`, im.ID).Scan(&at)
			t.Logf("killed at row %d of %d", at, rows)

			im, err = imp.Run(ctx, im.ID, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if im.Status != importer.Done || im.RowsDone != rows || im.Created != rows {
				t.Errorf("resumed import: %s, %d rows, %d created; want done, %d and %d", im.Status, im.RowsDone, im.Created, rows, rows)
			}
			var contacts, distinct, lines int
			d.R.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT email) FROM contacts`).Scan(&contacts, &distinct)
			d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM import_rows WHERE import_id = $1`, im.ID).Scan(&lines)
			if contacts != rows || distinct != rows || lines != rows {
				t.Errorf("%d contacts (%d distinct emails), %d import rows; want %d of each", contacts, distinct, lines, rows)
			}

			// Undo dies part of the way too, and resumes: every contact
			// is removed exactly once.
			killAt(t, d, raw, dir, im.ID, "1", `SELECT undo_done FROM imports WHERE id = $1`, 400, rows)
			d.R.QueryRowContext(ctx, `SELECT undo_done FROM imports WHERE id = $1`, im.ID).Scan(&at)
			t.Logf("undo killed at row %d of %d", at, rows)
			if im, err = imp.RunUndo(ctx, im.ID); err != nil {
				t.Fatal(err)
			}
			var live, deleted, marked int
			d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts WHERE deleted_at IS NULL`).Scan(&live)
			d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE kind = 'contact.deleted'`).Scan(&deleted)
			d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM import_rows WHERE import_id = $1 AND undo = 'removed'`, im.ID).Scan(&marked)
			if im.Status != importer.Undone || im.Undo.Removed != rows || im.Undo.Done != rows || live != 0 || deleted != rows || marked != rows {
				t.Errorf("resumed undo: %s, %+v; %d live contacts, %d deleted events, %d rows marked removed; want undone, %d removed once",
					im.Status, im.Undo, live, deleted, marked, rows)
			}
		})
	}
}

// killAt runs the import (or, with undo set, its undo) in a child process
// and kills it once query (of the import's id) reads at least at, before
// it reaches all.
func killAt(t *testing.T, d *db.DB, raw, dir, importID, undo, query string, at, all int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestImportCrashChild$")
	cmd.Env = append(os.Environ(), envCrashDB+"="+raw, envCrashDir+"="+dir, envCrashImport+"="+importID, envCrashUndo+"="+undo)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(60 * time.Second)
	var done int64
	for {
		if err := d.R.QueryRowContext(context.Background(), query, importID).Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done >= at || time.Now().After(deadline) {
			break
		}
		select {
		case <-exited:
			t.Fatalf("the child process ended before it was killed (at row %d):\n%s", done, out.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	cmd.Process.Kill()
	<-exited
	if done >= all {
		t.Fatalf("the child finished (%d rows) before it could be killed", done)
	}
}
