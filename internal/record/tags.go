package record

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/tag"
)

// Kind names a customer record type: "contact" or "company".
type Kind string

// Record kinds.
const (
	Contact Kind = "contact"
	Company Kind = "company"
)

// Table is the kind's table.
func (k Kind) Table() string {
	if k == Company {
		return "companies"
	}
	return "contacts"
}

// tagTable and tagColumn name the kind's link table, never user input.
func (k Kind) tagTable() (string, string) {
	if k == Company {
		return "company_tags", "company_id"
	}
	return "contact_tags", "contact_id"
}

// Tags returns the tag names of one record, by name.
func Tags(ctx context.Context, q db.Querier, k Kind, id string) ([]string, error) {
	table, col := k.tagTable()
	rows, err := q.QueryContext(ctx, `SELECT t.name FROM `+table+` x JOIN tags t ON t.id = x.tag_id
		WHERE x.`+col+` = $1 ORDER BY t.name_lower`, id)
	if err != nil {
		return nil, fmt.Errorf("record: tags: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// AddTags links the named tags (already cleaned) to a record and returns
// those that were not there before.
func AddTags(ctx context.Context, tx *db.Tx, k Kind, id string, names []string) ([]string, error) {
	table, col := k.tagTable()
	ids, err := tag.Ensure(ctx, tx, names)
	if err != nil {
		return nil, err
	}
	var added []string
	for i, tid := range ids {
		res, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (`+col+`, tag_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, id, tid)
		if err != nil {
			return nil, fmt.Errorf("record: add tag: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added = append(added, names[i])
		}
	}
	return added, nil
}

// RemoveTags unlinks the named tags from a record and returns those that
// were there.
func RemoveTags(ctx context.Context, tx *db.Tx, k Kind, id string, names []string) ([]string, error) {
	table, col := k.tagTable()
	var removed []string
	for _, n := range names {
		res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+col+` = $1
			AND tag_id IN (SELECT id FROM tags WHERE name_lower = $2)`, id, strings.ToLower(n))
		if err != nil {
			return nil, fmt.Errorf("record: remove tag: %w", err)
		}
		if c, _ := res.RowsAffected(); c > 0 {
			removed = append(removed, n)
		}
	}
	return removed, nil
}

// SetTags makes a record's tags exactly names and returns what was added
// and removed.
func SetTags(ctx context.Context, tx *db.Tx, k Kind, id string, names []string) (added, removed []string, err error) {
	old, err := Tags(ctx, tx, k, id)
	if err != nil {
		return nil, nil, err
	}
	keep := map[string]bool{}
	for _, n := range names {
		keep[strings.ToLower(n)] = true
	}
	var drop []string
	for _, o := range old {
		if !keep[strings.ToLower(o)] {
			drop = append(drop, o)
		}
	}
	if removed, err = RemoveTags(ctx, tx, k, id, drop); err != nil {
		return nil, nil, err
	}
	added, err = AddTags(ctx, tx, k, id, names)
	return added, removed, err
}

// TagsColumn returns a select-list column with the tag names of the record
// whose id is idExpr, as a JSON array ordered by lower-case name, for a list page:
// a correlated subquery per row costs less than a second query for the
// page's tags on both engines (the index on the record id serves it).
// ColumnTags reads the column.
func TagsColumn(engine db.Engine, k Kind, idExpr string) string {
	table, col := k.tagTable()
	agg := `json_group_array(t.name ORDER BY t.name_lower)`
	if engine == db.Postgres {
		agg = `json_agg(t.name ORDER BY t.name_lower)::text`
	}
	return `(SELECT ` + agg + ` FROM ` + table + ` x JOIN tags t ON t.id = x.tag_id WHERE x.` + col + ` = ` + idExpr + `)`
}

// ColumnTags decodes a TagsColumn value: an empty list, not nil, when the
// record has no tags (PostgreSQL's NULL, SQLite's empty array).
func ColumnTags(v sql.NullString) ([]string, error) {
	if !v.Valid || v.String == "[]" {
		return []string{}, nil
	}
	var names []string
	if err := json.Unmarshal([]byte(v.String), &names); err != nil {
		return nil, fmt.Errorf("record: tags column: %w", err)
	}
	return names, nil
}
