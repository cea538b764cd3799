package demo_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/demo"
)

var anchor = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// digest hashes the demo rows that the seed decides, with users named by
// email (their ids come from the clock).
func digest(t *testing.T, d *db.DB) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		`SELECT c.id, c.display_name, COALESCE(c.email, ''), COALESCE(c.phone, ''), c.lifecycle_stage, c.custom, c.created_at,
			COALESCE(u.email, '') FROM contacts c LEFT JOIN users u ON u.id = c.owner_id ORDER BY c.id`,
		`SELECT m.id, m.name, m.domain, m.custom FROM companies m ORDER BY m.id`,
		`SELECT a.id, a.kind, a.contact_id, a.body, a.occurred_at FROM activities a ORDER BY a.id`,
		`SELECT e.id, e.kind, e.subject_id, e.occurred_at FROM events e WHERE e.subject_type IN ('contact', 'company') ORDER BY e.id`,
		`SELECT ct.contact_id, t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id ORDER BY ct.contact_id, t.name`,
	} {
		rows, err := d.R.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		for i := range vals {
			vals[i] = new(any)
		}
		for rows.Next() {
			if err := rows.Scan(vals...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				fmt.Fprintf(h, "%v|", *(v.(*any)))
			}
		}
		rows.Close()
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			var digests []string
			for _, seed := range []uint64{7, 7, 8} {
				d := dbtest.Open(t, e)
				res, err := demo.Generate(ctx, d, demo.Options{Contacts: 1200, Seed: seed, Now: anchor})
				if err != nil {
					t.Fatal(err)
				}
				if res.Contacts != 1200 || res.Companies != 120 || !res.OwnerCreated || res.Activities < 3000 {
					t.Errorf("result = %+v", res)
				}
				digests = append(digests, digest(t, d))
				if _, err := demo.Generate(ctx, d, demo.Options{Contacts: 10}); !errors.Is(err, demo.ErrNotEmpty) {
					t.Errorf("second run on a filled database: %v", err)
				}
			}
			if digests[0] != digests[1] {
				t.Error("the same seed gave different rows")
			}
			if digests[0] == digests[2] {
				t.Error("another seed gave the same rows")
			}
		})
	}
}

func TestBadOptions(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	if _, err := demo.Generate(context.Background(), d, demo.Options{Contacts: -1}); err == nil {
		t.Error("-1 contacts accepted")
	}
	var n int
	d.R.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n)
	if n != 0 {
		t.Errorf("a refused run created %d users", n)
	}
}
