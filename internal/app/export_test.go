package app_test

import (
	"archive/zip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/user"
)

// TestExportAndLoadCommands: `rapport export` writes a zip of the demo
// data; `rapport load` reads it into an empty database and prints
// passwords that sign in; loading into a database with data is refused.
func TestExportAndLoadCommands(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			src := dbFlag(dbtest.Source(t, e))
			if code, _, stderr := run(t, "", false, "demo", "--contacts", "300", "--db", src); code != 0 {
				t.Fatalf("demo: %s", stderr)
			}
			out := filepath.Join(t.TempDir(), "everything.zip")
			code, stdout, stderr := run(t, "", false, "export", "--db", src, "--out", out)
			if code != 0 {
				t.Fatalf("export: exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "Wrote "+out) || !regexp.MustCompile(`contacts\.jsonl\s+300 rows`).MatchString(stdout) {
				t.Errorf("export printed %q", stdout)
			}
			zr, err := zip.OpenReader(out)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range zr.File {
				names = append(names, f.Name)
			}
			zr.Close()
			for _, want := range []string{"manifest.json", "users.jsonl", "contacts.jsonl", "events.jsonl"} {
				if !strings.Contains(strings.Join(names, " "), want) {
					t.Errorf("zip lacks %s: %v", want, names)
				}
			}
			leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".rapport-export-*"))
			if len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}

			// Loading into the source is refused and changes nothing.
			code, _, stderr = run(t, "", false, "load", out, "--db", src)
			if code != 1 || !strings.Contains(stderr, "not empty") || !strings.Contains(stderr, "Nothing was changed") {
				t.Errorf("load into the source: exit %d: %s", code, stderr)
			}
			target := dbtest.Source(t, e)
			code, stdout, stderr = run(t, "", false, "load", "--db", dbFlag(target), out)
			if code != 0 {
				t.Fatalf("load: exit %d: %s", code, stderr)
			}
			if !regexp.MustCompile(`contacts\.jsonl\s+300 rows`).MatchString(stdout) || !strings.Contains(stdout, "one-time passwords") {
				t.Errorf("load printed %q", stdout)
			}
			// Every active user got a password that signs in.
			m := regexp.MustCompile(`(?m)^  (\S+@\S+)\s+(\S+)$`).FindAllStringSubmatch(stdout, -1)
			if len(m) == 0 {
				t.Fatalf("no passwords printed: %s", stdout)
			}
			d := dbtest.OpenUnmigrated(t, target)
			if _, err := user.NewService(d).Authenticate(t.Context(), m[0][1], m[0][2]); err != nil {
				t.Errorf("sign in as %s with the printed password: %v", m[0][1], err)
			}
			var n int
			d.R.QueryRow(`SELECT COUNT(*) FROM contacts`).Scan(&n)
			if n != 300 {
				t.Errorf("%d contacts loaded", n)
			}
		})
	}
}

func TestExportCommandInput(t *testing.T) {
	dir := t.TempDir()
	src := "sqlite:" + filepath.Join(dir, "r.db")
	notZip := filepath.Join(dir, "notes.zip")
	os.WriteFile(notZip, []byte("hello"), 0o644)
	empty := filepath.Join(dir, "empty.zip")
	f, _ := os.Create(empty)
	zip.NewWriter(f).Close()
	f.Close()
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"export without --out", []string{"export", "--db", src}, 2, "--out FILE is required"},
		{"export into a missing folder", []string{"export", "--db", src, "--out", filepath.Join(dir, "no", "x.zip")}, 1, "cannot write"},
		{"load without a file", []string{"load", "--db", src}, 2, "name one export zip"},
		{"load a missing file", []string{"load", filepath.Join(dir, "nope.zip"), "--db", src}, 1, "nope.zip"},
		{"load a file that is no zip", []string{"load", notZip, "--db", src}, 1, "not a valid zip"},
		{"load a zip without manifest", []string{"load", empty, "--db", src}, 1, "no manifest.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, "", false, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, c.code, c.want)
			}
		})
	}
}
