package contact_test

import (
	"fmt"
	"testing"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/user"
)

func benchInputs(n int, tag string) []contact.Input {
	out := make([]contact.Input, n)
	for i := range out {
		out[i] = contact.Input{FirstName: fixture.Ptr(fmt.Sprintf("P%d", i)), LastName: fixture.Ptr(tag),
			Emails: &[]contact.Email{{Address: fmt.Sprintf("%s%d@example.com", tag, i)}}, Tags: &[]string{"bench"}}
	}
	return out
}

// BenchmarkCreate1000 compares two ways of creating 1,000 contacts in one
// call: Bulk (each item through the single-create path under its own
// savepoint, as POST /api/v1/contacts/batch does) and ImportBatchTx (the
// import's multi-row writes, without per-item savepoints).
func BenchmarkCreate1000(b *testing.B) {
	for _, engine := range dbtest.Engines() {
		d := dbtest.Open(b, engine)
		ctx, _ := fixture.User(b, d, "owner")
		s := contact.NewService(d, user.NewService(d))
		b.Run(string(engine)+"/bulk", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				var items []contact.BulkItem
				for _, in := range benchInputs(1000, fmt.Sprintf("bulk%d", i)) {
					items = append(items, contact.BulkItem{Input: in})
				}
				if _, err := s.Bulk(ctx, items); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(engine)+"/import-batch", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				err := d.WithTx(ctx, func(tx *db.Tx) error {
					_, err := s.ImportBatchTx(ctx, tx, benchInputs(1000, fmt.Sprintf("imp%d", i)), contact.ImportSkip,
						contact.ImportSource{ImportID: id.New(), File: "bench.csv"})
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
