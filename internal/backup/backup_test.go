package backup_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/backup"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/demo"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/user"
)

// run runs fn on every engine with a fresh migrated database and its
// source; on PostgreSQL it needs pg_dump, and skips without it unless CI
// is "true".
func run(t *testing.T, fn func(t *testing.T, d *db.DB, src db.Source)) {
	t.Helper()
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			if e == db.Postgres {
				needPgTools(t)
			}
			src := dbtest.Source(t, e)
			d := dbtest.OpenUnmigrated(t, src)
			if _, err := d.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			fn(t, d, src)
		})
	}
}

func needPgTools(t *testing.T) {
	t.Helper()
	for _, p := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is needed for PostgreSQL backups: %v", p, err)
			}
			t.Skipf("%s not installed", p)
		}
	}
}

func newService(t *testing.T, d *db.DB, src db.Source) *backup.Service {
	return backup.NewService(backup.Options{DB: d, Source: src, DataDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

var system = access.WithActor(context.Background(), access.SystemActor)

// emptyTarget returns the source of a new, empty database to restore into:
// a new SQLite file, or on PostgreSQL a schema in a new database (the
// backup's own schema still exists in the test database).
func emptyTarget(t *testing.T, e db.Engine, schema string) db.Source {
	t.Helper()
	if e == db.SQLite {
		return db.Source{Engine: db.SQLite, Path: filepath.Join(t.TempDir(), "restored.db")}
	}
	ctx := context.Background()
	base, err := url.Parse(dbtest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, base.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name := "rapport_restore_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	admin := base.String()
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	base.Path = "/" + name
	if schema != "public" {
		tc, err := pgx.Connect(ctx, base.String())
		if err != nil {
			t.Fatal(err)
		}
		defer tc.Close(ctx)
		if _, err := tc.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
			t.Fatal(err)
		}
	}
	q := base.Query()
	q.Set("search_path", schema)
	base.RawQuery = q.Encode()
	return db.Source{Engine: db.Postgres, URL: base.String()}
}

func currentSchema(t *testing.T, d *db.DB) string {
	t.Helper()
	var s string
	if err := d.R.QueryRow(`SELECT current_schema()`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// loader inserts contacts through the contact service until stopped and
// remembers the ID of every committed one, in order.
type loader struct {
	mu   sync.Mutex
	ids  []string
	errs []error
	stop chan struct{}
	done chan struct{}
}

func startLoader(ctx context.Context, contacts *contact.Service) *loader {
	l := &loader{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for i := 0; ; i++ {
			select {
			case <-l.stop:
				return
			default:
			}
			c, err := contacts.Create(ctx, contact.Input{FirstName: fixture.Ptr("Load"), LastName: fixture.Ptr(fmt.Sprint(i)),
				Emails: &[]contact.Email{{Address: fmt.Sprintf("load%d@example.com", i)}}, Tags: &[]string{"load"}})
			l.mu.Lock()
			if err != nil {
				l.errs = append(l.errs, err)
			} else {
				l.ids = append(l.ids, c.ID)
			}
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *loader) committed() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ids...)
}

func (l *loader) finish(t *testing.T) {
	close(l.stop)
	<-l.done
	if len(l.errs) > 0 {
		t.Fatalf("%d inserts failed during the backup, first: %v", len(l.errs), l.errs[0])
	}
}

func TestBackupUnderLoadThenRestore(t *testing.T) {
	run(t, func(t *testing.T, d *db.DB, src db.Source) {
		ctx := context.Background()
		if _, err := demo.Generate(ctx, d, demo.Options{Contacts: 2000, Seed: 3}); err != nil {
			t.Fatal(err)
		}
		actx, _ := fixture.User(t, d, "admin")
		l := startLoader(actx, contact.NewService(d, user.NewService(d)))
		for len(l.committed()) < 20 {
			time.Sleep(5 * time.Millisecond)
		}

		svc := newService(t, d, src)
		out := filepath.Join(t.TempDir(), "backup.file")
		before := l.committed()
		res, err := svc.Write(system, out)
		during := len(l.committed()) - len(before)
		time.Sleep(50 * time.Millisecond)
		l.finish(t)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: backup of %d contacts: %d bytes in %s; %d contacts committed while it ran",
			d.Engine, res.Tables["contacts"], res.Size, res.Duration.Round(time.Millisecond), during)
		if during == 0 {
			t.Error("no insert committed while the backup ran: the test did not back up under load")
		}
		after := len(l.committed())
		if got, lo, hi := res.Tables["contacts"], int64(2000+len(before)), int64(2000+after); got < lo || got > hi {
			t.Errorf("backup holds %d contacts, want between %d and %d", got, lo, hi)
		}
		if st, err := os.Stat(out); err != nil || st.Size() != res.Size {
			t.Errorf("backup file: %v, size %v, want %d", err, st, res.Size)
		}
		if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*")); len(leftovers) > 0 {
			t.Errorf("temporary files left: %v", leftovers)
		}

		target := emptyTarget(t, d.Engine, "restored")
		rres, err := backup.Restore(ctx, target, out, backup.RestoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range res.TableNames() {
			if rres.Tables[n] != res.Tables[n] {
				t.Errorf("table %s: %d rows restored, %d in the backup", n, rres.Tables[n], res.Tables[n])
			}
		}
		r := dbtest.OpenUnmigrated(t, target)
		if pending, err := r.Pending(ctx); err != nil || pending {
			t.Errorf("restored database: pending migrations %v, %v", pending, err)
		}
		present := map[string]bool{}
		rows, err := r.R.QueryContext(ctx, `SELECT id FROM contacts WHERE last_name <> '' AND first_name = 'Load'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			present[id] = true
		}
		rows.Close()
		for _, id := range before {
			if !present[id] {
				t.Fatalf("contact %s, committed before the backup started, is missing after restore", id)
			}
		}
		consistent(t, r)
		if d.Engine == db.Postgres {
			if s := currentSchema(t, r); s != "restored" {
				t.Errorf("restored into schema %q", s)
			}
			var left bool
			r.R.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, currentSchema(t, d)).Scan(&left)
			if left {
				t.Error("the backup's own schema is left in the target database")
			}
		}
	})
}

// consistent checks the restored database: integrity_check on SQLite, and
// on both that every row pointing at a contact finds it.
func consistent(t *testing.T, r *db.DB) {
	t.Helper()
	ctx := context.Background()
	if r.Engine == db.SQLite {
		var ok string
		if err := r.R.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
			t.Errorf("integrity_check: %q, %v", ok, err)
		}
	}
	var orphans int
	err := r.R.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM contact_emails e WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = e.contact_id)) +
		(SELECT count(*) FROM contact_tags x WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = x.contact_id))`).Scan(&orphans)
	if err != nil || orphans != 0 {
		t.Errorf("%d rows point at missing contacts (%v)", orphans, err)
	}
}

func TestRestoreIntoSameSchemaName(t *testing.T) {
	if dbtest.PostgresURL() == "" {
		t.Skip("PostgreSQL only: the backup's schema name is reused in a new database")
	}
	needPgTools(t)
	ctx := context.Background()
	src := dbtest.Source(t, db.Postgres)
	d := dbtest.OpenUnmigrated(t, src)
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	actx, _ := fixture.User(t, d, "owner")
	c, err := contact.NewService(d, user.NewService(d)).Create(actx, contact.Input{FirstName: fixture.Ptr("Ada")})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "b.dump")
	if _, err := newService(t, d, src).Write(system, out); err != nil {
		t.Fatal(err)
	}
	// Another schema of the same database: the backup's schema name is
	// taken there, by the live source.
	if _, err := backup.Restore(ctx, dbtest.Source(t, db.Postgres), out, backup.RestoreOptions{}); err == nil ||
		!strings.Contains(err.Error(), "which already exists in this database") {
		t.Errorf("restore next to the source: %v", err)
	}
	// The target schema has the same name and is migrated but empty.
	target := emptyTarget(t, db.Postgres, currentSchema(t, d))
	td := dbtest.OpenUnmigrated(t, target)
	if _, err := td.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := backup.Restore(ctx, target, out, backup.RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tables["contacts"] != 1 || res.Tables["users"] != 1 {
		t.Errorf("restored %v", res.Tables)
	}
	var name string
	if err := td.R.QueryRow(`SELECT first_name FROM contacts WHERE id = $1`, c.ID).Scan(&name); err != nil || name != "Ada" {
		t.Errorf("restored contact: %q, %v", name, err)
	}
}

func TestRestoreRefusesNonEmptyDatabase(t *testing.T) {
	run(t, func(t *testing.T, d *db.DB, src db.Source) {
		ctx := context.Background()
		fixture.User(t, d, "owner")
		out := filepath.Join(t.TempDir(), "b")
		if _, err := newService(t, d, src).Write(system, out); err != nil {
			t.Fatal(err)
		}
		// A database with a user in it, even without contacts, is refused.
		tsrc := dbtest.Source(t, d.Engine)
		target := dbtest.OpenUnmigrated(t, tsrc)
		if _, err := target.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		_, u := fixture.User(t, target, "owner")
		_, err := backup.Restore(ctx, tsrc, out, backup.RestoreOptions{})
		if !errors.Is(err, backup.ErrNotEmpty) || !strings.Contains(err.Error(), "1 users and 0 contacts") {
			t.Fatalf("restore into a database with a user: %v, want ErrNotEmpty", err)
		}
		if got, err := user.NewService(target).ByID(ctx, u.ID); err != nil || got.Email != u.Email {
			t.Errorf("the refused target changed: %v, %v", got, err)
		}
		// So is a database of something else.
		other := dbtest.Source(t, d.Engine)
		od := dbtest.OpenUnmigrated(t, other)
		if _, err := od.W.Exec(`CREATE TABLE notes (body TEXT)`); err != nil {
			t.Fatal(err)
		}
		_, err = backup.Restore(ctx, other, out, backup.RestoreOptions{})
		if !errors.Is(err, backup.ErrNotEmpty) || !strings.Contains(err.Error(), "holds tables that are not Rapport's (notes)") {
			t.Errorf("restore into another application's database: %v", err)
		}
		if _, err := od.W.Exec(`INSERT INTO notes VALUES ('kept')`); err != nil {
			t.Errorf("the other database's table is gone: %v", err)
		}
		// The wrong kind of file is refused before anything happens.
		bad := filepath.Join(t.TempDir(), "notes.txt")
		os.WriteFile(bad, []byte("hello"), 0o600)
		if _, err := backup.Restore(ctx, tsrc, bad, backup.RestoreOptions{}); err == nil || !strings.Contains(err.Error(), "neither") {
			t.Errorf("restore of a text file: %v", err)
		}
	})
}

func TestRestoreRefusesOtherEngine(t *testing.T) {
	if dbtest.PostgresURL() == "" {
		t.Skip("needs both engines")
	}
	ctx := context.Background()
	src := dbtest.Source(t, db.SQLite)
	d := dbtest.OpenUnmigrated(t, src)
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "b.db")
	if _, err := newService(t, d, src).Write(system, out); err != nil {
		t.Fatal(err)
	}
	_, err := backup.Restore(ctx, dbtest.Source(t, db.Postgres), out, backup.RestoreOptions{})
	if err == nil || !strings.Contains(err.Error(), "is a SQLite backup, but the database") {
		t.Errorf("SQLite backup into PostgreSQL: %v", err)
	}
}

func TestBackupRefusesToOverwriteTheDatabase(t *testing.T) {
	ctx := context.Background()
	src := dbtest.Source(t, db.SQLite)
	d := dbtest.OpenUnmigrated(t, src)
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := newService(t, d, src)
	for _, p := range []string{src.Path, src.Path + "-wal"} {
		if _, err := svc.Write(system, p); err == nil || !strings.Contains(err.Error(), "is the database itself") {
			t.Errorf("backup to %s: %v", p, err)
		}
	}
	if _, err := svc.Write(system, filepath.Join(t.TempDir(), "no", "such", "folder", "b.db")); err == nil ||
		!strings.Contains(err.Error(), "does not exist") {
		t.Errorf("backup into a missing folder: %v", err)
	}
}

func TestBackupNeedsTheRight(t *testing.T) {
	run(t, func(t *testing.T, d *db.DB, src db.Source) {
		fixture.User(t, d, "owner")
		member, _ := fixture.User(t, d, "member")
		svc := newService(t, d, src)
		if _, err := svc.Write(member, filepath.Join(t.TempDir(), "b")); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("member backup: %v, want ErrForbidden", err)
		}
		if _, err := svc.Now(member); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("member backup now: %v, want ErrForbidden", err)
		}
		if _, err := svc.Files(member); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("member list: %v, want ErrForbidden", err)
		}
		if _, err := svc.SetSchedule(member, backup.Schedule{Every: backup.Daily, Keep: 3}); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("member schedule: %v, want ErrForbidden", err)
		}
	})
}

func TestRetentionKeepsTheNewest(t *testing.T) {
	run(t, func(t *testing.T, d *db.DB, src db.Source) {
		owner, _ := fixture.User(t, d, "owner")
		svc := newService(t, d, src)
		if _, err := svc.SetSchedule(owner, backup.Schedule{Every: backup.Off, Keep: 3}); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(svc.Dir(), 0o700); err != nil {
			t.Fatal(err)
		}
		old := []string{"rapport-20240101-000000.db", "rapport-20240102-000000.dump", "rapport-20240103-000000.db",
			"rapport-20240104-000000.db", "rapport-20240104-000000-2.db"}
		others := []string{"notes.txt", "rapport-latest.db", "rapport-2024.db"}
		for _, n := range append(old, others...) {
			os.WriteFile(filepath.Join(svc.Dir(), n), []byte("x"), 0o600)
		}
		res, err := svc.Now(owner)
		if err != nil {
			t.Fatal(err)
		}
		f, err := svc.Files(owner)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, x := range f.Files {
			names = append(names, x.Name)
		}
		want := []string{filepath.Base(res.Path), "rapport-20240104-000000-2.db", "rapport-20240104-000000.db"}
		if strings.Join(names, " ") != strings.Join(want, " ") {
			t.Errorf("kept %v, want %v", names, want)
		}
		for _, n := range others {
			if _, err := os.Stat(filepath.Join(svc.Dir(), n)); err != nil {
				t.Errorf("%s, not a backup, was touched: %v", n, err)
			}
		}
		last, err := svc.Last(owner)
		if err != nil || last.File != filepath.Base(res.Path) || last.Error != "" || last.Size != res.Size {
			t.Errorf("last run %+v, %v", last, err)
		}
	})
}

func TestSchedule(t *testing.T) {
	cases := []struct {
		every, keep string
		fields      []string
	}{
		{"daily", "7", nil},
		{"off", "1", nil},
		{"weekly", "1000", nil},
		{"hourly", " 24 ", nil},
		{"monthly", "7", []string{"every"}},
		{"", "7", []string{"every"}},
		{"daily", "0", []string{"keep"}},
		{"daily", "1001", []string{"keep"}},
		{"daily", "seven", []string{"keep"}},
		{"yearly", "-1", []string{"keep", "every"}},
	}
	for _, c := range cases {
		t.Run(c.every+"/"+c.keep, func(t *testing.T) {
			_, err := backup.ParseSchedule(c.every, c.keep)
			v := apperr.AsValidation(err)
			if len(c.fields) == 0 {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			for _, f := range c.fields {
				if v.For(f) == "" {
					t.Errorf("no message for %s: %v", f, err)
				}
			}
			if v != nil && len(v.Fields) != len(c.fields) {
				t.Errorf("fields %v, want %v", v.Fields, c.fields)
			}
		})
	}

	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		owner, _ := fixture.User(t, d, "owner")
		svc := backup.NewService(backup.Options{DB: d, DataDir: t.TempDir()})
		sc, err := svc.Schedule(owner)
		if err != nil || sc != (backup.Schedule{Every: backup.Off, Keep: 7}) {
			t.Fatalf("default schedule %+v, %v", sc, err)
		}
		if _, err := svc.SetSchedule(owner, backup.Schedule{Every: "daily", Keep: 0}); apperr.AsValidation(err) == nil {
			t.Errorf("keep 0 accepted: %v", err)
		}
		if _, err := svc.SetSchedule(owner, backup.Schedule{Every: "daily", Keep: 14}); err != nil {
			t.Fatal(err)
		}
		if sc, _ := svc.Schedule(owner); sc != (backup.Schedule{Every: backup.Daily, Keep: 14}) {
			t.Errorf("saved schedule %+v", sc)
		}
		var n int
		d.R.QueryRow(`SELECT count(*) FROM events WHERE kind = 'setting.changed'`).Scan(&n)
		if n != 1 {
			t.Errorf("%d setting.changed events, want 1", n)
		}
	})
}

