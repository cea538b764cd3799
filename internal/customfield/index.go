package customfield

import (
	"context"
	"fmt"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/query"
)

// Table is the table holding the records of object.
func Table(object string) string {
	if object == ObjectCompany {
		return "companies"
	}
	if object == ObjectDeal {
		return "deals"
	}
	return "contacts"
}

// IndexName is the name of a filterable field's expression index.
func IndexName(f Field) string { return "cf_" + f.Object + "_" + f.Key }

// syncIndex creates the expression index of a filterable field or drops it
// when the field is no longer filterable. The expression is exactly the one
// list filters and sorts use, so the planner picks the index.
func syncIndex(ctx context.Context, tx *db.Tx, f Field) error {
	if !ValidKey(f.Key) {
		return fmt.Errorf("customfield: bad key %q", f.Key)
	}
	name := IndexName(f)
	var stmt string
	if f.Filterable {
		expr, err := query.CustomExpr(tx.Engine, "", f.Key, QueryType(f.Type))
		if err != nil {
			return err
		}
		switch {
		case f.Type == MultiSelect && tx.Engine == db.Postgres:
			stmt = fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s USING gin (%s)", name, Table(f.Object), expr)
		case f.Type == MultiSelect:
			// SQLite cannot index membership in a JSON array.
			return nil
		default:
			stmt = fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s (%s, id)", name, Table(f.Object), expr)
		}
	} else {
		stmt = "DROP INDEX IF EXISTS " + name
	}
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("customfield: index %s: %w", name, err)
	}
	return nil
}

// QueryType is how list filters and sorts treat a field of type t.
func QueryType(t Type) query.Type {
	switch t {
	case Number, Currency:
		return query.Number
	case Date:
		return query.Date
	case Bool:
		return query.Bool
	case Select:
		return query.Select
	case MultiSelect:
		return query.MultiSelect
	}
	return query.Text
}

// QueryField is f as a list field: filterable and sortable as "cf.<key>".
func (f Field) QueryField() query.Field {
	return query.CustomField(f.Key, f.Label, QueryType(f.Type), f.Options...)
}
