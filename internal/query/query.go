// Package query turns the filters, sort orders and page cursors of list
// pages and the REST API into SQL for SQLite and PostgreSQL. User input only
// ever reaches the database as bound parameters: field keys are looked up in
// a Schema written by programmers, and custom-field JSON keys are checked
// against a strict pattern before they are embedded.
//
// A list request is compiled in three steps: NewSchema describes the fields
// once; ParseRequest reads the URL (or a saved view supplies a Request);
// Paginate validates it and returns the WHERE fragment, ORDER BY list and
// arguments of one keyset page, and Finish turns the fetched rows into the
// page and the cursors of its neighbours.
package query

import (
	"fmt"
	"regexp"

	"github.com/rapportcrm/rapport/internal/db"
)

// Type is the kind of value a field holds; it decides which operators a
// filter may use on the field and how values are parsed.
type Type string

// The field types.
const (
	Text        Type = "text"
	Number      Type = "number"
	Date        Type = "date"      // a day, YYYY-MM-DD
	Timestamp   Type = "timestamp" // an instant in UTC
	Bool        Type = "bool"
	Select      Type = "select"      // one of Field.Options
	MultiSelect Type = "multiselect" // a JSON array of Field.Options
	Tag         Type = "tag"         // the tags attached to the row
	// Ref is the id (UUID) of another record, compared exactly so that an
	// index on the column serves it. Column may also be a subquery that
	// selects the ids of the records linked to the row (like Tag).
	Ref Type = "ref"
)

// Field describes one filterable and (for every type but MultiSelect and
// Tag) sortable value of a list.
type Field struct {
	// Key names the field in filters, sorts and URLs: "last_name",
	// "cf.plan" for custom fields, "tag" for tags.
	Key string `json:"key"`
	// Label is the field's name as a person sees it; messages use it.
	Label string `json:"label"`
	Type  Type   `json:"type"`
	// Column is the SQL expression of a built-in field, e.g. "c.last_name".
	// For Tag it is a subquery that selects the lower-cased names of the
	// row's tags. It is written by programmers, never taken from input.
	Column string `json:"-"`
	// Custom is the JSON key of a custom field in the row's custom column;
	// the expression is then CustomExpr(engine, alias, Custom, Type).
	Custom string `json:"-"`
	// Options are the choices of a Select or MultiSelect field.
	Options []string `json:"options,omitempty"`
	// NotNull declares that the expression is never NULL, which lets a
	// keyset page use the row-value form (expr, id) > ($1, $2) that an index
	// on (expr, id) serves.
	NotNull bool `json:"-"`
}

// CustomField returns the Field of a custom field whose value sits under
// key in the JSON column; its Key is "cf." + key.
func CustomField(key, label string, t Type, options ...string) Field {
	return Field{Key: "cf." + key, Label: label, Type: t, Custom: key, Options: options}
}

func (f Field) sortable() bool { return f.Type != MultiSelect && f.Type != Tag && f.Type != Ref }

func (f Field) label() string {
	if f.Label != "" {
		return f.Label
	}
	return f.Key
}

// keyPattern is what a custom field's JSON key must match: it is embedded
// in SQL and in index names, so nothing but lower-case letters, digits and
// underscores.
var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

var aliasPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidKey reports whether key may name a custom field's JSON key. The
// custom-field definitions check new keys with it.
func ValidKey(key string) bool { return keyPattern.MatchString(key) }

