package query_test

import (
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/query"
)

// TestCustomExpr pins the expression contract that expression indexes are
// created with.
func TestCustomExpr(t *testing.T) {
	cases := []struct {
		e     db.Engine
		alias string
		key   string
		typ   query.Type
		want  string
	}{
		{db.SQLite, "c", "plan", query.Select, `json_extract(c.custom, '$.plan')`},
		{db.SQLite, "", "plan", query.Select, `json_extract(custom, '$.plan')`},
		{db.SQLite, "c", "seats", query.Number, `json_extract(c.custom, '$.seats')`},
		{db.SQLite, "c", "vip", query.Bool, `json_extract(c.custom, '$.vip')`},
		{db.SQLite, "c", "colors", query.MultiSelect, `json_extract(c.custom, '$.colors')`},
		{db.Postgres, "c", "plan", query.Select, `(c.custom->>'plan')`},
		{db.Postgres, "", "nickname", query.Text, `(custom->>'nickname')`},
		{db.Postgres, "c", "renewal", query.Date, `(c.custom->>'renewal')`},
		{db.Postgres, "c", "last_seen", query.Timestamp, `(c.custom->>'last_seen')`},
		{db.Postgres, "c", "seats", query.Number, `((c.custom->>'seats')::numeric)`},
		{db.Postgres, "", "vip", query.Bool, `((custom->>'vip')::boolean)`},
		{db.Postgres, "c", "colors", query.MultiSelect, `(c.custom->'colors')`},
		{db.Postgres, "c", "a" + strings.Repeat("b", 62), query.Text, `(c.custom->>'a` + strings.Repeat("b", 62) + `')`},
	}
	for _, tc := range cases {
		got, err := query.CustomExpr(tc.e, tc.alias, tc.key, tc.typ)
		if err != nil || got != tc.want {
			t.Errorf("CustomExpr(%s, %q, %q, %s) = %q, %v; want %q", tc.e, tc.alias, tc.key, tc.typ, got, err, tc.want)
		}
	}
}

func TestCustomExprRejects(t *testing.T) {
	cases := []struct {
		name  string
		e     db.Engine
		alias string
		key   string
		typ   query.Type
	}{
		{"SQL in the key", db.SQLite, "c", "plan'); DROP TABLE contacts; --", query.Text},
		{"quote in the key", db.Postgres, "c", "pl'an", query.Text},
		{"upper case", db.SQLite, "c", "Plan", query.Text},
		{"leading digit", db.SQLite, "c", "1plan", query.Text},
		{"dot", db.SQLite, "c", "a.b", query.Text},
		{"too long", db.SQLite, "c", "a" + strings.Repeat("b", 63), query.Text},
		{"empty", db.SQLite, "c", "", query.Text},
		{"bad alias", db.SQLite, "c; DROP", "plan", query.Text},
		{"tag type", db.Postgres, "c", "plan", query.Tag},
		{"unknown type", db.SQLite, "c", "plan", "money"},
		{"unknown engine", "mysql", "c", "plan", query.Text},
	}
	for _, tc := range cases {
		if got, err := query.CustomExpr(tc.e, tc.alias, tc.key, tc.typ); err == nil {
			t.Errorf("%s: CustomExpr = %q, want an error", tc.name, got)
		}
	}
}

func TestNewSchemaRejects(t *testing.T) {
	name := query.Field{Key: "name", Type: query.Text, Column: "c.sort_name", NotNull: true}
	byName := query.Sort{Field: "name"}
	cases := []struct {
		name   string
		alias  string
		sort   query.Sort
		fields []query.Field
	}{
		{"custom key with SQL", "c", byName, []query.Field{name, query.CustomField("x'; --", "X", query.Text)}},
		{"duplicate key", "c", byName, []query.Field{name, name}},
		{"column and custom", "c", byName, []query.Field{name, {Key: "x", Type: query.Text, Column: "c.x", Custom: "x"}}},
		{"neither column nor custom", "c", byName, []query.Field{name, {Key: "x", Type: query.Text}}},
		{"no key", "c", byName, []query.Field{name, {Type: query.Text, Column: "c.x"}}},
		{"unknown type", "c", byName, []query.Field{name, {Key: "x", Type: "money", Column: "c.x"}}},
		{"not-null custom field", "c", byName, []query.Field{name, {Key: "cf.x", Type: query.Text, Custom: "x", NotNull: true}}},
		{"bad alias", "c c", byName, []query.Field{name}},
		{"unknown default sort", "c", query.Sort{Field: "nope"}, []query.Field{name}},
		{"unsortable default sort", "c", query.Sort{Field: "tag"}, []query.Field{name, {Key: "tag", Type: query.Tag, Column: "SELECT 1"}}},
	}
	for _, tc := range cases {
		if _, err := query.NewSchema(tc.alias, tc.sort, tc.fields...); err == nil {
			t.Errorf("%s: NewSchema accepted it", tc.name)
		}
	}
}

func TestSchemaLists(t *testing.T) {
	s := contactSchema(t)
	if f, ok := s.Field("cf.plan"); !ok || f.Custom != "plan" || f.Type != query.Select || len(f.Options) != 3 {
		t.Errorf("Field(cf.plan) = %+v, %v", f, ok)
	}
	if _, ok := s.Field("plan"); ok {
		t.Error("a custom field is found without its cf. prefix")
	}
	if fs := s.Fields(); len(fs) != 15 || fs[0].Key != "first_name" || fs[14].Key != "cf.last_seen" {
		t.Errorf("Fields() lost the declared order: %d fields", len(fs))
	}
	if got := query.Ops(query.Tag); len(got) != 4 || got[0] != query.HasTag {
		t.Errorf("Ops(Tag) = %v", got)
	}
	if !query.ValidKey("plan_2") || query.ValidKey("_plan") {
		t.Error("ValidKey disagrees with ^[a-z][a-z0-9_]{0,62}$")
	}
}
