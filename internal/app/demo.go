package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/demo"
)

func runDemo(ctx context.Context, args []string, env Env) int {
	var contacts int
	var seed uint64
	cfg, code := parseFlags("demo", args, env, func(fs *flag.FlagSet) {
		fs.IntVar(&contacts, "contacts", demo.DefaultContacts, "how many contacts to create (companies are a tenth)")
		fs.Uint64Var(&seed, "seed", 1, "random seed: the same seed gives the same data")
	})
	if code >= 0 {
		return code
	}
	if contacts < 1 || contacts > demo.MaxContacts {
		fmt.Fprintf(env.Stderr, "rapport demo: --contacts must be between 1 and %d, not %d\n", demo.MaxContacts, contacts)
		return exitUsage
	}
	d, _, ok := openDB(ctx, "demo", cfg, env)
	if !ok {
		return exitError
	}
	defer d.Close()
	if code := fillDemo(ctx, d, contacts, seed, env); code != exitOK {
		return code
	}
	return exitOK
}

// fillDemo generates the demo data with a progress bar on stderr and
// prints the demo sign-in.
func fillDemo(ctx context.Context, d *db.DB, contacts int, seed uint64, env Env) int {
	bar := newProgress(env.Stderr, "Demo data", contacts)
	start := time.Now()
	res, err := demo.Generate(ctx, d, demo.Options{Contacts: contacts, Seed: seed, Progress: bar.set})
	bar.done()
	if errors.Is(err, demo.ErrNotEmpty) {
		fmt.Fprintf(env.Stderr, "rapport demo: %v\n", err)
		return exitError
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport demo: %v\n", err)
		return exitError
	}
	fmt.Fprintf(env.Stdout, "Created %d contacts, %d companies, %d activities and %d events in %s.\n",
		res.Contacts, res.Companies, res.Activities, res.Events, time.Since(start).Round(100*time.Millisecond))
	if res.OwnerCreated {
		fmt.Fprintf(env.Stdout, "Sign in as %s with the password %s\n", demo.OwnerEmail, demo.OwnerPassword)
	} else {
		fmt.Fprintf(env.Stdout, "Demo users (%s and others) have the password %s\n", demo.OwnerEmail, demo.OwnerPassword)
	}
	return exitOK
}

// progress draws a one-line progress bar; on a stream that is not a
// terminal it prints a line every tenth of the way instead.
type progress struct {
	w      io.Writer
	label  string
	total  int
	start  time.Time
	last   time.Time
	tenths int
}

func newProgress(w io.Writer, label string, total int) *progress {
	return &progress{w: w, label: label, total: total, start: time.Now()}
}

func (p *progress) set(done, total int) {
	if time.Since(p.last) < 200*time.Millisecond && done < total {
		return
	}
	p.last = time.Now()
	frac := float64(done) / float64(max(total, 1))
	rate := float64(done) / max(time.Since(p.start).Seconds(), 0.001)
	filled := int(frac * 30)
	if t := int(frac * 10); t > p.tenths || done == total {
		p.tenths = t
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%%  %d/%d  %.0f/s ", p.label, strings.Repeat("#", filled),
		strings.Repeat(".", 30-filled), frac*100, done, total, rate)
}

func (p *progress) done() { fmt.Fprintln(p.w) }
