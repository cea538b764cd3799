package export

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/user"
)

// ErrNotEmpty means Load was given a database that already holds data.
var ErrNotEmpty = errors.New("the database is not empty; an export loads only into a new, empty database")

// LoadOptions configure Load.
type LoadOptions struct {
	// Progress, when set, is called after each batch: the file and the
	// rows loaded from it so far.
	Progress func(file string, rows int)
}

// LoadResult says what Load did.
type LoadResult struct {
	Manifest Manifest
	// Rows are the rows loaded per file.
	Rows map[string]int
	// Passwords are new one-time passwords of the active users, by email:
	// a dump holds no passwords, so every loaded user gets a new one, to
	// be passed on once and changed after signing in.
	Passwords map[string]string
}

// maxLine is the longest line Load reads: a note holds 100,000 characters,
// which JSON escaping can make several times longer.
const maxLine = 16 << 20

// Load reads a dump made by Dump into d, which must be empty (migrated,
// with no users or records), keeping every id, in transactions of a batch
// of rows each, and rebuilds the search index. Only the system (the
// machine's operator, from the shell) may load. A failed load leaves what
// it wrote so far: start again with a new database.
func Load(ctx context.Context, d *db.DB, zr *zip.Reader, o LoadOptions) (LoadResult, error) {
	res := LoadResult{Rows: map[string]int{}, Passwords: map[string]string{}}
	if a, ok := access.ActorFrom(ctx); !ok || !a.System {
		return res, fmt.Errorf("export: load: only the system may load a dump: %w", apperr.ErrForbidden)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	m, err := readManifest(files)
	if err != nil {
		return res, err
	}
	res.Manifest = m
	if err := checkEmpty(ctx, d); err != nil {
		return res, err
	}
	l := &loader{d: d, res: &res, progress: o.Progress, tagIDs: map[string]string{}}
	for _, t := range tables {
		f := files[t.file()]
		if f == nil {
			return res, fmt.Errorf("export: load: the zip has no %s", t.file())
		}
		n, err := l.file(ctx, t, f)
		res.Rows[t.file()] = n
		if err != nil {
			return res, fmt.Errorf("export: load: %s: %w", t.file(), err)
		}
		if want := m.Files[t.file()]; n != want {
			return res, fmt.Errorf("export: load: %s has %d rows, the manifest says %d", t.file(), n, want)
		}
	}
	if err := l.finish(ctx); err != nil {
		return res, fmt.Errorf("export: load: %w", err)
	}
	err = audit.Record(ctx, d.W, audit.Entry{Action: "data.loaded", ObjectType: "database",
		Details: map[string]any{"files": res.Rows, "dumped_at": m.CreatedAt, "dumped_from": m.Engine}})
	return res, err
}

func readManifest(files map[string]*zip.File) (Manifest, error) {
	var m Manifest
	f := files[ManifestFile]
	if f == nil {
		return m, errors.New("export: load: this zip has no manifest.json; is it a Rapport export?")
	}
	rc, err := f.Open()
	if err != nil {
		return m, fmt.Errorf("export: load: manifest: %w", err)
	}
	defer rc.Close()
	if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&m); err != nil {
		return m, fmt.Errorf("export: load: manifest: %w", err)
	}
	if m.Format != Format {
		return m, fmt.Errorf("export: load: manifest.json is not a Rapport export (format %q)", m.Format)
	}
	if m.FormatVersion != FormatVersion {
		return m, fmt.Errorf("export: load: export format version %d; this Rapport reads version %d", m.FormatVersion, FormatVersion)
	}
	return m, nil
}

// checkEmpty refuses a database with users, records or custom roles.
func checkEmpty(ctx context.Context, d *db.DB) error {
	for _, t := range tables {
		q := "SELECT COUNT(*) FROM " + t.name
		switch t.name {
		case "settings":
			continue
		case "roles":
			q += " WHERE builtin = $1"
		case "pipelines":
			q += " WHERE id <> $1"
		case "pipeline_stages":
			q += " WHERE pipeline_id <> $1"
		}
		var n int
		var args []any
		switch t.name {
		case "roles":
			args = append(args, false)
		case "pipelines", "pipeline_stages":
			// The pipeline every fresh database starts with.
			args = append(args, deal.DefaultPipelineID)
		}
		if err := d.R.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return fmt.Errorf("export: load: check %s: %w", t.name, err)
		}
		if n > 0 {
			return fmt.Errorf("export: load: %w (%s holds %d rows)", ErrNotEmpty, t.name, n)
		}
	}
	return nil
}

