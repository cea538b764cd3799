// Package tag holds the labels people put on contacts and companies. A tag
// is created the first time it is used; names compare case-insensitively.
package tag

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// Tag is one label with the number of records carrying it.
type Tag struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Contacts  int    `json:"contacts"`
	Companies int    `json:"companies"`
}

// MaxLen is the longest tag name.
const MaxLen = 50

// Clean trims, de-duplicates (ignoring case) and checks names; field names
// the input in validation messages.
func Clean(field string, names []string) ([]string, error) {
	var out []string
	var v apperr.Validation
	for _, n := range names {
		n = strings.Join(strings.Fields(n), " ")
		if n == "" {
			continue
		}
		if utf8.RuneCountInString(n) > MaxLen {
			v.Add(field, fmt.Sprintf("Keep each tag under %d characters.", MaxLen))
			continue
		}
		if strings.ContainsAny(n, ",;") {
			v.Add(field, "A tag cannot contain a comma or semicolon.")
			continue
		}
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, n) }) {
			out = append(out, n)
		}
	}
	if len(out) > 100 {
		v.Add(field, "Use at most 100 tags.")
	}
	return out, v.Err()
}

// Ensure returns the ids of the named tags, creating the missing ones, in
// the order given.
func Ensure(ctx context.Context, tx *db.Tx, names []string) ([]string, error) {
	ids := make([]string, 0, len(names))
	for _, n := range names {
		key := strings.ToLower(n)
		_, err := tx.ExecContext(ctx, `INSERT INTO tags (id, name, name_lower, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (name_lower) DO NOTHING`, id.New(), n, key, db.T(db.Now()))
		if err != nil {
			return nil, fmt.Errorf("tag: ensure %q: %w", n, err)
		}
		var tid string
		if err := tx.QueryRowContext(ctx, `SELECT id FROM tags WHERE name_lower = $1`, key).Scan(&tid); err != nil {
			return nil, fmt.Errorf("tag: ensure %q: %w", n, err)
		}
		ids = append(ids, tid)
	}
	return ids, nil
}

// List returns every tag with its usage counts, by name.
func List(ctx context.Context, q db.Querier) ([]Tag, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.id, t.name,
		(SELECT COUNT(*) FROM contact_tags ct JOIN contacts c ON c.id = ct.contact_id
		  WHERE ct.tag_id = t.id AND c.deleted_at IS NULL),
		(SELECT COUNT(*) FROM company_tags mt JOIN companies m ON m.id = mt.company_id
		  WHERE mt.tag_id = t.id AND m.deleted_at IS NULL)
		FROM tags t ORDER BY t.name_lower`)
	if err != nil {
		return nil, fmt.Errorf("tag: list: %w", err)
	}
	defer rows.Close()
	var out []Tag
	for rows.Next() {
		var t Tag
		if err := rows.Scan(&t.ID, &t.Name, &t.Contacts, &t.Companies); err != nil {
			return nil, fmt.Errorf("tag: list: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Names returns the names of tags whose names start with prefix (case
// ignored), at most limit, for autocompletion.
func Names(ctx context.Context, q db.Querier, prefix string, limit int) ([]string, error) {
	p := likeEscaper.Replace(strings.ToLower(prefix)) + "%"
	rows, err := q.QueryContext(ctx, `SELECT name FROM tags WHERE name_lower LIKE $1 ESCAPE '\'
		ORDER BY name_lower LIMIT $2`, p, limit)
	if err != nil {
		return nil, fmt.Errorf("tag: names: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
