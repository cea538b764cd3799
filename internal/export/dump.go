package export

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/db"
)

// The dump format.
const (
	// Format names a Rapport dump in its manifest.
	Format = "rapport-export"
	// FormatVersion is the version of the files' layout; Load reads this
	// version only.
	FormatVersion = 1
	// ManifestFile is the manifest's name in the zip.
	ManifestFile = "manifest.json"
)

// batchSize is how many rows a dump reads, and a load writes, at a time.
const batchSize = 1000

// Manifest describes a dump: what made it, when, and how many rows each
// file holds.
type Manifest struct {
	Format         string    `json:"format"`
	FormatVersion  int       `json:"format_version"`
	RapportVersion string    `json:"rapport_version"`
	CreatedAt      time.Time `json:"created_at"`
	// Engine is the database the dump was read from.
	Engine string `json:"engine"`
	// Files maps each file's name to its number of rows (lines).
	Files map[string]int `json:"files"`
}

// DumpOptions configure Dump.
type DumpOptions struct {
	// Version is Rapport's version, for the manifest.
	Version string
	// Progress, when set, is called as rows are written: the file and the
	// rows written to it so far.
	Progress func(file string, rows int)
}

// Dump writes everything in d to w as a zip of JSON lines, one file per
// kind of record (see tables) plus manifest.json, reading one consistent
// snapshot a batch of rows at a time, so memory stays the same whatever the
// size of the database. Passwords, second-factor secrets, sessions and the
// audit log are left out. The actor in ctx must be allowed to export
// contacts and companies and to read users (owners, admins and the system);
// the dump is recorded in the audit log.
func Dump(ctx context.Context, d *db.DB, w io.Writer, o DumpOptions) (Manifest, error) {
	for _, p := range []struct {
		object string
		action access.Action
	}{{access.Contacts, access.Export}, {access.Companies, access.Export}, {access.Users, access.Read}} {
		if _, err := access.Check(ctx, p.object, p.action); err != nil {
			return Manifest{}, err
		}
	}
	m := Manifest{Format: Format, FormatVersion: FormatVersion, RapportVersion: o.Version,
		CreatedAt: db.Now(), Engine: string(d.Engine), Files: map[string]int{}}
	err := dump(ctx, d, w, &m, o)
	e := audit.Entry{Action: "data.exported", ObjectType: "database", Details: map[string]any{"files": m.Files}}
	if err != nil {
		e.Outcome = audit.Failed
		e.Details = map[string]any{"files": m.Files, "error": err.Error()}
	}
	if aerr := audit.Record(ctx, d.W, e); aerr != nil && err == nil {
		err = aerr
	}
	return m, err
}

func dump(ctx context.Context, d *db.DB, w io.Writer, m *Manifest, o DumpOptions) error {
	opts := &sql.TxOptions{}
	if d.Engine == db.Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	// One read transaction: every file comes from the same snapshot.
	tx, err := d.R.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("export: begin: %w", err)
	}
	defer tx.Rollback()
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	for _, t := range tables {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: t.file(), Method: zip.Deflate, Modified: m.CreatedAt})
		if err != nil {
			return fmt.Errorf("export: %s: %w", t.file(), err)
		}
		bw := bufio.NewWriterSize(f, 64<<10)
		td := &tableDump{t: t, tx: tx, e: d.Engine, w: bw, progress: o.Progress}
		if err := td.run(ctx); err != nil {
			return fmt.Errorf("export: %s: %w", t.file(), err)
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("export: %s: %w", t.file(), err)
		}
		m.Files[t.file()] = td.n
	}
	f, err := zw.CreateHeader(&zip.FileHeader{Name: ManifestFile, Method: zip.Deflate, Modified: m.CreatedAt})
	if err != nil {
		return fmt.Errorf("export: manifest: %w", err)
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("export: manifest: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("export: zip: %w", err)
	}
	return nil
}

// tableDump writes one table's file.
type tableDump struct {
	t        table
	tx       *sql.Tx
	e        db.Engine
	w        *bufio.Writer
	n        int
	progress func(string, int)
	line     []byte
}

func (td *tableDump) run(ctx context.Context) error {
	names := make([]string, len(td.t.cols))
	for i, c := range td.t.cols {
		names[i] = c.name
	}
	sel := "SELECT " + strings.Join(names, ", ") + " FROM " + td.t.name
	if td.t.small {
		order := td.t.key
		if td.e == db.Postgres {
			order += ` COLLATE "C"`
		}
		rows, err := td.read(ctx, sel+" ORDER BY "+order)
		if err != nil {
			return err
		}
		return td.write(ctx, rows)
	}
	last := ""
	for {
		q, args := sel+" ORDER BY "+td.t.key+" LIMIT "+strconv.Itoa(batchSize), []any(nil)
		if last != "" {
			q, args = sel+" WHERE "+td.t.key+" > $1 ORDER BY "+td.t.key+" LIMIT "+strconv.Itoa(batchSize), []any{last}
		}
		rows, err := td.read(ctx, q, args...)
		if err != nil {
			return err
		}
		if err := td.write(ctx, rows); err != nil {
			return err
		}
		if len(rows) < batchSize {
			return nil
		}
		last = rows[len(rows)-1].key
	}
}

// dumpRow is one scanned row: its key and a value per column.
type dumpRow struct {
	key  string
	vals []any
}

func (td *tableDump) read(ctx context.Context, q string, args ...any) ([]dumpRow, error) {
	rows, err := td.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	keyAt := 0
	for i, c := range td.t.cols {
		if c.name == td.t.key {
			keyAt = i
		}
	}
	var out []dumpRow
	for rows.Next() {
		dest := scanDest(td.t.cols)
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, dumpRow{key: *dest[keyAt].(*string), vals: dest})
	}
	return out, rows.Err()
}