// loader holds what loading one table needs from the ones before.
type loader struct {
	d        *db.DB
	res      *LoadResult
	progress func(string, int)
	// tagIDs maps a tag's lower-case name to its id.
	tagIDs map[string]string
	// userRefs are the users' created_by and updated_by, set once every
	// user is there.
	userRefs [][3]any
	fields   []fieldIndex
	// lockedHash is the password of the deactivated users: a hash of a
	// random password nobody knows.
	lockedHash string
}

// fieldIndex is a filterable custom field whose index is made at the end.
type fieldIndex struct{ object, key, typ string }

// line is one decoded line: its values by JSON key.
type line map[string]json.RawMessage

// file loads one file, a batch of lines per transaction.
func (l *loader) file(ctx context.Context, t table, f *zip.File) (int, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var batch []line
	n, no := 0, 0
	for sc.Scan() {
		no++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var ln line
		if err := json.Unmarshal(raw, &ln); err != nil {
			return n, fmt.Errorf("line %d: %w", no, err)
		}
		if err := checkKeys(t, ln); err != nil {
			return n, fmt.Errorf("line %d: %w", no, err)
		}
		batch = append(batch, ln)
		if len(batch) == batchSize {
			if err := l.batch(ctx, t, batch, no-len(batch)+1); err != nil {
				return n, err
			}
			n += len(batch)
			batch = batch[:0]
			if l.progress != nil {
				l.progress(t.file(), n)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return n, err
	}
	if len(batch) > 0 {
		if err := l.batch(ctx, t, batch, no-len(batch)+1); err != nil {
			return n, err
		}
		n += len(batch)
		if l.progress != nil {
			l.progress(t.file(), n)
		}
	}
	return n, nil
}

// checkKeys refuses a line with a key the table does not have.
func checkKeys(t table, ln line) error {
	for k := range ln {
		if slices.ContainsFunc(t.cols, func(c col) bool { return c.name == k }) ||
			slices.ContainsFunc(t.kids, func(c child) bool { return c.field == k }) {
			continue
		}
		return fmt.Errorf("unknown field %q", k)
	}
	return nil
}

// batch writes one batch of lines (the first on line first) in a transaction.
func (l *loader) batch(ctx context.Context, t table, lines []line, first int) error {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.name
	}
	rows := make([][]any, len(lines))
	for i, ln := range lines {
		r := make([]any, len(t.cols))
		for j, c := range t.cols {
			v, err := bindValue(c.kind, ln[c.name])
			if err != nil {
				return fmt.Errorf("line %d, %s: %w", first+i, c.name, err)
			}
			r[j] = v
		}
		rows[i] = r
	}
	if t.name == "contacts" {
		// Each contact's own copy of its emails and phones (contacts.lists).
		names = append(names, "lists")
		for i, ln := range lines {
			lists, err := contactLists(ln)
			if err != nil {
				return fmt.Errorf("line %d: %w", first+i, err)
			}
			rows[i] = append(rows[i], lists)
		}
	}
	return l.d.WithTx(ctx, func(tx *db.Tx) error {
		switch t.name {
		case "settings":
			return l.settings(ctx, tx, rows)
		case "roles":
			return l.roles(ctx, tx, rows)
		case "users":
			return l.users(ctx, tx, names, rows)
		case "tags":
			return l.tags(ctx, tx, names, rows)
		case "pipelines", "pipeline_stages":
			return upsert(ctx, tx, t.name, names, rows)
		}
		if err := db.Insert(ctx, tx, t.name, names, rows); err != nil {
			return err
		}
		switch t.name {
		case "teams":
			return l.teamMembers(ctx, tx, lines)
		case "custom_fields":
			l.noteIndexes(lines)
		case "companies":
			return l.companyChildren(ctx, tx, lines)
		case "contacts":
			return l.contactChildren(ctx, tx, lines)
		case "deals":
			return dealChildren(ctx, tx, lines)
		case "orders":
			// The next order number follows the highest one loaded.
			_, err := tx.ExecContext(ctx, `UPDATE order_numbers SET last = (SELECT COALESCE(MAX(number), 1000) FROM orders)`)
			return err
		}
		return nil
	})
}

// bindValue turns a JSON value of kind k into a query argument.
func bindValue(k kind, raw json.RawMessage) (any, error) {
	null := len(raw) == 0 || string(raw) == "null"
	switch k {
	case kNullText, kNullInt, kNullTime, kDate:
		if null {
			return nil, nil
		}
	case kJSON:
		if null {
			return nil, errors.New("missing")
		}
		canon, err := canonicalJSON(raw)
		return string(canon), err
	default:
		if null {
			return nil, errors.New("missing")
		}
	}
	var err error
	switch k {
	case kText, kNullText:
		var s string
		err = json.Unmarshal(raw, &s)
		return s, err
	case kInt, kNullInt:
		var n int64
		err = json.Unmarshal(raw, &n)
		return n, err
	case kBool:
		var b bool
		err = json.Unmarshal(raw, &b)
		return b, err
	case kTime, kNullTime:
		var s string
		if err = json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a time like %s", s, timeText)
		}
		return db.T(t), nil
	case kDate:
		var s string
		if err = json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if _, err := time.Parse(db.DateLayout, s); err != nil {
			return nil, fmt.Errorf("%q is not a date like 2006-01-02", s)
		}
		return db.Date(s), nil
	case kBytes:
		var s string
		if err = json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, errors.New("not base64")
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown kind %d", k)
}

// strs reads a child list of strings (flat children).
func strs(raw json.RawMessage) ([]string, error) {
	var out []string
	if len(raw) == 0 {
		return nil, nil
	}
	err := json.Unmarshal(raw, &out)
	return out, err
}

func str(ln line, key string) string {
	var s string
	json.Unmarshal(ln[key], &s)
	return s
}

func (l *loader) settings(ctx context.Context, tx *db.Tx, rows [][]any) error {
	for _, r := range rows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, r...); err != nil {
			return err
		}
	}
	return nil
}

