package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/dbtest"
)

func TestImportCommand(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			src := dbtest.Source(t, e)
			dir := t.TempDir()
			file := filepath.Join(dir, "outlook.csv")
			body := "\xef\xbb\xbfFirst Name;Last Name;E-mail Address;Company;Job Title\r\n" +
				"Jürgen;Müller;juergen@example.de;Müller AG;Einkauf\r\n" +
				"Ana;García;ana@example.es;;\r\n" +
				"No;Email;broken@;;\r\n"
			if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			data := "--data-dir=" + filepath.Join(dir, "data")
			code, out, errOut := run(t, "", false, "import", file, "--type", "contacts", "--db", dbFlag(src), data)
			if code != 0 || !strings.Contains(out, "Imported 3 rows") || !strings.Contains(out, "2 created") || !strings.Contains(out, "1 rejected") {
				t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
			}
			for _, want := range []string{"E-mail Address", "→ email", "delimiter \";\""} {
				if !strings.Contains(errOut, want) {
					t.Errorf("the mapping shown lacks %q:\n%s", want, errOut)
				}
			}
			report, err := os.ReadFile(filepath.Join(dir, "outlook.rejected.csv"))
			if err != nil || !strings.Contains(string(report), "broken@") || !strings.Contains(string(report), "reason") {
				t.Errorf("rejected rows file: %q, %v", report, err)
			}
			code, out, errOut = run(t, "", false, "import", file, "--db", dbFlag(src), data)
			if code != 0 || !strings.Contains(out, "0 created") || !strings.Contains(out, "2 skipped") {
				t.Errorf("second import: exit %d\n%s\n%s", code, out, errOut)
			}
			code, _, errOut = run(t, "", false, "import", file, "--type", "deals", "--db", dbFlag(src), data)
			if code != 2 || !strings.Contains(errOut, "contacts or companies") {
				t.Errorf("bad type: exit %d, %s", code, errOut)
			}
			empty := filepath.Join(dir, "empty.csv")
			os.WriteFile(empty, nil, 0o600)
			code, _, errOut = run(t, "", false, "import", empty, "--db", dbFlag(src), data)
			if code != 1 || !strings.Contains(errOut, "empty") {
				t.Errorf("empty file: exit %d, %s", code, errOut)
			}
		})
	}
}
