package db_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/migrations"
)

// Contacts stored before migration 00022 get their own copy of their
// emails and phones (contacts.lists) from it, in position order, with text
// that JSON must escape kept as it was.
func TestContactListsMigrationCopiesExistingLists(t *testing.T) {
	before := fstest.MapFS{}
	err := fs.WalkDir(migrations.FS, ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".sql") {
			return err
		}
		if name := path[strings.LastIndex(path, "/")+1:]; name < "00022" {
			data, err := fs.ReadFile(migrations.FS, path)
			before[path] = &fstest.MapFile{Data: data}
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	type lists struct {
		E [][2]string `json:"e"`
		P [][4]string `json:"p"`
	}
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			restore := db.SetSource(before)
			d := dbtest.OpenUnmigrated(t, dbtest.Source(t, e))
			_, err := d.Migrate(ctx)
			restore()
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{"01a20000-0000-7000-8000-000000000001", "01a20000-0000-7000-8000-000000000002",
				"01a20000-0000-7000-8000-000000000003"}
			stmts := []struct {
				q    string
				args []any
			}{
				{`INSERT INTO contacts (id, display_name, sort_name, created_at, updated_at) VALUES ($1, 'A', 'a', $4, $4),
					($2, 'B', 'b', $4, $4), ($3, 'C', 'c', $4, $4)`, []any{ids[0], ids[1], ids[2], db.T(db.Now())}},
				// Stored out of position order, to see the copy put them in order.
				{`INSERT INTO contact_emails (contact_id, position, address, address_key, label) VALUES
					($1, 1, 'zoë"<x>@example.com', 'zoë"<x>@example.com', 'home\'),
					($1, 0, 'a@example.com', 'a@example.com', '')`, []any{ids[0]}},
				{`INSERT INTO contact_phones (contact_id, position, e164, original, label, international) VALUES
					($1, 1, '+4915123456789', '0151 2345 6789', 'mobile', ''),
					($1, 0, '+442079460958', '020 7946 0958', 'work', '+44 20 7946 0958'),
					($2, 0, '+33142685300', '01 42 68 53 00', '', '+33 1 42 68 53 00')`, []any{ids[0], ids[1]}},
			}
			for _, s := range stmts {
				if _, err := d.W.ExecContext(ctx, s.q, s.args...); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := d.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			want := map[string]lists{
				ids[0]: {E: [][2]string{{"a@example.com", ""}, {`zoë"<x>@example.com`, `home\`}},
					P: [][4]string{{"+442079460958", "020 7946 0958", "work", "+44 20 7946 0958"},
						{"+4915123456789", "0151 2345 6789", "mobile", ""}}},
				ids[1]: {E: [][2]string{}, P: [][4]string{{"+33142685300", "01 42 68 53 00", "", "+33 1 42 68 53 00"}}},
			}
			for _, cid := range ids {
				var s string
				if err := d.R.QueryRowContext(ctx, `SELECT lists FROM contacts WHERE id = $1`, cid).Scan(&s); err != nil {
					t.Fatal(err)
				}
				w, has := want[cid]
				if !has {
					if s != "" {
						t.Errorf("contact %s without emails or phones: lists %q, want empty", cid, s)
					}
					continue
				}
				var got lists
				if err := json.Unmarshal([]byte(s), &got); err != nil {
					t.Fatalf("contact %s: lists %q: %v", cid, s, err)
				}
				if !reflect.DeepEqual(got, w) {
					t.Errorf("contact %s: lists %s\ngot  %+v\nwant %+v", cid, s, got, w)
				}
			}
		})
	}
}
