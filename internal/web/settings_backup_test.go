package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/rapportcrm/rapport/internal/backup"
	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/web"
)

// backupSite is a server with the backup service, its folder in a
// temporary data dir, signed in as the owner Olga.
func backupSite(t *testing.T, e db.Engine) (*site, *backup.Service) {
	t.Helper()
	if e == db.Postgres {
		if _, err := exec.LookPath("pg_dump"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("pg_dump is needed for PostgreSQL backups")
			}
			t.Skip("pg_dump not installed")
		}
	}
	src := dbtest.Source(t, e)
	d := dbtest.OpenUnmigrated(t, src)
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	backups := backup.NewService(backup.Options{DB: d, Source: src, DataDir: cfg.DataDir, Logger: logger})
	s, err := web.New(web.Options{Config: cfg, DB: d, Users: user.NewService(d), Logger: logger, Backups: backups,
		Fields: customfield.NewService(d)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	st := &site{t: t, db: d, srv: srv, client: newClient()}
	st.post("/setup", owner).expect(t, 303, "/")
	return st, backups
}

func TestSettingsBackups(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			s, backups := backupSite(t, e)
			s.get("/settings").expect(t, 200, "", `href="/settings/backups"`)
			s.get("/settings/backups").expect(t, 200, "", "<h1>Backups</h1>", "No backups in the folder yet",
				`<option value="off" selected>Off</option>`, `name="keep" type="number" min="1" max="1000" inputmode="numeric" value="7"`,
				"<code>"+backups.Dir()+"</code>", `action="/settings/backups/run"`)

			invalid := []struct {
				name string
				form url.Values
				want []string
			}{
				{"bad frequency", url.Values{"every": {"monthly"}, "keep": {"7"}}, []string{`id="every-error">Choose off, hourly, daily or weekly.`}},
				{"keep zero", url.Values{"every": {"daily"}, "keep": {"0"}}, []string{`id="keep-error">Keep at least 1 and at most 1000 backups.`, `value="0"`}},
				{"keep words", url.Values{"every": {"daily"}, "keep": {"seven"}}, []string{`id="keep-error">Enter a whole number from 1 to 1000.`, `value="seven"`}},
			}
			for _, c := range invalid {
				t.Run(c.name, func(t *testing.T) {
					s.post("/settings/backups", c.form).expect(t, 422, "", c.want...)
				})
			}
			if sc, _ := backups.Schedule(s.ownerCtx(t)); sc != (backup.Schedule{Every: backup.Off, Keep: 7}) {
				t.Errorf("invalid posts changed the schedule to %+v", sc)
			}

			s.post("/settings/backups", url.Values{"every": {"daily"}, "keep": {"5"}}).expect(t, 303, "/settings/backups")
			s.get("/settings/backups").expect(t, 200, "", "Every day a backup is written; the newest 5 are kept.",
				`<option value="daily" selected>Every day</option>`, `value="5"`)

			s.post("/settings/backups/run", nil).expect(t, 303, "/settings/backups")
			page := s.get("/settings/backups")
			page.expect(t, 200, "", "Backup written: rapport-", `id="last-backup"`)
			names := regexp.MustCompile(`<code>(rapport-\d{8}-\d{6}\.(?:db|dump))</code>`).FindAllStringSubmatch(page.body, -1)
			if len(names) != 1 {
				t.Fatalf("listed backups %v, want one; body: %.2000s", names, page.body)
			}
			if _, err := os.Stat(filepath.Join(backups.Dir(), names[0][1])); err != nil {
				t.Errorf("listed file: %v", err)
			}
		})
	}
}

// ownerCtx acts as the owner Olga for service calls.
func (s *site) ownerCtx(t *testing.T) context.Context {
	t.Helper()
	return fixture.As(s.olga(t))
}

func (s *site) olga(t *testing.T) user.User {
	t.Helper()
	users, err := user.NewService(s.db).List(context.Background())
	if err != nil {
		t.Fatalf("users: %v", err)
	}
	for _, u := range users {
		if u.Email == owner.Get("email") {
			return u
		}
	}
	t.Fatal("no owner")
	return user.User{}
}

func TestSettingsBackupsRefusedToOthers(t *testing.T) {
	s, backups := backupSite(t, db.SQLite)
	us := user.NewService(s.db)
	ownerID := s.olga(t).ID
	for _, role := range []string{"manager", "member", "viewer"} {
		t.Run(role, func(t *testing.T) {
			email := role + "@example.com"
			if _, err := us.Create(s.ownerCtx(t), ownerID, user.NewUser{Email: email, Name: "Mo", Role: role, Password: "a long enough secret"}); err != nil {
				t.Fatal(err)
			}
			c := &site{t: t, db: s.db, srv: s.srv, client: newClient()}
			c.post("/login", url.Values{"email": {email}, "password": {"a long enough secret"}}).expect(t, 303, "/")
			c.get("/settings/backups").expect(t, 403, "")
			c.post("/settings/backups", url.Values{"every": {"hourly"}, "keep": {"1"}}).expect(t, 403, "")
			c.post("/settings/backups/run", nil).expect(t, 403, "")
		})
	}
	if f, err := backups.Files(s.ownerCtx(t)); err != nil || len(f.Files) != 0 {
		t.Errorf("files after refused requests: %+v, %v", f, err)
	}
	if sc, _ := backups.Schedule(s.ownerCtx(t)); sc.Every != backup.Off {
		t.Errorf("schedule after refused requests: %+v", sc)
	}
	anon := &site{t: t, db: s.db, srv: s.srv, client: newClient()}
	if r := anon.get("/settings/backups"); r.status != 303 {
		t.Errorf("signed out: status %d, want a redirect to sign in", r.status)
	}
}
