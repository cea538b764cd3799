package export_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/export"
	"github.com/rapportcrm/rapport/internal/phone"
	"github.com/rapportcrm/rapport/internal/search"
	"github.com/rapportcrm/rapport/internal/user"
)

var system = access.WithActor(context.Background(), access.SystemActor)

// dumpOf dumps d and returns the zip's bytes and its files' contents.
func dumpOf(t *testing.T, d *db.DB) ([]byte, map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := export.Dump(system, d, &buf, export.DumpOptions{Version: "test"}); err != nil {
		t.Fatalf("dump: %v", err)
	}
	return buf.Bytes(), unzip(t, buf.Bytes())
}

func unzip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = string(data)
	}
	return out
}

func load(t *testing.T, d *db.DB, b []byte) export.LoadResult {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := export.Load(system, d, zr, export.LoadOptions{})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	// A dump holds no display forms of numbers; loading stores them.
	var wrong int
	rows, err := d.R.QueryContext(context.Background(), `SELECT e164, international FROM contact_phones`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var e164, shown string
		if err := rows.Scan(&e164, &shown); err != nil {
			t.Fatal(err)
		}
		if shown != phone.International(e164) {
			wrong++
		}
	}
	if wrong > 0 {
		t.Errorf("%d loaded numbers without their display form", wrong)
	}
	return res
}

// sameFiles compares two dumps file by file and line by line.
func sameFiles(t *testing.T, a, b map[string]string) {
	t.Helper()
	for name, x := range a {
		if name == export.ManifestFile {
			continue
		}
		y, ok := b[name]
		if !ok {
			t.Errorf("%s is missing from the second dump", name)
			continue
		}
		la, lb := strings.Split(x, "\n"), strings.Split(y, "\n")
		if len(la) != len(lb) {
			t.Errorf("%s: %d lines, then %d", name, len(la), len(lb))
		}
		for i := range min(len(la), len(lb)) {
			if la[i] != lb[i] {
				t.Errorf("%s line %d differs:\n first  %s\n second %s", name, i+1, la[i], lb[i])
			}
		}
	}
	var ma, mb export.Manifest
	json.Unmarshal([]byte(a[export.ManifestFile]), &ma)
	json.Unmarshal([]byte(b[export.ManifestFile]), &mb)
	if !reflect.DeepEqual(ma.Files, mb.Files) {
		t.Errorf("manifest counts %v, then %v", ma.Files, mb.Files)
	}
}

// TestDumpLoadRoundTrip fills a database through the services, dumps it,
// loads the dump into an empty database, dumps that one and compares the
// two dumps row by row; then reads records back through the services.
func TestDumpLoadRoundTrip(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		zip1, files1 := dumpOf(t, d)
		var m export.Manifest
		if err := json.Unmarshal([]byte(files1[export.ManifestFile]), &m); err != nil {
			t.Fatal(err)
		}
		if m.Format != export.Format || m.FormatVersion != 1 || m.RapportVersion != "test" || m.Engine != string(d.Engine) {
			t.Errorf("manifest %+v", m)
		}
		want := map[string]int{"users.jsonl": 3, "teams.jsonl": 1, "companies.jsonl": 2, "contacts.jsonl": 5,
			"custom_fields.jsonl": 8, "activities.jsonl": 3, "consent_changes.jsonl": 2, "saved_views.jsonl": 1,
			"tags.jsonl": 3, "roles.jsonl": 6, "settings.jsonl": 1, "pipelines.jsonl": 2, "pipeline_stages.jsonl": 6,
			"deals.jsonl": 1, "deal_stage_history.jsonl": 2}
		for f, n := range want {
			if m.Files[f] != n {
				t.Errorf("%s: %d rows, want %d", f, m.Files[f], n)
			}
			if got := strings.Count(files1[f], "\n"); got != n {
				t.Errorf("%s has %d lines, manifest says %d", f, got, n)
			}
		}
		if m.Files["events.jsonl"] < 10 {
			t.Errorf("only %d events", m.Files["events.jsonl"])
		}
		// Readable by a person: one JSON object a line, children inside.
		var ada map[string]any
		for _, ln := range strings.Split(files1["contacts.jsonl"], "\n") {
			if strings.Contains(ln, w.ada.ID) {
				if err := json.Unmarshal([]byte(ln), &ada); err != nil {
					t.Fatal(err)
				}
			}
		}
		if emails := ada["emails"].([]any); len(emails) != 2 || emails[1].(map[string]any)["address"] != "ada@home.example" {
			t.Errorf("ada's emails: %v", ada["emails"])
		}
		if tags := ada["tags"].([]any); !reflect.DeepEqual(tags, []any{"Maths", "VIP"}) {
			t.Errorf("ada's tags: %v", tags)
		}
		if ada["custom"].(map[string]any)["plan"] != "Pro" || ada["birthday"] != "1815-12-10" {
			t.Errorf("ada: %v", ada)
		}
		if !strings.Contains(files1["companies.jsonl"], `"name":"Acme <Ltd>"`) {
			t.Errorf("text is escaped beyond JSON's needs: %s", files1["companies.jsonl"])
		}
		for _, secret := range []string{"password_hash", "argon2", "totp"} {
			if strings.Contains(files1["users.jsonl"], secret) {
				t.Errorf("users.jsonl holds %q: %s", secret, files1["users.jsonl"])
			}
		}

		fresh := dbtest.Open(t, d.Engine)
		res := load(t, fresh, zip1)
		if len(res.Passwords) != 3 || res.Passwords[w.owner.Email] == "" || res.Passwords[w.member.Email] == "" {
			t.Errorf("one-time passwords: %v", res.Passwords)
		}
		_, files2 := dumpOf(t, fresh)
		sameFiles(t, files1, files2)

		// The services read the loaded records as they were.
		users := user.NewService(fresh)
		ctx := access.WithActor(context.Background(), w.owner.Actor())
		got, err := contact.NewService(fresh, users).ByID(ctx, w.ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, w.ada) {
			t.Errorf("loaded contact\n %+v\nwant\n %+v", got, w.ada)
		}
		for _, q := range []string{"lovelace", "ada@home", "+44 20 79", "acme"} {
			groups, err := search.Query(ctx, fresh.R, fresh.Engine, q, search.Options{Kinds: []string{search.KindContact}})
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) == 0 || !slices.ContainsFunc(groups[0].Hits, func(h search.Hit) bool { return h.ID == w.ada.ID }) {
				t.Errorf("search %q after load: %v", q, groups)
			}
		}
		if groups, _ := search.Query(ctx, fresh.R, fresh.Engine, "gone", search.Options{}); len(groups) != 0 {
			t.Errorf("a deleted contact is searchable after load: %v", groups)
		}
		// The owner signs in with the one-time password.
		if _, err := users.Authenticate(context.Background(), w.owner.Email, res.Passwords[w.owner.Email]); err != nil {
			t.Errorf("owner signs in with the new password: %v", err)
		}
		// Loading again is refused: the database is no longer empty.
		zr, _ := zip.NewReader(bytes.NewReader(zip1), int64(len(zip1)))
		if _, err := export.Load(system, fresh, zr, export.LoadOptions{}); !errors.Is(err, export.ErrNotEmpty) {
			t.Errorf("second load: %v, want ErrNotEmpty", err)
		}
	})
}