// CustomExpr returns the SQL expression that reads custom field key of type
// t from the JSON column "custom" of the table aliased alias ("" for an
// unqualified column, as CREATE INDEX needs):
//
//	SQLite      json_extract(c.custom, '$.plan')       (every type)
//	PostgreSQL  (c.custom->>'plan')                    text, select, date, timestamp
//	            ((c.custom->>'seats')::numeric)        number
//	            ((c.custom->>'vip')::boolean)          bool
//	            (c.custom->'colors')                   multiselect (jsonb, for a GIN index)
//
// Filters and sorts use exactly this text, so an expression index created
// as CREATE INDEX ... ON contacts (<CustomExpr(e, "", key, t)>) serves them
// (both engines match index expressions after resolving columns, so the
// alias does not matter). Dates and timestamps stay text on PostgreSQL
// because casts to date and timestamptz are not immutable and cannot be
// indexed; custom dates are stored as YYYY-MM-DD and custom timestamps as
// UTC "2006-01-02T15:04:05.000000Z", which sort correctly as text. Values
// must be validated on write: a number that is not numeric makes the
// PostgreSQL cast fail.
func CustomExpr(e db.Engine, alias, key string, t Type) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("query: custom field key %q must match %s", key, keyPattern)
	}
	col := "custom"
	if alias != "" {
		if !aliasPattern.MatchString(alias) {
			return "", fmt.Errorf("query: bad table alias %q", alias)
		}
		col = alias + ".custom"
	}
	switch e {
	case db.SQLite:
		switch t {
		case Text, Number, Date, Timestamp, Bool, Select, MultiSelect:
			return "json_extract(" + col + ", '$." + key + "')", nil
		}
	case db.Postgres:
		switch t {
		case Text, Select, Date, Timestamp:
			return "(" + col + "->>'" + key + "')", nil
		case Number:
			return "((" + col + "->>'" + key + "')::numeric)", nil
		case Bool:
			return "((" + col + "->>'" + key + "')::boolean)", nil
		case MultiSelect:
			return "(" + col + "->'" + key + "')", nil
		}
	default:
		return "", fmt.Errorf("query: unknown engine %q", e)
	}
	return "", fmt.Errorf("query: custom field %q cannot have type %q", key, t)
}

// Schema is the catalogue of one list's fields: the table alias its query
// uses, the fields and the default sort. The row id is <alias>.id and must
// be a UUID. A Schema is read-only once made and safe for concurrent use.
type Schema struct {
	alias  string
	fields []Field
	byKey  map[string]Field
	sort   Sort
}

// NewSchema checks and indexes fields. alias is the table alias of the
// caller's query (custom fields read <alias>.custom); defaultSort applies
// when a request names no sort.
func NewSchema(alias string, defaultSort Sort, fields ...Field) (*Schema, error) {
	if alias != "" && !aliasPattern.MatchString(alias) {
		return nil, fmt.Errorf("query: bad table alias %q", alias)
	}
	s := &Schema{alias: alias, sort: defaultSort, byKey: make(map[string]Field, len(fields))}
	for _, f := range fields {
		if err := checkField(f); err != nil {
			return nil, err
		}
		if _, dup := s.byKey[f.Key]; dup {
			return nil, fmt.Errorf("query: field %q declared twice", f.Key)
		}
		f.Options = append([]string(nil), f.Options...)
		s.byKey[f.Key] = f
		s.fields = append(s.fields, f)
	}
	d, ok := s.byKey[defaultSort.Field]
	if !ok || !d.sortable() {
		return nil, fmt.Errorf("query: default sort %q is not a sortable field", defaultSort.Field)
	}
	return s, nil
}

func checkField(f Field) error {
	if f.Key == "" {
		return fmt.Errorf("query: a field has no key")
	}
	if _, ok := allowedOps[f.Type]; !ok {
		return fmt.Errorf("query: field %q has unknown type %q", f.Key, f.Type)
	}
	if (f.Column == "") == (f.Custom == "") {
		return fmt.Errorf("query: field %q needs exactly one of Column and Custom", f.Key)
	}
	if f.Custom != "" {
		if _, err := CustomExpr(db.SQLite, "", f.Custom, f.Type); err != nil {
			return err
		}
		if f.NotNull {
			return fmt.Errorf("query: custom field %q cannot be NotNull", f.Key)
		}
	}
	return nil
}

// Field returns the field named key.
func (s *Schema) Field(key string) (Field, bool) {
	f, ok := s.byKey[key]
	return f, ok
}

// Fields returns the fields in the order they were declared, for filter
// and sort menus.
func (s *Schema) Fields() []Field { return append([]Field(nil), s.fields...) }

// DefaultSort returns the sort used when a request names none.
func (s *Schema) DefaultSort() Sort { return s.sort }

// expr returns the SQL expression of f on engine e.
func (s *Schema) expr(e db.Engine, f Field) string {
	if f.Custom == "" {
		return f.Column
	}
	x, err := CustomExpr(e, s.alias, f.Custom, f.Type)
	if err != nil {
		// NewSchema checked key, alias and type; only a bad engine is left.
		panic(err)
	}
	return x
}

// idExpr is the expression of the row id.
func (s *Schema) idExpr() string {
	if s.alias == "" {
		return "id"
	}
	return s.alias + ".id"
}
