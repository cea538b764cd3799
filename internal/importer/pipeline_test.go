package importer_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/importer"
)

// Rows that meet across batches — an email written another way, a number
// written another way, a company or a tag named again — come to what an
// import taking one batch at a time gives, on PostgreSQL where batches
// run two at a time as on SQLite where they do not. Each case has one
// kind of meeting only, so that no other one makes the batches take turns.
func TestRowsMeetingAcrossBatches(t *testing.T) {
	email := func(i int) string { return fmt.Sprintf("person%d@example.com", i) }
	number := func(i int) string { return fmt.Sprintf("+44 20 7946 %04d", i) }
	type row struct{ mail, tel, org, label string }
	cases := []struct {
		name string
		row  func(i int) row
		// what the import of 60 rows comes to
		created, skipped int64
		companies, tags  int
	}{
		{"email", func(i int) row {
			if i%10 == 8 { // the email of the row seven before, in the batch before
				return row{mail: strings.ToUpper(email(i - 7))}
			}
			return row{mail: email(i), tel: number(i)}
		}, 54, 6, 0, 0},
		{"phone", func(i int) row {
			if i%10 == 9 { // the number of the row eight before, without spaces
				return row{tel: strings.ReplaceAll(number(i-8), " ", "")}
			}
			return row{mail: email(i), tel: number(i)}
		}, 54, 6, 0, 0},
		{"company", func(i int) row {
			r := row{mail: email(i), tel: number(i)}
			switch i % 10 {
			case 0:
				r.org = "Acme Ltd"
			case 5:
				r.org = " ACME LTD"
			}
			return r
		}, 60, 0, 1, 0},
		{"tag", func(i int) row {
			r := row{mail: email(i), tel: number(i)}
			switch i % 10 {
			case 0:
				r.label = "VIP"
			case 5:
				r.label = "vip"
			}
			return r
		}, 60, 0, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, d *db.DB) {
				e := newEnv(t, d) // 7 rows per batch
				var b strings.Builder
				b.WriteString("First Name,Last Name,E-mail 1 - Value,Phone 1 - Value,Organization Name,Labels\n")
				for i := range 60 {
					r := c.row(i)
					fmt.Fprintf(&b, "Person,%d,%s,%s,%s,%s\n", i, r.mail, r.tel, r.org, r.label)
				}
				im := e.run(e.ctx, importer.Contacts, c.name+".csv", b.String(), contact.ImportSkip, false)
				if im.Status != importer.Done || im.RowsDone != 60 || im.Created != c.created || im.Skipped != c.skipped || im.Rejected != 0 {
					t.Fatalf("import = %s, %d rows: %d created, %d skipped, %d rejected; want done, 60 rows: %d created, %d skipped",
						im.Status, im.RowsDone, im.Created, im.Skipped, im.Rejected, c.created, c.skipped)
				}
				var contacts, companies, tags int
				for _, q := range []struct {
					sql string
					n   *int
				}{
					{`SELECT count(*) FROM contacts WHERE deleted_at IS NULL`, &contacts},
					{`SELECT count(*) FROM companies WHERE deleted_at IS NULL`, &companies},
					{`SELECT count(*) FROM tags`, &tags},
				} {
					if err := d.R.QueryRowContext(e.ctx, q.sql).Scan(q.n); err != nil {
						t.Fatal(err)
					}
				}
				if int64(contacts) != c.created || companies != c.companies || tags != c.tags {
					t.Errorf("%d contacts, %d companies, %d tags; want %d, %d, %d",
						contacts, companies, tags, c.created, c.companies, c.tags)
				}
				// The same file again creates nothing.
				again := e.run(e.ctx, importer.Contacts, c.name+".csv", b.String(), contact.ImportSkip, false)
				if again.Created != 0 || again.Skipped != 60 {
					t.Errorf("second import: %d created, %d skipped; want 0 and 60", again.Created, again.Skipped)
				}
			})
		})
	}
}
