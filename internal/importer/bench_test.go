package importer_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/importer"
	"github.com/rapportcrm/rapport/internal/user"
)

// BenchmarkImport20k imports a 20,000-row contacts CSV shaped like the
// one `rapport bench --only import` writes, each iteration new contacts,
// and inserts the same number of rows raw, as the bench's baseline does,
// half before the import and half after, so that both meet tables of the
// same size on average; it reports both CPU times per row.
func BenchmarkImport20k(b *testing.B) {
	const n = 20_000
	for _, engine := range dbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			d := dbtest.Open(b, engine)
			ctx, _ := fixture.User(b, d, "owner")
			users := user.NewService(d)
			contacts := contact.NewService(d, users)
			companies := company.NewService(d, users)
			imp := importer.New(importer.Options{DB: d, Contacts: contacts, Companies: companies, Users: users,
				Activities: activity.NewService(d, contacts, companies), Dir: filepath.Join(b.TempDir(), "imports")})
			var rawWall, impWall, rawCPU, impCPU time.Duration
			for i := 0; b.Loop(); i++ {
				c0, t0 := cpuTime(), time.Now()
				rawInsert(b, d, 0, n/2, i)
				rawCPU += cpuTime() - c0
				rawWall += time.Since(t0)
				var sb strings.Builder
				sb.WriteString("First Name,Last Name,E-mail Address,Job Title,City\n")
				for j := range n {
					fmt.Fprintf(&sb, "Imported,Person %d,imported%d.%d@bench.example,Buyer,Lyon\n", j, i, j)
				}
				im, err := imp.Upload(ctx, importer.Contacts, "bench.csv", strings.NewReader(sb.String()))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := imp.Configure(ctx, im.ID, importer.Settings{}); err != nil {
					b.Fatal(err)
				}
				c0, t0 = cpuTime(), time.Now()
				if im, err = imp.Run(ctx, im.ID, false, nil); err != nil {
					b.Fatal(err)
				}
				impCPU += cpuTime() - c0
				impWall += time.Since(t0)
				c0, t0 = cpuTime(), time.Now()
				rawInsert(b, d, n/2, n, i)
				rawCPU += cpuTime() - c0
				rawWall += time.Since(t0)
				if im.Created != n {
					b.Fatalf("created %d of %d", im.Created, n)
				}
			}
			rows := float64(n * b.N)
			b.ReportMetric(rows/impWall.Seconds(), "rows/s")
			b.ReportMetric(rawWall.Seconds()/impWall.Seconds(), "ratio")
			b.ReportMetric(float64(impCPU.Microseconds())/rows, "cpu-µs/row")
			b.ReportMetric(float64(rawCPU.Microseconds())/rows, "raw-cpu-µs/row")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rawInsert is the bench's baseline: contacts number first to end
// (excluded) with their emails, in 10,000-row transactions.
func rawInsert(b *testing.B, d *db.DB, first, end, iter int) {
	now := db.T(db.Now())
	ctx := b.Context()
	for from := first; from < end; from += 10_000 {
		var contacts, emails [][]any
		for i := from; i < min(end, from+10_000); i++ {
			cid := id.New()
			name := fmt.Sprintf("Raw Person %d", i)
			addr := fmt.Sprintf("raw%d.%d@bench.example", iter, i)
			contacts = append(contacts, []any{cid, "Raw", fmt.Sprintf("Person %d", i), name, strings.ToLower(name), addr,
				"Buyer", "Lyon", contact.DefaultStage, "{}", now, now, contact.EncodeLists([]contact.Email{{Address: addr}}, nil, nil)})
			emails = append(emails, []any{cid, 0, addr, addr, "", true})
		}
		err := d.WithTx(ctx, func(tx *db.Tx) error {
			if err := db.Insert(ctx, tx, "contacts", []string{"id", "first_name", "last_name", "display_name", "sort_name",
				"email", "job_title", "city", "lifecycle_stage", "custom", "created_at", "updated_at", "lists"}, contacts); err != nil {
				return err
			}
			return db.Insert(ctx, tx, "contact_emails", []string{"contact_id", "position", "address", "address_key", "label", "live"}, emails)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
