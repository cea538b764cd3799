// Package app wires Rapport together and runs its sub-commands.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/db"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// Env is the outside world a command sees; tests replace every part.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// StdinIsTerminal reports whether Stdin is an interactive terminal.
	StdinIsTerminal bool
}

// OSEnv is the process's real environment.
func OSEnv() Env {
	st, err := os.Stdin.Stat()
	return Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		StdinIsTerminal: err == nil && st.Mode()&os.ModeCharDevice != 0,
	}
}

const usage = `Rapport, the CRM in one binary.

Usage:
  rapport serve                       migrate, then serve the web app, API and jobs
  rapport migrate                     apply database migrations and exit
  rapport user create --email E --role R [--name N]
                                      create a user (password from stdin, or one is generated)
  rapport import FILE [--type contacts|companies] [--mode skip|fill|overwrite] [--dry-run] [--map C=f,...]
                                      import a CSV or vCard file, with a progress bar
  rapport demo [--contacts N] [--seed S]
                                      fill an empty database with realistic demo data
  rapport backup --out FILE           write a consistent backup while the server runs
  rapport restore FILE                restore a backup into an empty database, then migrate
  rapport export --out FILE           export everything (JSON lines in a zip; no passwords)
  rapport load FILE                   load a 'rapport export' zip into an empty database
  rapport bench [--engine sqlite|postgres|both] [--contacts N] [--markdown FILE]
                                      measure the operations of DESIGN.md §6 against baselines
  rapport version                     print version and build information

Every command takes --db (env RAPPORT_DB). Run 'rapport serve -h' for all flags.
`

// Main runs the command line args (without the program name) and returns
// the process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, env)
	case "migrate":
		return runMigrate(ctx, rest, env)
	case "user":
		if len(rest) == 0 || rest[0] != "create" {
			fmt.Fprintln(env.Stderr, "rapport user: the only sub-command is 'create': rapport user create --email E --role R")
			return exitUsage
		}
		return runUserCreate(ctx, rest[1:], env)
	case "bench":
		return runBench(ctx, rest, env)
	case "import":
		return runImport(ctx, rest, env)
	case "demo":
		return runDemo(ctx, rest, env)
	case "backup":
		return runBackup(ctx, rest, env)
	case "restore":
		return runRestore(ctx, rest, env)
	case "export":
		return runExport(ctx, rest, env)
	case "load":
		return runLoad(ctx, rest, env)
	case "version", "--version", "-version":
		fmt.Fprintln(env.Stdout, versionString())
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return exitOK
	}
	fmt.Fprintf(env.Stderr, "rapport: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

// parseFlags parses the shared configuration flags plus any extra ones the
// command adds through more. It prints a message and returns a non-zero
// exit code when the flags are wrong.
func parseFlags(name string, args []string, env Env, more func(fs *flag.FlagSet)) (config.Config, int) {
	cfg := config.Default()
	fs := flag.NewFlagSet("rapport "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfg.Register(fs, env.Getenv)
	if more != nil {
		more(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, exitOK
		}
		return cfg, exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "rapport %s: unexpected argument %q\n", name, fs.Arg(0))
		return cfg, exitUsage
	}
	if err := cfg.Validate(); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(env.Stderr, "rapport %s: %s\n", name, line)
		}
		return cfg, exitUsage
	}
	return cfg, -1
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// openDB opens and migrates the database, printing one clear line on failure.
func openDB(ctx context.Context, name string, cfg config.Config, env Env) (*db.DB, []string, bool) {
	d, err := db.Open(ctx, cfg.Source)
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport %s: cannot open database %s: %v\n", name, cfg.Source, err)
		return nil, nil, false
	}
	applied, err := d.Migrate(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport %s: database %s: %v\n", name, cfg.Source, err)
		d.Close()
		return nil, nil, false
	}
	return d, applied, true
}

func runMigrate(ctx context.Context, args []string, env Env) int {
	cfg, code := parseFlags("migrate", args, env, nil)
	if code >= 0 {
		return code
	}
	d, applied, ok := openDB(ctx, "migrate", cfg, env)
	if !ok {
		return exitError
	}
	defer d.Close()
	if len(applied) == 0 {
		fmt.Fprintf(env.Stdout, "%s is up to date.\n", cfg.Source)
		return exitOK
	}
	for _, m := range applied {
		fmt.Fprintf(env.Stdout, "applied %s\n", m)
	}
	return exitOK
}

// Version is set at build time with -ldflags "-X .../internal/app.Version=v1.2.3".
var Version = "dev"

func versionString() string {
	s := "rapport " + Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		s += " (" + bi.GoVersion
		for _, kv := range bi.Settings {
			if kv.Key == "vcs.revision" && len(kv.Value) >= 12 {
				s += ", commit " + kv.Value[:12]
			}
		}
		s += ")"
	}
	return s
}
