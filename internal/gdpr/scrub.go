package gdpr

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/phone"
)

// builtinTexts are the columns of other records that may quote a person:
// events of other records (a merge, a company's timeline), notes and
// meetings on other records, saved bulk operations (their filters and
// problem lists), saved views' filters, and custom values.
var builtinTexts = []Column{
	{Table: "events", Key: "id", Name: "data", JSON: true},
	{Table: "activities", Key: "id", Name: "subject"},
	{Table: "activities", Key: "id", Name: "body"},
	{Table: "activities", Key: "id", Name: "attendees", JSON: true},
	{Table: "bulk_operations", Key: "id", Name: "params", JSON: true},
	{Table: "bulk_operations", Key: "id", Name: "error"},
	{Table: "saved_views", Key: "id", Name: "definition", JSON: true},
	{Table: "contacts", Key: "id", Name: "custom", JSON: true},
	{Table: "companies", Key: "id", Name: "custom", JSON: true},
}

// minNeedle is the shortest text searched for: a two-letter name would
// match inside unrelated words' neighbours too often to be replaced
// blindly. The person's own rows are deleted whatever their length.
const minNeedle = 3

// identifiers returns what identifies the people ids were: their names,
// emails and phone numbers (as typed, in E.164 and as displayed), also the
// emails and phones their records held before a change.
func identifiers(ctx context.Context, q db.Querier, ids []string) ([]string, error) {
	in, args := db.InList(ids, 0)
	var out []string
	for _, query := range []string{
		`SELECT display_name FROM contacts WHERE id IN (` + in + `)`,
		`SELECT TRIM(first_name || ' ' || last_name) FROM contacts WHERE id IN (` + in + `)`,
		`SELECT address FROM contact_emails WHERE contact_id IN (` + in + `)`,
		`SELECT e164 FROM contact_phones WHERE contact_id IN (` + in + `)`,
		`SELECT original FROM contact_phones WHERE contact_id IN (` + in + `)`,
		// As shown when the number was stored (formatting rules change).
		`SELECT international FROM contact_phones WHERE contact_id IN (` + in + `) AND international <> ''`,
	} {
		vals, err := strings1(ctx, q, query, args)
		if err != nil {
			return nil, err
		}
		out = append(out, vals...)
	}
	// Emails and phones changed since: their old values are in the updates.
	cond, args := personEvents("", ids)
	data, err := strings1(ctx, q, `SELECT data FROM events WHERE kind = 'contact.updated' AND `+cond, args)
	if err != nil {
		return nil, err
	}
	for _, d := range data {
		var u struct {
			Changes []struct {
				Field  string `json:"field"`
				Before any    `json:"before"`
				After  any    `json:"after"`
			} `json:"changes"`
		}
		if json.Unmarshal([]byte(d), &u) != nil {
			continue
		}
		for _, c := range u.Changes {
			if c.Field == "emails" || c.Field == "phones" {
				out = append(out, stringsIn(c.Before)...)
				out = append(out, stringsIn(c.After)...)
			}
		}
	}
	// Numbers are also shown, and so copied into notes and emails, in their
	// display form ("+1 415-555-0132"): look for that too.
	var shown []string
	for _, v := range out {
		if strings.HasPrefix(v, "+") {
			if f := phone.Format(v); f != "" && f != v {
				shown = append(shown, f)
			}
		}
	}
	return append(out, shown...), nil
}

