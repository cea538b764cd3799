package bench

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/rapportcrm/rapport/internal/db"
)

// Table writes the results as an aligned text table.
func (r *Report) Table(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "engine\toperation\tvalue\tbaseline\tratio\ttarget\t")
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", x.Engine, x.Operation, value(x.Value, x.Unit),
			value(x.Base, x.Unit)+" ("+x.Baseline+")", ratio(x), verdict(x))
	}
	tw.Flush()
}

// Markdown writes the report as the body of docs/BENCHMARKS.md.
func (r *Report) Markdown(w io.Writer, machine string) {
	fmt.Fprintf(w, "Measured %s on %s (%d logical CPUs visible to Go), with `rapport bench --contacts %d`.\n\n",
		r.Date.Format("2006-01-02"), machine, runtime.NumCPU(), r.Contacts)
	fmt.Fprintln(w, "| engine | data set | load time |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, e := range []db.Engine{db.SQLite, db.Postgres} {
		s, ok := r.Sizes[e]
		if !ok {
			continue
		}
		fmt.Fprintf(w, "| %s | %d contacts, %d companies, %d activities, %d events | %s (%.0f contacts/s) |\n",
			e, s.Contacts, s.Companies, s.Activities, s.Events, r.LoadTime[e].Round(1e8),
			float64(s.Contacts)/r.LoadTime[e].Seconds())
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| engine | operation | value | baseline (same run) | ratio | target | detail |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, x := range r.Results {
		fmt.Fprintf(w, "| %s | %s | %s | %s: %s | %s | %s | %s; %d / %d samples |\n", x.Engine, x.Operation, value(x.Value, x.Unit),
			x.Baseline, value(x.Base, x.Unit), ratio(x), verdict(x), x.Detail, x.Samples, x.BaseSamples)
	}
}

func value(v float64, unit string) string {
	if strings.HasPrefix(unit, "ms") {
		return fmt.Sprintf("%.2f %s", v, unit)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}

func ratio(x Result) string {
	if x.Base == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", x.Ratio())
}

func verdict(x Result) string {
	switch {
	case x.Target == "":
		return "–"
	case x.Met:
		return "met: " + x.Target
	default:
		return "NOT met: " + x.Target
	}
}
