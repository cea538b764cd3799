package app

import (
	"archive/zip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/export"
)

// runExport writes everything in the database to --out as a zip of JSON
// lines (see package export), replacing --out only once the zip is whole.
func runExport(ctx context.Context, args []string, env Env) int {
	var out string
	cfg, code := parseFlags("export", args, env, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "the zip file to write (required), e.g. rapport-export.zip")
	})
	if code >= 0 {
		return code
	}
	if out == "" {
		fmt.Fprintln(env.Stderr, "rapport export: --out FILE is required, e.g. rapport export --out rapport-export.zip")
		return exitUsage
	}
	d, _, ok := openDB(ctx, "export", cfg, env)
	if !ok {
		return exitError
	}
	defer d.Close()
	tmp, err := os.CreateTemp(filepath.Dir(out), ".rapport-export-*.zip")
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport export: cannot write in the folder of %s: %v\n", out, errors.Unwrap(err))
		return exitError
	}
	defer os.Remove(tmp.Name())
	start := time.Now()
	p := &fileProgress{w: env.Stderr}
	m, err := export.Dump(access.WithActor(ctx, access.SystemActor), d, tmp, export.DumpOptions{Version: Version, Progress: p.show})
	p.done()
	if err == nil {
		err = tmp.Close()
	} else {
		tmp.Close()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport export: %s\n", strings.TrimPrefix(err.Error(), "export: "))
		return exitError
	}
	fmt.Fprintf(env.Stdout, "Wrote %s in %s:\n", out, time.Since(start).Round(10*time.Millisecond))
	printFiles(env.Stdout, m.Files)
	return exitOK
}

// runLoad reads a zip made by `rapport export` into an empty database.
func runLoad(ctx context.Context, args []string, env Env) int {
	files, flags := positional(args)
	cfg, code := parseFlags("load", flags, env, nil)
	if code >= 0 {
		return code
	}
	if len(files) != 1 {
		fmt.Fprintln(env.Stderr, "rapport load: name one export zip, e.g. rapport load rapport-export.zip --db sqlite:new.db")
		return exitUsage
	}
	zr, err := zip.OpenReader(files[0])
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport load: %s: %v\n", files[0], err)
		return exitError
	}
	defer zr.Close()
	d, _, ok := openDB(ctx, "load", cfg, env)
	if !ok {
		return exitError
	}
	defer d.Close()
	fmt.Fprintf(env.Stderr, "Loading %s into %s ...\n", files[0], cfg.Source)
	start := time.Now()
	p := &fileProgress{w: env.Stderr}
	res, err := export.Load(access.WithActor(ctx, access.SystemActor), d, &zr.Reader, export.LoadOptions{Progress: p.show})
	p.done()
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport load: %s\n", strings.TrimPrefix(err.Error(), "export: load: "))
		if errors.Is(err, export.ErrNotEmpty) {
			fmt.Fprintln(env.Stderr, "Nothing was changed. Give --db a new SQLite file or an empty PostgreSQL database.")
		} else if len(res.Rows) > 0 {
			fmt.Fprintln(env.Stderr, "The database holds part of the export now: start again with a new, empty database.")
		}
		return exitError
	}
	fmt.Fprintf(env.Stdout, "Loaded %s (exported %s from %s, Rapport %s) in %s:\n", files[0],
		res.Manifest.CreatedAt.Format("2006-01-02 15:04"), res.Manifest.Engine, res.Manifest.RapportVersion,
		time.Since(start).Round(10*time.Millisecond))
	printFiles(env.Stdout, res.Rows)
	fmt.Fprintln(env.Stdout, "Passwords are never exported. New one-time passwords, shown once: pass each on, to be")
	fmt.Fprintln(env.Stdout, "changed after signing in (Account → Security); two-factor sign-in and passkeys are set up anew.")
	for _, email := range slices.Sorted(maps.Keys(res.Passwords)) {
		fmt.Fprintf(env.Stdout, "  %-40s %s\n", email, res.Passwords[email])
	}
	return exitOK
}

func printFiles(w io.Writer, files map[string]int) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-22s %10d rows\n", n, files[n])
	}
}

// fileProgress rewrites one line on the terminal as files fill.
type fileProgress struct {
	w    io.Writer
	last time.Time
	line bool
}

func (p *fileProgress) show(file string, rows int) {
	if time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r%-22s %10d rows", file, rows)
	p.line = true
}

func (p *fileProgress) done() {
	if p.line {
		fmt.Fprintln(p.w)
	}
}