func stringsIn(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// strings1 runs a query of one text column and returns its values.
func strings1(ctx context.Context, q db.Querier, query string, args []any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("gdpr: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("gdpr: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// matcher finds a person's identifiers in text, as whole words and in any
// case, also as they are written inside JSON strings.
type matcher struct {
	variants []string // lower case, longest first
	re       *regexp.Regexp
}

func newMatcher(identifiers []string) *matcher {
	seen := map[string]bool{}
	m := &matcher{}
	for _, s := range identifiers {
		s = strings.TrimSpace(s)
		if utf8.RuneCountInString(s) < minNeedle {
			continue
		}
		b, _ := json.Marshal(s)
		for _, v := range []string{s, string(b[1 : len(b)-1])} {
			v = strings.ToLower(v)
			if !seen[v] {
				seen[v] = true
				m.variants = append(m.variants, v)
			}
		}
	}
	if len(m.variants) == 0 {
		return m
	}
	sort.Slice(m.variants, func(i, j int) bool { return len(m.variants[i]) > len(m.variants[j]) })
	quoted := make([]string, len(m.variants))
	for i, v := range m.variants {
		quoted[i] = regexp.QuoteMeta(v)
	}
	m.re = regexp.MustCompile(`(?i)(?:` + strings.Join(quoted, "|") + `)`)
	return m
}

// empty reports whether there is nothing to look for.
func (m *matcher) empty() bool { return m.re == nil }

// replace returns s with every identifier replaced by Redacted.
func (m *matcher) replace(s string) (string, bool) {
	if m.re == nil {
		return s, false
	}
	var b strings.Builder
	last, changed := 0, false
	for _, loc := range m.re.FindAllStringIndex(s, -1) {
		if !boundaryBefore(s, loc[0]) || !boundaryAfter(s, loc[1]) {
			continue
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(Redacted)
		last, changed = loc[1], true
	}
	if !changed {
		return s, false
	}
	b.WriteString(s[last:])
	return b.String(), true
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func boundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	if !wordRune(r) {
		return true
	}
	// A JSON escape just before is a boundary too: "\nAda", "\u003cAda".
	p := s[:i]
	if len(p) >= 2 && p[len(p)-2] == '\\' && strings.ContainsRune("nrtbf", rune(p[len(p)-1])) {
		return true
	}
	if len(p) >= 6 && p[len(p)-6] == '\\' && p[len(p)-5] == 'u' {
		return true
	}
	return false
}

func boundaryAfter(s string, i int) bool {
	if i == len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !wordRune(r)
}

// likes returns the LIKE patterns that find the matcher's variants in a
// lower-cased column; PostgreSQL's LIKE treats a backslash as an escape.
func (m *matcher) likes(engine db.Engine) []any {
	out := make([]any, len(m.variants))
	for i, v := range m.variants {
		if engine == db.Postgres {
			v = strings.ReplaceAll(v, `\`, `\\`)
		}
		out[i] = "%" + v + "%"
	}
	return out
}

// rowRef names one row that quotes the person.
type rowRef struct {
	table, key, id string
	cols           []Column
}

// tables groups columns by table, in a stable order.
func tables(cols []Column) [][]Column {
	var order []string
	by := map[string][]Column{}
	for _, c := range cols {
		if _, ok := by[c.Table]; !ok {
			order = append(order, c.Table)
		}
		by[c.Table] = append(by[c.Table], c)
	}
	out := make([][]Column, len(order))
	for i, t := range order {
		out[i] = by[t]
	}
	return out
}

// find returns the rows whose columns quote the person; with since set,
// only rows whose key (a time-ordered id) is not older than since.
func (m *matcher) find(ctx context.Context, q db.Querier, engine db.Engine, cols []Column, since string) ([]rowRef, error) {
	if m.empty() {
		return nil, nil
	}
	likes := m.likes(engine)
	var out []rowRef
	for _, tc := range tables(cols) {
		var conds []string
		for _, c := range tc {
			for i := range likes {
				conds = append(conds, fmt.Sprintf("lower(CAST(%s AS text)) LIKE $%d", c.Name, i+1))
			}
		}
		query := `SELECT ` + tc[0].Key + ` FROM ` + tc[0].Table + ` WHERE (` + strings.Join(conds, " OR ") + `)`
		args := append([]any(nil), likes...)
		if since != "" {
			query += fmt.Sprintf(" AND %s >= $%d", tc[0].Key, len(args)+1)
			args = append(args, since)
		}
		keys, err := strings1(ctx, q, query, args)
		if err != nil {
			return nil, fmt.Errorf("search %s: %w", tc[0].Table, err)
		}
		for _, k := range keys {
			out = append(out, rowRef{table: tc[0].Table, key: tc[0].Key, id: k, cols: tc})
		}
	}
	return out, nil
}

// scrub replaces the person's identifiers in one row; it reports whether
// the row changed. A row deleted meanwhile is skipped.
func (m *matcher) scrub(ctx context.Context, tx *db.Tx, r rowRef) (bool, error) {
	names := make([]string, len(r.cols))
	for i, c := range r.cols {
		names[i] = "CAST(" + c.Name + " AS text)"
	}
	vals := make([]string, len(r.cols))
	ptrs := make([]any, len(r.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+r.table+` WHERE `+r.key+` = $1`, r.id)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", r.table, err)
	}
	found := rows.Next()
	if found {
		err = rows.Scan(ptrs...)
	}
	rows.Close()
	if err != nil || !found {
		return false, err
	}
	var sets []string
	args := []any{r.id}
	for i, c := range r.cols {
		v, changed := m.replace(vals[i])
		if !changed {
			continue
		}
		if c.JSON && !json.Valid([]byte(v)) {
			return false, fmt.Errorf("redacting %s.%s of %s broke its JSON", r.table, c.Name, r.id)
		}
		args = append(args, v)
		sets = append(sets, fmt.Sprintf("%s = $%d", c.Name, len(args)))
	}
	if len(sets) == 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE `+r.table+` SET `+strings.Join(sets, ", ")+` WHERE `+r.key+` = $1`,
		args...); err != nil {
		return false, fmt.Errorf("redact %s: %w", r.table, err)
	}
	return true, nil
}
