package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/bench"
	"github.com/rapportcrm/rapport/internal/db"
)

func runBench(ctx context.Context, args []string, env Env) int {
	// The benchmark measures what rapport serve does, collector included.
	tuneGC(env)
	fs := flag.NewFlagSet("rapport bench", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	engine := fs.String("engine", "sqlite", "sqlite, postgres or both")
	contacts := fs.Int("contacts", 1_000_000, "contacts in the data set (companies are a tenth)")
	deals := fs.Int("deals", 0, "deals in the data set, in 3 pipelines (default a fifth of --contacts)")
	sqlitePath := fs.String("sqlite", "", "SQLite file to build the data set in (must not exist); default a temporary file")
	pg := fs.String("postgres", env.Getenv("RAPPORT_BENCH_POSTGRES"), "URL of an empty PostgreSQL database (env RAPPORT_BENCH_POSTGRES)")
	duration := fs.Duration("duration", 5*time.Second, "how long each measurement runs")
	clients := fs.Int("clients", 64, "concurrent loopback connections for the HTTP load tests")
	markdown := fs.String("markdown", "", "also write the results as markdown to this file")
	machine := fs.String("machine", "", "machine description for the markdown (default: cores and memory of this one)")
	only := fs.String("only", "", "comma-separated operations to measure ("+strings.Join(bench.OpNames, ", ")+"); default all")
	importRows := fs.Int("import-rows", 0, "rows in the CSV import benchmark (default 20,000 or the data set's size if smaller)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "rapport bench: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	var engines []db.Engine
	switch *engine {
	case "sqlite":
		engines = []db.Engine{db.SQLite}
	case "postgres":
		engines = []db.Engine{db.Postgres}
	case "both":
		engines = []db.Engine{db.SQLite, db.Postgres}
	default:
		fmt.Fprintf(env.Stderr, "rapport bench: --engine must be sqlite, postgres or both, not %q\n", *engine)
		return exitUsage
	}
	if *contacts < 1 {
		fmt.Fprintf(env.Stderr, "rapport bench: --contacts must be at least 1, not %d\n", *contacts)
		return exitUsage
	}
	if *engine != "sqlite" && *pg == "" {
		fmt.Fprintln(env.Stderr, "rapport bench: --postgres URL (or RAPPORT_BENCH_POSTGRES) is needed for PostgreSQL")
		return exitUsage
	}
	var ops []string
	for _, name := range strings.Split(*only, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if !slices.Contains(bench.OpNames, name) {
			fmt.Fprintf(env.Stderr, "rapport bench: --only: unknown operation %q (known: %s)\n", name, strings.Join(bench.OpNames, ", "))
			return exitUsage
		}
		ops = append(ops, name)
	}
	if *importRows < 0 {
		fmt.Fprintf(env.Stderr, "rapport bench: --import-rows must not be negative, not %d\n", *importRows)
		return exitUsage
	}
	rep, err := bench.Run(ctx, bench.Options{Engines: engines, Contacts: *contacts, Deals: *deals, SQLitePath: *sqlitePath,
		PostgresURL: *pg, Duration: *duration, Clients: *clients, Log: env.Stderr, Only: ops, ImportRows: *importRows})
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport bench: %v\n", err)
		return exitError
	}
	rep.Table(env.Stdout)
	if *markdown != "" {
		var b strings.Builder
		rep.Markdown(&b, machineDescription(*machine))
		if err := os.WriteFile(*markdown, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintf(env.Stderr, "rapport bench: %v\n", err)
			return exitError
		}
	}
	return exitOK
}

// machineDescription is cores and memory from /proc, when not given.
func machineDescription(given string) string {
	if given != "" {
		return given
	}
	desc := "this machine"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			desc = fmt.Sprintf("%.0f GiB memory", float64(kb)/1024/1024)
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name\t: "); ok {
				desc = name + ", " + desc
				break
			}
		}
	}
	return desc
}
