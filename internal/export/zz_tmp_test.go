package export_test

import (
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/export"
	"github.com/rapportcrm/rapport/internal/user"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestTmpCPUWall(t *testing.T) {
	d, ctx := benchDB(&testing.B{})
	users := user.NewService(d)
	x := export.NewService(d, contact.NewService(d, users), company.NewService(d, users))
	for i := 0; i < 2; i++ {
		start0 := time.Now()
		rows, _ := d.R.QueryContext(ctx, `SELECT c.id, c.display_name, c.email, c.phone, m.name, c.lifecycle_stage,
			u.name, c.updated_at FROM contacts c LEFT JOIN companies m ON m.id = c.company_id
			LEFT JOIN users u ON u.id = c.owner_id WHERE c.deleted_at IS NULL ORDER BY c.updated_at DESC, c.id DESC`)
		n0 := 0
		for rows.Next() { n0++ }
		rows.Close()
		fmt.Printf("plain %d rows: %.0f rows/s\n", n0, float64(n0)/time.Since(start0).Seconds())
		start, c0 := time.Now(), cpuNow()
		job, _ := x.PrepareList(ctx, export.ListRequest{Object: export.ObjectContact})
		n, _ := job.Write(ctx, io.Discard)
		w, c := time.Since(start), cpuNow()-c0
		_ = 0
		fmt.Printf("csv %d rows: %.2f µs/row wall, %.2f µs/row cpu, %.0f rows/s\n", n, float64(w.Nanoseconds())/1000/float64(n), float64(c.Nanoseconds())/1000/float64(n), float64(n)/w.Seconds())
	}
}
