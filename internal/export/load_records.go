package export

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/phone"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/search"
)

// tags inserts tags with their lower-case key and remembers their ids by
// name, for the records' tag lists.
func (l *loader) tags(ctx context.Context, tx *db.Tx, names []string, rows [][]any) error {
	at := slices.Index(names, "name")
	idAt := slices.Index(names, "id")
	out := make([][]any, len(rows))
	for i, r := range rows {
		key := strings.ToLower(r[at].(string))
		l.tagIDs[key] = r[idAt].(string)
		out[i] = append(r, key)
	}
	return db.Insert(ctx, tx, "tags", append(slices.Clone(names), "name_lower"), out)
}

// tagRows links record id to the tags named in raw.
func (l *loader) tagRows(recordID string, raw json.RawMessage) ([][]any, error) {
	names, err := strs(raw)
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	var out [][]any
	for _, n := range names {
		tid, ok := l.tagIDs[strings.ToLower(n)]
		if !ok {
			return nil, fmt.Errorf("tags: %q is not in tags.jsonl", n)
		}
		out = append(out, []any{recordID, tid})
	}
	return out, nil
}

func (l *loader) teamMembers(ctx context.Context, tx *db.Tx, lines []line) error {
	var rows [][]any
	for _, ln := range lines {
		ids, err := strs(ln["member_ids"])
		if err != nil {
			return fmt.Errorf("team %s: member_ids: %w", str(ln, "id"), err)
		}
		for _, u := range ids {
			rows = append(rows, []any{str(ln, "id"), u})
		}
	}
	return db.Insert(ctx, tx, "team_members", []string{"team_id", "user_id"}, rows)
}

// noteIndexes remembers the filterable fields: their indexes are made
// once the records are in, which is faster than keeping them up to date.
func (l *loader) noteIndexes(lines []line) {
	for _, ln := range lines {
		var filterable bool
		json.Unmarshal(ln["filterable"], &filterable)
		if filterable {
			l.fields = append(l.fields, fieldIndex{object: str(ln, "object"), key: str(ln, "key"), typ: str(ln, "type")})
		}
	}
}

func (l *loader) companyChildren(ctx context.Context, tx *db.Tx, lines []line) error {
	var tags [][]any
	var docs []search.Doc
	for _, ln := range lines {
		cid := str(ln, "id")
		t, err := l.tagRows(cid, ln["tags"])
		if err != nil {
			return fmt.Errorf("company %s: %w", cid, err)
		}
		tags = append(tags, t...)
		if string(ln["deleted_at"]) != "null" && len(ln["deleted_at"]) > 0 {
			continue
		}
		// The same document the company service indexes.
		domain := str(ln, "domain")
		terms := []string{str(ln, "industry"), str(ln, "city")}
		if domain != "" {
			terms = append(terms, domain)
		}
		docs = append(docs, search.Doc{Kind: search.KindCompany, ID: cid, Title: str(ln, "name"), Subtitle: domain, Terms: terms})
	}
	if err := db.Insert(ctx, tx, "company_tags", []string{"company_id", "tag_id"}, tags); err != nil {
		return err
	}
	return search.IndexBatch(ctx, tx, tx.Engine, docs)
}

// loadedEmail and loadedPhone are a contact's list items as a dump holds them.
type loadedEmail struct {
	Address string `json:"address"`
	Label   string `json:"label"`
}

type loadedPhone struct {
	E164     string `json:"e164"`
	Original string `json:"original"`
	Label    string `json:"label"`
}

// contactLists is the contacts.lists value of a dump's contact line.
func contactLists(ln line) (string, error) {
	var es []contact.Email
	var ps []contact.Phone
	if err := unmarshalList(ln["emails"], &es); err != nil {
		return "", fmt.Errorf("emails: %w", err)
	}
	if err := unmarshalList(ln["phones"], &ps); err != nil {
		return "", fmt.Errorf("phones: %w", err)
	}
	return contact.EncodeLists(es, ps, phone.Format), nil
}

