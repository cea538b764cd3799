package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/backup"
	"github.com/rapportcrm/rapport/internal/db"
)

// runBackup writes a consistent backup of the database to --out while the
// server may keep running.
func runBackup(ctx context.Context, args []string, env Env) int {
	var out string
	cfg, code := parseFlags("backup", args, env, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "the backup file to write (required); replaced only by a complete, verified backup")
	})
	if code >= 0 {
		return code
	}
	if out == "" {
		fmt.Fprintln(env.Stderr, "rapport backup: --out FILE is required, e.g. rapport backup --out rapport-backup.db")
		return exitUsage
	}
	if cfg.Source.Engine == db.SQLite {
		if _, err := os.Stat(cfg.Source.Path); err != nil {
			fmt.Fprintf(env.Stderr, "rapport backup: database file %s: %v\n", cfg.Source.Path, errors.Unwrap(err))
			return exitError
		}
	}
	// No migration: the server that owns the database decides when it
	// migrates, and a backup takes the database as it is.
	d, err := db.Open(ctx, cfg.Source)
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport backup: cannot open database %s: %v\n", cfg.Source, err)
		return exitError
	}
	defer d.Close()
	svc := backup.NewService(backup.Options{DB: d, Source: cfg.Source, DataDir: cfg.DataDir,
		Logger: newLogger(cfg, env.Stderr)})
	fmt.Fprintf(env.Stderr, "Backing up %s to %s ...\n", cfg.Source, out)
	res, err := svc.Write(access.WithActor(ctx, access.SystemActor), out)
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport backup: %s\n", strings.TrimPrefix(err.Error(), "backup: "))
		return exitError
	}
	check := "integrity_check ok"
	if res.Engine == db.Postgres {
		check = "pg_restore --list ok"
	}
	fmt.Fprintf(env.Stdout, "Wrote %s (%s) in %s; %s.\n", res.Path, backup.FormatSize(res.Size),
		res.Duration.Round(10*time.Millisecond), check)
	printTables(env.Stdout, res)
	return exitOK
}

// runRestore restores a backup file into an empty database and migrates it.
func runRestore(ctx context.Context, args []string, env Env) int {
	files, flags := positional(args)
	cfg, code := parseFlags("restore", flags, env, nil)
	if code >= 0 {
		return code
	}
	if len(files) != 1 {
		fmt.Fprintln(env.Stderr, "rapport restore: name one backup file, e.g. rapport restore rapport-backup.db --db sqlite:new.db")
		return exitUsage
	}
	fmt.Fprintf(env.Stderr, "Restoring %s into %s ...\n", files[0], cfg.Source)
	res, err := backup.Restore(ctx, cfg.Source, files[0], backup.RestoreOptions{})
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport %v\n", err)
		if errors.Is(err, backup.ErrNotEmpty) {
			fmt.Fprintln(env.Stderr, "Nothing was changed. Give --db a new SQLite file or an empty PostgreSQL database or schema.")
		}
		return exitError
	}
	fmt.Fprintf(env.Stdout, "Restored %s (%s) into %s in %s.\n", files[0], backup.FormatSize(res.Size), cfg.Source,
		res.Duration.Round(10*time.Millisecond))
	for _, m := range res.Migrations {
		fmt.Fprintf(env.Stdout, "applied %s\n", m)
	}
	printTables(env.Stdout, res)
	return exitOK
}

// mainTables are printed first, in this order, when they have rows.
var mainTables = []string{"users", "contacts", "companies", "activities", "events", "audit_log"}

// printTables prints the row counts of a backup: the main tables by name,
// then the number of tables and rows in all.
func printTables(w io.Writer, res backup.Result) {
	var parts []string
	for _, n := range mainTables {
		if k, ok := res.Tables[n]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", n, k))
		}
	}
	var rows int64
	for _, k := range res.Tables {
		rows += k
	}
	fmt.Fprintf(w, "Rows: %s; %d tables, %d rows in all.\n", strings.Join(parts, ", "), len(res.Tables), rows)
}

// positional separates the non-flag arguments from the flags, which may
// come before or after them. Every shared flag takes a value, so a flag
// without "=" takes the next argument.
func positional(args []string) (pos, flags []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(pos, args[i+1:]...), flags
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			help := a == "-h" || a == "-help" || a == "--help"
			if !strings.Contains(a, "=") && !help && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	return pos, flags
}