func TestDue(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		every  string
		newest time.Time
		due    bool
	}{
		{backup.Off, time.Time{}, false},
		{backup.Off, now.Add(-30 * 24 * time.Hour), false},
		{backup.Daily, time.Time{}, true},
		{backup.Hourly, now.Add(-59 * time.Minute), true}, // within half a check interval
		{backup.Hourly, now.Add(-50 * time.Minute), false},
		{backup.Daily, now.Add(-23 * time.Hour), false},
		{backup.Daily, now.Add(-24*time.Hour + 5*time.Minute), true},
		{backup.Weekly, now.Add(-6 * 24 * time.Hour), false},
		{backup.Weekly, now.Add(-7 * 24 * time.Hour), true},
		{"monthly", time.Time{}, false},
	}
	for _, c := range cases {
		if got := backup.Due(c.every, c.newest, now); got != c.due {
			t.Errorf("Due(%s, %s) = %v, want %v", c.every, now.Sub(c.newest), got, c.due)
		}
	}
}

func TestRunScheduled(t *testing.T) {
	run(t, func(t *testing.T, d *db.DB, src db.Source) {
		owner, _ := fixture.User(t, d, "owner")
		svc := newService(t, d, src)
		if _, wrote, err := svc.RunScheduled(context.Background(), time.Now()); err != nil || wrote {
			t.Fatalf("schedule off: wrote %v, %v", wrote, err)
		}
		if _, err := svc.SetSchedule(owner, backup.Schedule{Every: backup.Daily, Keep: 2}); err != nil {
			t.Fatal(err)
		}
		res, wrote, err := svc.RunScheduled(context.Background(), time.Now())
		if err != nil || !wrote {
			t.Fatalf("first daily run: wrote %v, %v", wrote, err)
		}
		ext := map[db.Engine]string{db.SQLite: ".db", db.Postgres: ".dump"}[d.Engine]
		if !strings.HasPrefix(filepath.Base(res.Path), "rapport-") || filepath.Ext(res.Path) != ext || filepath.Dir(res.Path) != svc.Dir() {
			t.Errorf("scheduled backup at %s", res.Path)
		}
		if _, wrote, err := svc.RunScheduled(context.Background(), time.Now()); err != nil || wrote {
			t.Errorf("second run right after: wrote %v, %v", wrote, err)
		}
		if _, wrote, err := svc.RunScheduled(context.Background(), time.Now().Add(24*time.Hour)); err != nil || !wrote {
			t.Errorf("a day later: wrote %v, %v", wrote, err)
		}
	})
}

