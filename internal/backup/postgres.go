package backup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrToolMissing is returned when pg_dump or pg_restore is not installed.
var ErrToolMissing = errors.New("PostgreSQL client program not found")

// ErrToolTooOld is returned when pg_dump or pg_restore is of an older major
// version than the server.
var ErrToolTooOld = errors.New("PostgreSQL client program older than the server")

// tools are the PostgreSQL client programs; empty fields mean "on PATH".
type tools struct{ dump, restore string }

// program finds the client program name (pg_dump or pg_restore) and checks
// that its major version is at least the server's.
func program(ctx context.Context, name, configured string, pool *pgxpool.Pool) (string, error) {
	var server int
	if err := pool.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&server); err != nil {
		return "", fmt.Errorf("read the server's version: %w", err)
	}
	major := server / 10000
	if configured == "" {
		configured = name
	}
	path, err := exec.LookPath(configured)
	if err != nil {
		return "", &kindError{kind: ErrToolMissing, msg: fmt.Sprintf("%s was not found (looked for %q on PATH): install the PostgreSQL %d "+
			"client programs or newer (Debian and Ubuntu: apt install postgresql-client-%d)", name, configured, major, major)}
	}
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("run %s --version: %w", path, err)
	}
	m := toolVersion.FindStringSubmatch(string(out))
	if m == nil {
		return "", fmt.Errorf("%s --version printed %q, which names no version", path, strings.TrimSpace(string(out)))
	}
	v, _ := strconv.Atoi(m[1])
	if v < major {
		return "", &kindError{kind: ErrToolTooOld, msg: fmt.Sprintf("%s is version %d, older than the PostgreSQL %d server: install the "+
			"PostgreSQL %d client programs (Debian and Ubuntu: apt install postgresql-client-%d) and put them first on PATH", path, v, major, major, major)}
	}
	return path, nil
}

