package query_test

import (
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/query"
)

func TestAfterMakesAUsableCursor(t *testing.T) {
	s := contactSchema(t)
	c, err := query.After(s, db.SQLite, query.Sort{Field: "last_name"}, "Lovelace", "0190f0f0-0000-7000-8000-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	p, err := query.Paginate(query.Options{Engine: db.SQLite, Schema: s}, query.Request{Sort: query.Sort{Field: "last_name"}, Cursor: c})
	if err != nil || len(p.Args) != 2 || p.Args[0] != "Lovelace" {
		t.Errorf("page after the cursor: %+v, %v", p, err)
	}
	if _, err := query.After(s, db.SQLite, query.Sort{Field: "last_name"}, "x", "not-a-uuid"); err == nil {
		t.Error("a bad row id made a cursor")
	}
}

// A filter that pins the sort field to one value orders by id alone, so an
// index on (expr, id) serves the page without sorting every match.
func TestFixedSortValueOrdersByID(t *testing.T) {
	s := contactSchema(t)
	eq := query.Group{Conditions: []query.Condition{{Field: "lifecycle_stage", Op: query.Is, Value: "lead"}}}
	p, err := query.Paginate(query.Options{Engine: db.SQLite, Schema: s}, query.Request{Filter: eq, Sort: query.Sort{Field: "lifecycle_stage", Desc: true}})
	if err != nil {
		t.Fatal(err)
	}
	if p.OrderBy != "c.id DESC" {
		t.Errorf("ORDER BY %s, want c.id DESC", p.OrderBy)
	}
	anyOf := query.Group{Match: query.Any, Conditions: eq.Conditions}
	p, err = query.Paginate(query.Options{Engine: db.SQLite, Schema: s}, query.Request{Filter: anyOf, Sort: query.Sort{Field: "lifecycle_stage"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.OrderBy == "c.id ASC" {
		t.Error("an OR group was taken to pin the sort value")
	}
}

func TestRefFields(t *testing.T) {
	s, err := query.NewSchema("c", query.Sort{Field: "name"},
		query.Field{Key: "name", Type: query.Text, Column: "c.sort_name", NotNull: true},
		query.Field{Key: "company_id", Type: query.Ref, Column: "c.company_id"})
	if err != nil {
		t.Fatal(err)
	}
	o := query.Options{Engine: db.SQLite, Schema: s}
	where, args, err := query.Compile(o, query.Group{Conditions: []query.Condition{{Field: "company_id", Op: query.Is, Value: "0190F0F0-0000-7000-8000-000000000000"}}})
	if err != nil || where != "c.company_id = $1" || args[0] != "0190f0f0-0000-7000-8000-000000000000" {
		t.Errorf("is: %q %v %v", where, args, err)
	}
	if _, _, err := query.Compile(o, query.Group{Conditions: []query.Condition{{Field: "company_id", Op: query.Is, Value: "' OR 1=1 --"}}}); err == nil {
		t.Error("a non-UUID ref value was accepted")
	}
	if _, err := query.Paginate(o, query.Request{Sort: query.Sort{Field: "company_id"}}); err == nil {
		t.Error("sorting by a ref field was accepted")
	}
}