func TestBackupNowThroughTheQueue(t *testing.T) {
	run(t, func(t *testing.T, d *db.DB, src db.Source) {
		owner, _ := fixture.User(t, d, "owner")
		member, _ := fixture.User(t, d, "member")
		svc := newService(t, d, src)
		ws := river.NewWorkers()
		river.AddWorker(ws, backup.NewWorker(svc))
		q, err := jobs.New(d, jobs.Options{Workers: ws, FetchPollInterval: 50 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(member, q); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("member start: %v", err)
		}
		// Pressed twice before the queue runs: one backup.
		for range 2 {
			if err := svc.Start(owner, q); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer q.Stop(context.Background())
		deadline := time.Now().Add(20 * time.Second)
		for {
			f, err := svc.Files(owner)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Files) == 1 && !f.Writing {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no backup after 20 s: %+v", f)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		if f, _ := svc.Files(owner); len(f.Files) != 1 {
			t.Errorf("%d backups after pressing twice, want 1", len(f.Files))
		}
		var n int
		d.R.QueryRow(`SELECT count(*) FROM events WHERE kind = 'backup.requested'`).Scan(&n)
		if n != 2 {
			t.Errorf("%d backup.requested events, want 2", n)
		}
	})
}

func TestPgDumpMissingOrTooOld(t *testing.T) {
	if dbtest.PostgresURL() == "" {
		t.Skip("PostgreSQL only")
	}
	src := dbtest.Source(t, db.Postgres)
	d := dbtest.OpenUnmigrated(t, src)
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	missing := backup.NewService(backup.Options{DB: d, Source: src, DataDir: t.TempDir(), PgDump: "/nonexistent/pg_dump"})
	_, err := missing.Write(system, filepath.Join(t.TempDir(), "b.dump"))
	if !errors.Is(err, backup.ErrToolMissing) || !strings.Contains(err.Error(), "apt install postgresql-client-") {
		t.Errorf("missing pg_dump: %v", err)
	}
	old := filepath.Join(t.TempDir(), "pg_dump")
	os.WriteFile(old, []byte("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n"), 0o700)
	_, err = backup.NewService(backup.Options{DB: d, Source: src, DataDir: t.TempDir(), PgDump: old}).
		Write(system, filepath.Join(t.TempDir(), "b.dump"))
	if !errors.Is(err, backup.ErrToolTooOld) || !strings.Contains(err.Error(), "version 9, older than the PostgreSQL") {
		t.Errorf("old pg_dump: %v", err)
	}
	_, err = backup.Restore(context.Background(), src, writeFakeDump(t), backup.RestoreOptions{PgRestore: "/nonexistent/pg_restore"})
	if !errors.Is(err, backup.ErrToolMissing) {
		t.Errorf("missing pg_restore: %v", err)
	}
}

func writeFakeDump(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "x.dump")
	os.WriteFile(p, []byte("PGDMP not really"), 0o600)
	return p
}

func TestRestoreSQLiteEmptyTarget(t *testing.T) {
	ctx := context.Background()
	src := dbtest.Source(t, db.SQLite)
	d := dbtest.OpenUnmigrated(t, src)
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	fixture.User(t, d, "owner")
	out := filepath.Join(t.TempDir(), "b.db")
	if _, err := newService(t, d, src).Write(system, out); err != nil {
		t.Fatal(err)
	}
	// A migrated, empty database that a server still has open is refused.
	tsrc := dbtest.Source(t, db.SQLite)
	open, err := db.Open(ctx, tsrc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(ctx, tsrc, out, backup.RestoreOptions{}); err == nil || !strings.Contains(err.Error(), "is in use by another process") {
		t.Errorf("restore over an open database: %v", err)
	}
	// Once it is closed, the same empty database is replaced.
	open.Close()
	res, err := backup.Restore(ctx, tsrc, out, backup.RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tables["users"] != 1 {
		t.Errorf("restored %v", res.Tables)
	}
	for _, p := range []string{tsrc.Path + "-wal", tsrc.Path + "-shm"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left beside the restored database", p)
		}
	}
}
