package bench

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/importer"
)

// importRows bounds the rows of the import benchmark.
const importRows = 20_000

// importCSV measures a contacts CSV import through the import service
// (matching on email, every index in place) against inserting the same
// rows raw: 10,000-row transactions (multi-row INSERT on SQLite, COPY on
// PostgreSQL) into the same tables. Half the raw rows go in before the
// import and half after, so that the raw insert meets on average the same
// size of tables and indexes as the import (a million rows double them)
// and a change in the machine's load during the run weighs on both.
func (e *env) importCSV() error {
	n := min(importRows, max(e.o.Contacts, 1000))
	if e.o.ImportRows > 0 {
		n = e.o.ImportRows
	}
	dir, err := os.MkdirTemp("", "rapport-bench-import")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	start := time.Now()
	if err := e.rawInsert(0, n/2); err != nil {
		return err
	}
	rawBefore := time.Since(start)

	// The file is written to disk and read back as a stream, as an upload
	// is: the import's memory must not grow with the file.
	file := filepath.Join(dir, "bench.csv")
	if err := writeImportFile(file, n); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx := access.WithActor(e.ctx, access.SystemActor)
	imp := importer.New(importer.Options{DB: e.d, Contacts: e.contacts, Companies: e.companies, Users: e.users,
		Activities: e.activities, Dir: filepath.Join(dir, "imports")})
	im, err := imp.Upload(ctx, importer.Contacts, "bench.csv", f)
	if err != nil {
		return err
	}
	if _, err := imp.Configure(ctx, im.ID, importer.Settings{}); err != nil {
		return err
	}
	runtime.GC()
	peak := watchRSS()
	start = time.Now()
	im, err = imp.Run(ctx, im.ID, false, nil)
	elapsed := time.Since(start)
	rss := peak()
	if err != nil {
		return err
	}
	if im.Created != int64(n) {
		return fmt.Errorf("bench: import created %d of %d rows", im.Created, n)
	}
	start = time.Now()
	if err := e.rawInsert(n/2, n); err != nil {
		return err
	}
	rawAfter := time.Since(start)
	raw := float64(n) / (rawBefore + rawAfter).Seconds()
	rate := float64(n) / elapsed.Seconds()
	r := Result{Operation: fmt.Sprintf("CSV import of %d contacts, matching on email", n),
		Baseline: "raw 10,000-row INSERT/COPY of the same rows", Unit: "rows/s", Value: rate, Base: raw,
		HigherIsBetter: true, Samples: n, BaseSamples: n, Target: "≥ 50% of raw, peak RSS < 200 MB",
		Detail: fmt.Sprintf("%s; peak RSS of the process during the import %d MB; raw %.0f rows/s before the import, %.0f after",
			elapsed.Round(time.Millisecond), rss>>20, float64(n/2)/rawBefore.Seconds(), float64(n-n/2)/rawAfter.Seconds())}
	r.Met = r.Ratio() >= 0.5 && rss < 200<<20
	e.add(r)
	return nil
}

// rawInsert writes contacts number first to end (excluded) with their
// emails straight into the tables.
func (e *env) rawInsert(first, end int) error {
	const batch = 10_000
	now := db.T(db.Now())
	for from := first; from < end; from += batch {
		var contacts, emails [][]any
		for i := from; i < min(end, from+batch); i++ {
			cid := id.New()
			name := fmt.Sprintf("Raw Person %d", i)
			addr := fmt.Sprintf("raw%d@bench.example", i)
			contacts = append(contacts, []any{cid, "Raw", fmt.Sprintf("Person %d", i), name, strings.ToLower(name), addr,
				"Buyer", "Lyon", contact.DefaultStage, "{}", now, now, contact.EncodeLists([]contact.Email{{Address: addr}}, nil, nil)})
			emails = append(emails, []any{cid, 0, addr, addr, "", true})
		}
		err := e.d.WithTx(e.ctx, func(tx *db.Tx) error {
			if err := db.Insert(e.ctx, tx, "contacts", []string{"id", "first_name", "last_name", "display_name", "sort_name",
				"email", "job_title", "city", "lifecycle_stage", "custom", "created_at", "updated_at", "lists"}, contacts); err != nil {
				return err
			}
			return db.Insert(e.ctx, tx, "contact_emails", []string{"contact_id", "position", "address", "address_key", "label", "live"}, emails)
		})
		if err != nil {
			return fmt.Errorf("bench: raw insert: %w", err)
		}
	}
	return nil
}

// writeImportFile writes a contacts CSV of n rows, as a Google Contacts
// export names its columns.
func writeImportFile(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	w.WriteString("First Name,Last Name,E-mail Address,Job Title,City\n")
	for i := range n {
		fmt.Fprintf(w, "Imported,Person %d,imported%d@bench.example,Buyer,Lyon\n", i, i)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// watchRSS samples the process's resident memory until the returned
// function is called, which returns the highest sample (0 where
// /proc is not there).
func watchRSS() func() int64 {
	var peak atomic.Int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if v := rss(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}

// rss is the resident set size of this process in bytes.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}
