package export_test

import (
	"context"
	"database/sql"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/demo"
	"github.com/rapportcrm/rapport/internal/export"
	"github.com/rapportcrm/rapport/internal/user"
)

// benchContacts is the data set's size: RAPPORT_BENCH_CONTACTS, or 20,000.
func benchContacts() int {
	if n, err := strconv.Atoi(os.Getenv("RAPPORT_BENCH_CONTACTS")); err == nil && n > 0 {
		return n
	}
	return 20_000
}

// benchDB is a demo data set on the engine named by RAPPORT_BENCH_ENGINE
// (sqlite by default), or the existing demo database RAPPORT_BENCH_DB
// names as rapport demo --db takes it, with a context acting as the demo
// owner.
func benchDB(b *testing.B) (*db.DB, context.Context) {
	b.Helper()
	e := db.SQLite
	if os.Getenv("RAPPORT_BENCH_ENGINE") == "postgres" {
		e = db.Postgres
	}
	d, ok := dbtest.Existing(b)
	if ok {
		e = d.Engine
	} else {
		d = dbtest.Open(b, e)
		if _, err := demo.Generate(context.Background(), d, demo.Options{Contacts: benchContacts(), Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	// Statistics, as rapport bench gathers them after loading.
	stats := `PRAGMA optimize`
	if e == db.Postgres {
		stats = `ANALYZE`
	}
	if _, err := d.W.ExecContext(context.Background(), stats); err != nil {
		b.Fatal(err)
	}
	users, err := user.NewService(d).List(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for _, u := range users {
		if u.Email == demo.OwnerEmail {
			return d, access.WithActor(context.Background(), u.Actor())
		}
	}
	b.Fatal("no demo owner")
	return nil, nil
}

// BenchmarkListExportCSV exports every contact of the data set to CSV
// (default columns and sort) to io.Discard, reporting rows/s and the peak
// growth of the heap; BenchmarkPlainRead is its baseline.
func BenchmarkListExportCSV(b *testing.B) {
	d, ctx := benchDB(b)
	users := user.NewService(d)
	x := export.NewService(d, contact.NewService(d, users), company.NewService(d, users))
	measure(b, func() (int, error) {
		job, err := x.PrepareList(ctx, export.ListRequest{Object: export.ObjectContact})
		if err != nil {
			return 0, err
		}
		return job.Write(ctx, io.Discard)
	})
}

// BenchmarkListExportVCard is the same export as vCards.
func BenchmarkListExportVCard(b *testing.B) {
	d, ctx := benchDB(b)
	users := user.NewService(d)
	x := export.NewService(d, contact.NewService(d, users), company.NewService(d, users))
	measure(b, func() (int, error) {
		job, err := x.PrepareList(ctx, export.ListRequest{Object: export.ObjectContact, Format: export.VCard})
		if err != nil {
			return 0, err
		}
		return job.Write(ctx, io.Discard)
	})
}

// BenchmarkPlainRead reads the rows the CSV export writes by plain SQL.
func BenchmarkPlainRead(b *testing.B) {
	d, ctx := benchDB(b)
	measure(b, func() (int, error) {
		rows, err := d.R.QueryContext(ctx, `SELECT c.id, c.display_name, c.email, c.phone, m.name, c.lifecycle_stage,
			u.name, c.updated_at FROM contacts c LEFT JOIN companies m ON m.id = c.company_id
			LEFT JOIN users u ON u.id = c.owner_id WHERE c.deleted_at IS NULL ORDER BY c.updated_at DESC, c.id DESC`)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		vals := make([]any, 8)
		for i := range vals {
			vals[i] = new(sql.RawBytes)
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(vals...); err != nil {
				return n, err
			}
			n++
		}
		return n, rows.Err()
	})
}

// BenchmarkDump dumps the whole data set to io.Discard.
func BenchmarkDump(b *testing.B) {
	d, _ := benchDB(b)
	measure(b, func() (int, error) {
		m, err := export.Dump(system, d, io.Discard, export.DumpOptions{})
		return m.Files["contacts.jsonl"], err
	})
}

// measure runs fn b.N times and reports rows/s and the peak growth of the
// heap in use, sampled every 5 ms.
func measure(b *testing.B, fn func() (int, error)) {
	b.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var s runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				runtime.ReadMemStats(&s)
				peak = max(peak, s.HeapInuse)
			}
		}
	}()
	b.ResetTimer()
	rows := 0
	for range b.N {
		n, err := fn()
		if err != nil {
			b.Fatal(err)
		}
		rows += n
	}
	b.StopTimer()
	close(done)
	wg.Wait()
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	if peak > base {
		b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MB")
	}
}