// roles updates the built-in roles the migrations made and adds the others.
func (l *loader) roles(ctx context.Context, tx *db.Tx, rows [][]any) error {
	for _, r := range rows {
		res, err := tx.ExecContext(ctx, `UPDATE roles SET label = $2, rank = $3, description = $4, scope = $5,
			permissions = $6, builtin = $7, created_at = $8 WHERE name = $1`, r...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO roles (name, label, rank, description, scope, permissions,
			builtin, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r...); err != nil {
			return err
		}
	}
	return nil
}

// users inserts users with new one-time passwords (deactivated users with
// one nobody knows) and without their creators,
// which finish sets once every user exists.
func (l *loader) users(ctx context.Context, tx *db.Tx, names []string, rows [][]any) error {
	if l.lockedHash == "" {
		h, err := user.HashPassword(user.GeneratePassword())
		if err != nil {
			return err
		}
		l.lockedHash = h
	}
	at := func(name string) int { return slices.Index(names, name) }
	out := make([][]any, len(rows))
	for i, r := range rows {
		hash := l.lockedHash
		if r[at("disabled_at")] == nil {
			pw := user.GeneratePassword()
			h, err := user.HashPassword(pw)
			if err != nil {
				return err
			}
			hash = h
			l.res.Passwords[r[at("email")].(string)] = pw
		}
		if r[at("created_by")] != nil || r[at("updated_by")] != nil {
			l.userRefs = append(l.userRefs, [3]any{r[at("id")], r[at("created_by")], r[at("updated_by")]})
			r[at("created_by")], r[at("updated_by")] = nil, nil
		}
		out[i] = append(r, hash)
	}
	return db.Insert(ctx, tx, "users", append(slices.Clone(names), "password_hash"), out)
}