var toolVersion = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// pgBackup dumps the database's schema into tmp and returns the row count
// of each of its tables. A read-only repeatable-read transaction exports
// its snapshot to pg_dump and counts the tables in the same snapshot, so
// the counts are those of the dump.
func (s *Service) pgBackup(ctx context.Context, tmp string) (map[string]int64, error) {
	dump, err := program(ctx, "pg_dump", s.tools.dump, s.db.Pool)
	if err != nil {
		return nil, err
	}
	conn, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var snapshot, schema string
	if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot(), current_schema()`).Scan(&snapshot, &schema); err != nil {
		return nil, fmt.Errorf("export snapshot: %w", err)
	}
	counts, err := pgTables(ctx, tx, schema)
	if err != nil {
		return nil, err
	}
	if _, ok := counts[migrationTable]; !ok {
		return nil, fmt.Errorf("schema %s has no %s table: it is not a Rapport database", schema, migrationTable)
	}
	err = runTool(ctx, dump, s.src.URL, "--format=custom", "--schema="+quotePattern(schema),
		"--snapshot="+snapshot, "--file="+tmp)
	if err != nil {
		return nil, err
	}
	return counts, tx.Commit(ctx)
}

// pgTables counts the rows of every table of schema.
func pgTables(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
	QueryRow(context.Context, string, ...any) pgx.Row
}, schema string) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, schema)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	counts := make(map[string]int64, len(names))
	for _, n := range names {
		var k int64
		if err := q.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{schema, n}.Sanitize()).Scan(&k); err != nil {
			return nil, fmt.Errorf("count %s: %w", n, err)
		}
		counts[n] = k
	}
	return counts, nil
}

// quotePattern makes a schema name a pg_dump pattern that matches only it.
func quotePattern(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// runTool runs a PostgreSQL client program against the database at rawURL.
// The password travels in the environment, not on the command line, and
// the URL keeps only what libpq understands (search_path, for one, is
// pgx's and the programs refuse it).
func runTool(ctx context.Context, path, rawURL string, args ...string) error {
	conn, password := libpqURL(rawURL)
	cmd := exec.CommandContext(ctx, path, append(args, "--no-password", "--dbname="+conn)...)
	cmd.Env = os.Environ()
	if password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+password)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = "..." + msg[len(msg)-2000:]
		}
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("%s failed: %s", shortName(path), msg)
	}
	return nil
}

func shortName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// libpqParams are the URL parameters libpq accepts; pgx accepts more.
var libpqParams = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true, "passfile": true,
	"channel_binding": true, "connect_timeout": true, "client_encoding": true, "options": true,
	"application_name": true, "fallback_application_name": true, "keepalives": true,
	"keepalives_idle": true, "keepalives_interval": true, "keepalives_count": true,
	"tcp_user_timeout": true, "gssencmode": true, "sslmode": true, "requiressl": true,
	"sslcompression": true, "sslcert": true, "sslkey": true, "sslpassword": true, "sslcertmode": true,
	"sslrootcert": true, "sslcrl": true, "sslcrldir": true, "sslsni": true, "requirepeer": true,
	"ssl_min_protocol_version": true, "ssl_max_protocol_version": true, "krbsrvname": true,
	"gsslib": true, "gssdelegation": true, "service": true, "target_session_attrs": true,
	"load_balance_hosts": true,
}

// libpqURL returns rawURL without its password and without parameters
// libpq does not know, and the password.
func libpqURL(rawURL string) (conn, password string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL, ""
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			password = p
			u.User = url.User(u.User.Username())
		}
	}
	q := u.Query()
	if p := q.Get("password"); p != "" {
		password = p
	}
	for k := range q {
		if !libpqParams[k] {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), password
}

// tocEntry is one line of pg_restore --list: "TABLE", "TABLE DATA",
// "SCHEMA", ... with its schema and name.
type tocEntry struct {
	Line, Desc, Schema, Name string
	// Fields are the words after Desc: schema, name, owner.
	Fields []string
}

var tocLine = regexp.MustCompile(`^\d+; \d+ \d+ (.+)$`)

// tocDescs are the entry kinds the checks look at, longest first.
var tocDescs = []string{"TABLE DATA", "TABLE", "SCHEMA", "COMMENT"}

// listArchive runs pg_restore --list on file and returns its entries.
func listArchive(ctx context.Context, pgRestore, file string) ([]tocEntry, error) {
	cmd := exec.CommandContext(ctx, pgRestore, "--list", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("pg_restore --list %s: %s", file, strings.TrimSpace(stderr.String()+" "+err.Error()))
	}
	var entries []tocEntry
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		m := tocLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		e := tocEntry{Line: line}
		for _, d := range tocDescs {
			if rest, ok := strings.CutPrefix(m[1], d+" "); ok {
				e.Desc = d
				f := strings.Fields(rest)
				e.Fields = f
				if len(f) >= 2 {
					e.Schema, e.Name = f[0], f[1]
				}
				break
			}
		}
		entries = append(entries, e)
	}
	return entries, sc.Err()
}

// verifyDump checks that pg_restore can read the archive and that it holds
// the definition and the data of every table counted at backup time.
func (t tools) verifyDump(ctx context.Context, file string, counts map[string]int64) error {
	restore := t.restore
	if restore == "" {
		restore = "pg_restore"
	}
	path, err := exec.LookPath(restore)
	if err != nil {
		return &kindError{kind: ErrToolMissing, msg: fmt.Sprintf("pg_restore was not found (looked for %q on PATH) to check the backup", restore)}
	}
	entries, err := listArchive(ctx, path, file)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, e := range entries {
		if e.Desc == "TABLE" || e.Desc == "TABLE DATA" {
			have[e.Desc+" "+e.Name] = true
		}
	}
	var missing []string
	for n := range counts {
		if !have["TABLE "+n] || !have["TABLE DATA "+n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the archive %s lacks tables: %s", file, strings.Join(missing, ", "))
	}
	return nil
}

// archiveSchema is the one schema whose tables the archive holds.
func archiveSchema(entries []tocEntry) (string, error) {
	schemas := map[string]bool{}
	for _, e := range entries {
		if e.Desc == "TABLE" {
			schemas[e.Schema] = true
		}
	}
	if len(schemas) != 1 {
		return "", fmt.Errorf("the archive holds tables of %d schemas; a Rapport backup holds one", len(schemas))
	}
	for s := range schemas {
		return s, nil
	}
	return "", nil
}

// kindError is an error with its own message that matches a sentinel.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }
