package app_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/dbtest"
)

func TestDemoCommand(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			flag := "--db=" + dbFlag(dbtest.Source(t, e))
			code, out, errOut := run(t, "", false, "demo", "--contacts", "150", "--seed", "3", flag)
			if code != 0 || !strings.Contains(out, "Created 150 contacts") || !strings.Contains(out, "demo@rapport.example") {
				t.Fatalf("demo: code %d, out %q, err %q", code, out, errOut)
			}
			if !strings.Contains(errOut, "150/150") {
				t.Errorf("no progress on stderr: %q", errOut)
			}
			code, _, errOut = run(t, "", false, "demo", flag)
			if code == 0 || !strings.Contains(errOut, "already has contacts") {
				t.Errorf("second demo: code %d, err %q", code, errOut)
			}
		})
	}
}

func TestDemoAndBenchBadFlags(t *testing.T) {
	sqlite := "--db=sqlite:" + filepath.Join(t.TempDir(), "x.db")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--contacts", "-1", sqlite}, "--contacts must be between 1 and"},
		{[]string{"demo", "--contacts", "many", sqlite}, "invalid value"},
		{[]string{"bench", "--engine", "oracle"}, "--engine must be sqlite, postgres or both"},
		{[]string{"bench", "--contacts", "0"}, "--contacts must be at least 1"},
		{[]string{"bench", "--engine", "postgres"}, "--postgres URL"},
	}
	for _, c := range cases {
		code, _, errOut := run(t, "", false, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: code %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