// TestDumpAcrossEngines loads a SQLite dump into PostgreSQL: the dump
// read back from PostgreSQL is the same.
func TestDumpAcrossEngines(t *testing.T) {
	if dbtest.PostgresURL() == "" {
		t.Skip("RAPPORT_TEST_POSTGRES is not set")
	}
	src := dbtest.Open(t, db.SQLite)
	newWorld(t, src)
	zip1, files1 := dumpOf(t, src)
	pg := dbtest.Open(t, db.Postgres)
	load(t, pg, zip1)
	_, files2 := dumpOf(t, pg)
	sameFiles(t, files1, files2)
}

func TestLoadRefusals(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		newWorld(t, d)
		b, files := dumpOf(t, d)
		zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if _, err := export.Load(system, d, zr, export.LoadOptions{}); !errors.Is(err, export.ErrNotEmpty) {
			t.Errorf("load into the source: %v, want ErrNotEmpty", err)
		}
		fresh := dbtest.Open(t, d.Engine)
		_, owner := freshOwner(t, fresh)
		if _, err := export.Load(access.WithActor(context.Background(), owner.Actor()), fresh, zr, export.LoadOptions{}); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("load by an owner: %v, want forbidden (only the system loads)", err)
		}
		empty := dbtest.Open(t, d.Engine)
		for name, change := range map[string]func(map[string]string){
			"no manifest": func(f map[string]string) { delete(f, export.ManifestFile) },
			"newer format": func(f map[string]string) {
				f[export.ManifestFile] = strings.Replace(f[export.ManifestFile], `"format_version": 1`, `"format_version": 2`, 1)
			},
			"unknown field":  func(f map[string]string) { f["tags.jsonl"] = strings.Replace(f["tags.jsonl"], `"name"`, `"nom"`, 1) },
			"count mismatch": func(f map[string]string) { f["tags.jsonl"] += f["tags.jsonl"][:strings.Index(f["tags.jsonl"], "\n")+1] },
		} {
			broken := map[string]string{}
			for k, v := range files {
				broken[k] = v
			}
			change(broken)
			zb := rezip(t, broken)
			zr, _ := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
			if _, err := export.Load(system, empty, zr, export.LoadOptions{}); err == nil {
				t.Errorf("%s: loaded", name)
			}
			// A refused file wrote nothing before tags: start again clean.
			empty = dbtest.Open(t, d.Engine)
		}
	})
}

func freshOwner(t *testing.T, d *db.DB) (context.Context, user.User) {
	t.Helper()
	u, err := user.NewService(d).Setup(context.Background(), user.NewUser{Email: "o@example.com", Name: "O", Role: "owner",
		Password: "a long enough secret"})
	if err != nil {
		t.Fatal(err)
	}
	return access.WithActor(context.Background(), u.Actor()), u
}

func rezip(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, body)
	}
	zw.Close()
	return buf.Bytes()
}

// TestDumpNeedsExportRight: a member may not dump.
func TestDumpNeedsExportRight(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		for _, ctx := range []context.Context{w.memberCtx, w.managerCtx} {
			if _, err := export.Dump(ctx, d, io.Discard, export.DumpOptions{}); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("dump: %v, want forbidden", err)
			}
		}
	})
}
