package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/importer"
)

// runImport imports a CSV or vCard file from the shell: the same service
// and rules as the web wizard, run in this process with a progress bar.
// Running it again on the same file creates nothing twice: rows match the
// records the first run made (by email, phone, domain or name).
func runImport(ctx context.Context, args []string, env Env) int {
	var object, mode, mapping string
	var dryRun bool
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	cfg, code := parseFlags("import", args, env, func(fs *flag.FlagSet) {
		fs.StringVar(&object, "type", "contacts", "what the file holds: contacts or companies")
		fs.StringVar(&mode, "mode", "skip", "what to do with rows matching an existing record: skip, fill (empty fields) or overwrite")
		fs.StringVar(&mapping, "map", "", `column mapping overrides, e.g. "E-mail=email,Firma=company,Plan=cf.plan,Region=new" ("Column=" leaves one out, "=new" makes a new custom field)`)
		fs.BoolVar(&dryRun, "dry-run", false, "check every row and report what would happen, without keeping anything")
	})
	if code >= 0 {
		return code
	}
	if file == "" {
		fmt.Fprintln(env.Stderr, "rapport import: name the file: rapport import FILE --type contacts")
		return exitUsage
	}
	obj := map[string]string{"contacts": importer.Contacts, "contact": importer.Contacts,
		"companies": importer.Companies, "company": importer.Companies}[object]
	if obj == "" {
		fmt.Fprintf(env.Stderr, "rapport import: --type must be contacts or companies, not %q\n", object)
		return exitUsage
	}
	if !contact.ImportMode(mode).Valid() {
		fmt.Fprintf(env.Stderr, "rapport import: --mode must be skip, fill or overwrite, not %q\n", mode)
		return exitUsage
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport import: %v\n", err)
		return exitError
	}
	defer f.Close()
	d, _, ok := openDB(ctx, "import", cfg, env)
	if !ok {
		return exitError
	}
	defer d.Close()
	svc := newServices(d)
	imp := importer.New(importer.Options{DB: d, Contacts: svc.contacts, Companies: svc.companies, Users: svc.users,
		Activities: svc.activities, Dir: filepath.Join(cfg.DataDir, "imports")})
	ctx = access.WithActor(ctx, access.SystemActor)
	say := func(err error) int {
		if v := apperr.AsValidation(err); v != nil {
			for _, fe := range v.Fields {
				fmt.Fprintf(env.Stderr, "rapport import: %s: %s\n", fe.Field, fe.Message)
			}
			return exitError
		}
		fmt.Fprintf(env.Stderr, "rapport import: %v\n", err)
		return exitError
	}
	im, err := imp.Upload(ctx, obj, filepath.Base(file), f)
	if err != nil {
		return say(err)
	}
	cols := im.Mapping
	if mapping != "" {
		if cols, err = overrideMapping(im.Header, im.Mapping, mapping); err != nil {
			return say(err)
		}
	}
	if im, err = imp.Configure(ctx, im.ID, importer.Settings{Mapping: cols, Mode: contact.ImportMode(mode)}); err != nil {
		printMapping(env, im)
		return say(err)
	}
	printMapping(env, im)
	start := time.Now()
	var last time.Time
	im, err = imp.Run(ctx, im.ID, dryRun, func(x importer.Import) {
		if time.Since(last) < 200*time.Millisecond && !x.Finished() {
			return
		}
		last = time.Now()
		filled := x.Percent() * 30 / 100
		fmt.Fprintf(env.Stderr, "\rImport [%s%s] %3d%%  %d rows  %.0f rows/s  %d rejected ", strings.Repeat("#", filled),
			strings.Repeat(".", 30-filled), x.Percent(), x.RowsDone, float64(x.RowsDone)/max(time.Since(start).Seconds(), 0.001), x.Rejected)
	})
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return say(err)
	}
	verb := "Imported"
	if dryRun {
		verb = "Checked (dry run, nothing kept)"
	}
	fmt.Fprintf(env.Stdout, "%s %d rows in %s: %d created, %d updated, %d skipped, %d rejected.\n", verb, im.RowsDone,
		time.Since(start).Round(100*time.Millisecond), im.Created, im.Updated, im.Skipped, im.Rejected)
	if im.Rejected > 0 {
		report := strings.TrimSuffix(file, filepath.Ext(file)) + ".rejected.csv"
		out, err := os.Create(report)
		if err != nil {
			return say(err)
		}
		_, err = imp.ErrorReport(ctx, im.ID, out)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return say(err)
		}
		fmt.Fprintf(env.Stdout, "The rejected rows, each with its reason, are in %s: fix them and import that file.\n", report)
	}
	if im.Status == importer.Failed {
		fmt.Fprintf(env.Stderr, "rapport import: %s\n", im.Error)
		return exitError
	}
	return exitOK
}

// overrideMapping applies "Column=field,..." to a guessed mapping.
func overrideMapping(header, guessed []string, spec string) ([]string, error) {
	cols := append([]string(nil), guessed...)
	var v apperr.Validation
	for _, pair := range strings.Split(spec, ",") {
		name, field, ok := strings.Cut(pair, "=")
		if !ok {
			v.Add("map", fmt.Sprintf("%q: write Column=field.", pair))
			continue
		}
		found := false
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(name)) {
				cols[i], found = strings.TrimSpace(field), true
			}
		}
		if !found {
			v.Add("map", fmt.Sprintf("The file has no column %q.", name))
		}
	}
	return cols, v.Err()
}

func printMapping(env Env, im importer.Import) {
	if im.Format != importer.CSV {
		fmt.Fprintf(env.Stderr, "%s: vCard\n", im.FileName)
		return
	}
	fmt.Fprintf(env.Stderr, "%s: %s, delimiter %q, %d columns\n", im.FileName, im.Encoding, im.Delimiter, len(im.Header))
	for i, h := range im.Header {
		to := "(left out)"
		if i < len(im.Mapping) && im.Mapping[i] != "" {
			to = im.Mapping[i]
		}
		fmt.Fprintf(env.Stderr, "  %-30s → %s\n", h, to)
	}
}