func (l *loader) contactChildren(ctx context.Context, tx *db.Tx, lines []line) error {
	var emails, phones, links, tags [][]any
	type pending struct {
		doc        search.Doc
		companyIDs []string
	}
	var docs []pending
	var companyIDs []string
	for _, ln := range lines {
		cid := str(ln, "id")
		live := string(ln["deleted_at"]) == "null" || len(ln["deleted_at"]) == 0
		var es []loadedEmail
		var ps []loadedPhone
		if err := unmarshalList(ln["emails"], &es); err != nil {
			return fmt.Errorf("contact %s: emails: %w", cid, err)
		}
		if err := unmarshalList(ln["phones"], &ps); err != nil {
			return fmt.Errorf("contact %s: phones: %w", cid, err)
		}
		comps, err := strs(ln["company_ids"])
		if err != nil {
			return fmt.Errorf("contact %s: company_ids: %w", cid, err)
		}
		t, err := l.tagRows(cid, ln["tags"])
		if err != nil {
			return fmt.Errorf("contact %s: %w", cid, err)
		}
		tags = append(tags, t...)
		doc := search.Doc{Kind: search.KindContact, ID: cid, Title: str(ln, "display_name")}
		for i, e := range es {
			emails = append(emails, []any{cid, i, e.Address, strings.ToLower(e.Address), e.Label, live})
			doc.Terms = append(doc.Terms, e.Address)
		}
		for i, p := range ps {
			phones = append(phones, []any{cid, i, p.E164, p.Original, p.Label, phone.Format(p.E164)})
			doc.Terms = append(doc.Terms, phone.SearchTerms(p.E164)...)
		}
		for i, m := range comps {
			links = append(links, []any{cid, m, i})
		}
		if !live {
			continue
		}
		if len(es) > 0 {
			doc.Subtitle = es[0].Address
		}
		docs = append(docs, pending{doc: doc, companyIDs: comps})
		companyIDs = append(companyIDs, comps...)
	}
	for _, x := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"contact_emails", []string{"contact_id", "position", "address", "address_key", "label", "live"}, emails},
		{"contact_phones", []string{"contact_id", "position", "e164", "original", "label", "international"}, phones},
		{"contact_companies", []string{"contact_id", "company_id", "position"}, links},
		{"contact_tags", []string{"contact_id", "tag_id"}, tags},
	} {
		if err := db.Insert(ctx, tx, x.table, x.cols, x.rows); err != nil {
			return err
		}
	}
	names, err := companyNames(ctx, tx, companyIDs)
	if err != nil {
		return err
	}
	out := make([]search.Doc, 0, len(docs))
	byID := map[string]line{}
	for _, ln := range lines {
		byID[str(ln, "id")] = ln
	}
	for _, p := range docs {
		// The same document the contact service indexes.
		d := p.doc
		ln := byID[d.ID]
		var primary string
		for _, m := range p.companyIDs {
			if n, ok := names[m]; ok {
				d.Terms = append(d.Terms, n)
				if primary == "" {
					primary = n
				}
			}
		}
		title := str(ln, "job_title")
		if title != "" {
			d.Terms = append(d.Terms, title)
		}
		if d.Subtitle == "" {
			d.Subtitle = strings.Trim(strings.TrimSpace(strings.Join([]string{title, primary}, " · ")), " ·")
		}
		out = append(out, d)
	}
	return search.IndexBatch(ctx, tx, tx.Engine, out)
}

func unmarshalList[T any](raw json.RawMessage, dst *[]T) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return json.Unmarshal(raw, dst)
}

// companyNames returns the names of the live companies among ids.
func companyNames(ctx context.Context, tx *db.Tx, ids []string) (map[string]string, error) {
	out := map[string]string{}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for start := 0; start < len(ids); start += batchSize {
		part := ids[start:min(start+batchSize, len(ids))]
		ph := make([]string, len(part))
		args := make([]any, len(part))
		for i, x := range part {
			ph[i] = fmt.Sprintf("$%d", i+1)
			args[i] = x
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, name FROM companies WHERE deleted_at IS NULL AND id IN (`+
			strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// finish sets the users' creators and makes the custom fields' indexes.
func (l *loader) finish(ctx context.Context) error {
	return l.d.WithTx(ctx, func(tx *db.Tx) error {
		for _, r := range l.userRefs {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET created_by = $2, updated_by = $3 WHERE id = $1`,
				r[0], r[1], r[2]); err != nil {
				return fmt.Errorf("users: %w", err)
			}
		}
		for _, f := range l.fields {
			if err := fieldIndexSQL(ctx, tx, f); err != nil {
				return err
			}
		}
		return nil
	})
}

// fieldIndexSQL makes the expression index of a filterable custom field,
// as the custom field service does when a field is made filterable.
func fieldIndexSQL(ctx context.Context, tx *db.Tx, f fieldIndex) error {
	def := customfield.Field{Object: f.object, Key: f.key, Type: customfield.Type(f.typ)}
	if !customfield.ValidKey(f.key) {
		return fmt.Errorf("custom field %q: bad key", f.key)
	}
	expr, err := query.CustomExpr(tx.Engine, "", f.key, customfield.QueryType(def.Type))
	if err != nil {
		return err
	}
	name, table := customfield.IndexName(def), customfield.Table(f.object)
	var stmt string
	switch {
	case def.Type == customfield.MultiSelect && tx.Engine == db.Postgres:
		stmt = fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s USING gin (%s)", name, table, expr)
	case def.Type == customfield.MultiSelect:
		return nil
	default:
		stmt = fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s, id)", name, table, expr)
	}
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("custom field %s: index: %w", f.key, err)
	}
	return nil
}

// upsert writes rows of table, replacing a row with the same id: the
// default pipeline and its stages are in every fresh database.
func upsert(ctx context.Context, tx *db.Tx, table string, names []string, rows [][]any) error {
	ph := make([]string, len(names))
	set := make([]string, 0, len(names))
	for i, n := range names {
		ph[i] = fmt.Sprintf("$%d", i+1)
		if n != "id" {
			set = append(set, n+" = excluded."+n)
		}
	}
	q := `INSERT INTO ` + table + ` (` + strings.Join(names, ", ") + `) VALUES (` + strings.Join(ph, ", ") +
		`) ON CONFLICT (id) DO UPDATE SET ` + strings.Join(set, ", ")
	for _, r := range rows {
		if _, err := tx.ExecContext(ctx, q, r...); err != nil {
			return err
		}
	}
	return nil
}

// dealChildren links each loaded deal to its contacts, in order.
func dealChildren(ctx context.Context, tx *db.Tx, lines []line) error {
	var links [][]any
	for _, ln := range lines {
		ids, err := strs(ln["contact_ids"])
		if err != nil {
			return fmt.Errorf("deal %s: contact_ids: %w", str(ln, "id"), err)
		}
		for i, cid := range ids {
			links = append(links, []any{str(ln, "id"), cid, i})
		}
	}
	return db.Insert(ctx, tx, "deal_contacts", []string{"deal_id", "contact_id", "position"}, links)
}
