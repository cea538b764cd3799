package dbtest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
)

// storedLists is the shape of contacts.lists (internal/contact/lists.go).
type storedLists struct {
	E [][2]string `json:"e"`
	P [][4]string `json:"p"`
}

// checkContactLists fails t when a contact's own copy of its emails and
// phone numbers (contacts.lists) differs from contact_emails and
// contact_phones. Every write of those must write the copy in the same
// transaction; checking after every test that uses a database finds the
// write that forgot.
func checkContactLists(t testing.TB, d *db.DB) {
	if t.Failed() {
		return
	}
	ctx := context.Background()
	got, want := map[string]storedLists{}, map[string]storedLists{}
	var cid, s string
	err := each(ctx, d, `SELECT id, lists FROM contacts`, []any{&cid, &s}, func() error {
		var l storedLists
		if s != "" {
			if err := json.Unmarshal([]byte(s), &l); err != nil {
				return fmt.Errorf("contact %s: lists %q: %w", cid, s, err)
			}
		}
		// The migration writes [] for a list a contact lacks, Go leaves it out.
		if len(l.E) == 0 {
			l.E = nil
		}
		if len(l.P) == 0 {
			l.P = nil
		}
		if l.E != nil || l.P != nil {
			got[cid] = l
		}
		return nil
	})
	var e [2]string
	if err == nil {
		err = each(ctx, d, `SELECT contact_id, address, label FROM contact_emails ORDER BY contact_id, position`,
			[]any{&cid, &e[0], &e[1]}, func() error {
				l := want[cid]
				l.E = append(l.E, e)
				want[cid] = l
				return nil
			})
	}
	var p [4]string
	if err == nil {
		err = each(ctx, d, `SELECT contact_id, e164, original, label, international FROM contact_phones ORDER BY contact_id, position`,
			[]any{&cid, &p[0], &p[1], &p[2], &p[3]}, func() error {
				l := want[cid]
				l.P = append(l.P, p)
				want[cid] = l
				return nil
			})
	}
	if err != nil {
		if !strings.Contains(err.Error(), "closed") {
			t.Errorf("check contacts.lists: %v", err)
		}
		return
	}
	for id, w := range want {
		if g := got[id]; !reflect.DeepEqual(g, w) {
			t.Errorf("contact %s: contacts.lists holds %+v, its emails and phones are %+v", id, g, w)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("contact %s: contacts.lists holds %+v, it has no emails or phones", id, g)
		}
	}
}

func each(ctx context.Context, d *db.DB, query string, dest []any, fn func() error) error {
	rows, err := d.R.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := fn(); err != nil {
			return err
		}
	}
	return rows.Err()
}