// scanDest returns a destination per column.
func scanDest(cols []col) []any {
	dest := make([]any, len(cols))
	for i, c := range cols {
		switch c.kind {
		case kText, kJSON:
			dest[i] = new(string)
		case kNullText:
			dest[i] = new(sql.NullString)
		case kInt:
			dest[i] = new(int64)
		case kNullInt:
			dest[i] = new(sql.NullInt64)
		case kBool:
			dest[i] = new(bool)
		case kTime, kNullTime:
			dest[i] = new(db.Time)
		case kDate:
			dest[i] = new(db.Date)
		case kBytes:
			dest[i] = new([]byte)
		}
	}
	return dest
}

// write writes the lines of a batch, with the children of its rows.
func (td *tableDump) write(ctx context.Context, rows []dumpRow) error {
	if len(rows) == 0 {
		return nil
	}
	kids := make([]map[string][][]byte, len(td.t.kids))
	for i, k := range td.t.kids {
		m, err := td.children(ctx, k, rows)
		if err != nil {
			return fmt.Errorf("%s: %w", k.field, err)
		}
		kids[i] = m
	}
	for _, r := range rows {
		b := append(td.line[:0], '{')
		for i, c := range td.t.cols {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, c.name)
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, c.kind, r.vals[i]); err != nil {
				return fmt.Errorf("row %s, %s: %w", r.key, c.name, err)
			}
		}
		for i, k := range td.t.kids {
			b = append(b, ',')
			b = appendString(b, k.field)
			b = append(b, ":["...)
			for j, item := range kids[i][r.key] {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, item...)
			}
			b = append(b, ']')
		}
		b = append(b, '}', '\n')
		td.line = b
		if _, err := td.w.Write(b); err != nil {
			return err
		}
		td.n++
	}
	if td.progress != nil {
		td.progress(td.t.file(), td.n)
	}
	return ctx.Err()
}

// children reads child k of rows, each encoded as JSON, by parent key.
func (td *tableDump) children(ctx context.Context, k child, rows []dumpRow) (map[string][][]byte, error) {
	names := make([]string, len(k.cols))
	for i, c := range k.cols {
		names[i] = c.name
	}
	ph := make([]string, len(rows))
	args := make([]any, len(rows))
	for i, r := range rows {
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = r.key
	}
	order := k.order
	if k.textOrder && td.e == db.Postgres {
		order += ` COLLATE "C"`
	}
	q := "SELECT " + k.fk + ", " + strings.Join(names, ", ") + " FROM " + k.from + " WHERE " + k.fk +
		" IN (" + strings.Join(ph, ", ") + ") ORDER BY " + k.fk + ", " + order
	res, err := td.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	out := map[string][][]byte{}
	for res.Next() {
		var parent string
		dest := append([]any{&parent}, scanDest(k.cols)...)
		if err := res.Scan(dest...); err != nil {
			return nil, err
		}
		var b []byte
		if k.flat {
			if b, err = appendValue(b, k.cols[0].kind, dest[1]); err != nil {
				return nil, err
			}
		} else {
			b = append(b, '{')
			for i, c := range k.cols {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, c.name)
				b = append(b, ':')
				if b, err = appendValue(b, c.kind, dest[i+1]); err != nil {
					return nil, err
				}
			}
			b = append(b, '}')
		}
		out[parent] = append(out[parent], b)
	}
	return out, res.Err()
}

// timeText is how instants are written: UTC to the microsecond, the
// precision both engines keep.
const timeText = "2006-01-02T15:04:05.000000Z"

// appendValue appends the JSON of a scanned value of kind k.
func appendValue(b []byte, k kind, v any) ([]byte, error) {
	switch k {
	case kText:
		return appendString(b, *v.(*string)), nil
	case kNullText:
		s := v.(*sql.NullString)
		if !s.Valid {
			return append(b, "null"...), nil
		}
		return appendString(b, s.String), nil
	case kInt:
		return strconv.AppendInt(b, *v.(*int64), 10), nil
	case kNullInt:
		n := v.(*sql.NullInt64)
		if !n.Valid {
			return append(b, "null"...), nil
		}
		return strconv.AppendInt(b, n.Int64, 10), nil
	case kBool:
		return strconv.AppendBool(b, *v.(*bool)), nil
	case kTime, kNullTime:
		t := v.(*db.Time)
		if t.IsZero() {
			return append(b, "null"...), nil
		}
		return appendString(b, t.UTC().Format(timeText)), nil
	case kDate:
		d := *v.(*db.Date)
		if d == "" {
			return append(b, "null"...), nil
		}
		return appendString(b, string(d)), nil
	case kJSON:
		return appendJSON(b, *v.(*string))
	case kBytes:
		return appendString(b, base64.StdEncoding.EncodeToString(*v.(*[]byte))), nil
	}
	return nil, fmt.Errorf("unknown kind %d", k)
}

// appendJSON appends stored JSON in one canonical form (keys sorted,
// numbers as written, no HTML escaping), so the same document reads the
// same from either engine.
func appendJSON(b []byte, s string) ([]byte, error) {
	if strings.TrimSpace(s) == "" {
		return append(b, "null"...), nil
	}
	canon, err := canonicalJSON([]byte(s))
	if err != nil {
		return nil, err
	}
	return append(b, canon...), nil
}

// canonicalJSON re-encodes a JSON document: object keys sorted, numbers
// kept as written, no HTML escaping, no insignificant space.
func canonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(out.Bytes(), "\n"), nil
}

// appendString appends s as a JSON string, escaping only what JSON
// requires so text stays readable; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
