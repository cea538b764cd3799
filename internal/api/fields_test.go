package api

import (
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

func TestCustomFields(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.defineFields("contact")
		o, member := e.owned(), e.user("member")
		var tier CustomField
		o.post(t, "/api/v1/custom-fields", map[string]any{"object": "company", "label": "Tier", "type": "select",
			"options": []string{"gold", "silver"}, "filterable": true}).expect(t, 201).decode(t, &tier)
		missing, col, p := id.New(), "/api/v1/custom-fields", "/api/v1/custom-fields/"
		count := func(n int) func(*testing.T, result) {
			return func(t *testing.T, r result) {
				var l CustomFieldList
				if r.decode(t, &l); len(l.Data) != n {
					t.Errorf("%d fields, want %d: %s", len(l.Data), n, r.body)
				}
			}
		}
		run(t, []scenario{
			{name: "list both objects", c: member, method: "GET", path: col, status: 200, check: count(5)},
			{name: "list contact fields", c: member, method: "GET", path: col + "?object=contact", status: 200, check: count(4)},
			{name: "list company fields", c: member, method: "GET", path: col + "?object=company", status: 200, check: count(1)},
			{name: "bad object", c: member, method: "GET", path: col + "?object=ticket", status: 422, fields: []string{"object"}},
			{name: "create with derived key", c: o, method: "POST", path: col, status: 201,
				body: map[string]any{"object": "contact", "label": "Annual revenue (€)", "type": "currency", "currency": "eur"},
				check: func(t *testing.T, r result) {
					var f CustomField
					if r.decode(t, &f); f.Key != "annual_revenue" || f.Currency != "EUR" || r.header.Get("Location") != p+f.ID {
						t.Errorf("created %+v", f)
					}
				}},
			{name: "get", c: member, method: "GET", path: p + tier.ID, status: 200},
			{name: "patch", c: o, method: "PATCH", path: p + tier.ID, status: 200, body: map[string]any{"label": "Level", "required": true},
				check: func(t *testing.T, r result) {
					var f CustomField
					if r.decode(t, &f); f.Label != "Level" || !f.Required || f.Key != "tier" || len(f.Options) != 2 {
						t.Errorf("after patch %+v", f)
					}
				}},

			{name: "missing label and type", c: o, method: "POST", path: col, status: 422, fields: []string{"label", "type"},
				body: map[string]any{"object": "contact"}},
			{name: "unknown type", c: o, method: "POST", path: col, status: 422, fields: []string{"type"},
				body: map[string]any{"object": "contact", "label": "X", "type": "colour"}},
			{name: "select without options, bad key", c: o, method: "POST", path: col, status: 422, fields: []string{"options", "key"},
				body: map[string]any{"object": "contact", "label": "X", "key": "Bad Key", "type": "select"}},
			{name: "key taken", c: o, method: "POST", path: col, status: 422, fields: []string{"key"},
				body: map[string]any{"object": "contact", "label": "Plan again", "key": "plan", "type": "text"}},
			{name: "key and type never change", c: o, method: "PATCH", path: p + tier.ID, status: 422, fields: []string{"type"},
				body: map[string]any{"type": "text"}},

			{name: "member may not define", c: member, method: "POST", path: col, status: 403,
				body: map[string]any{"object": "contact", "label": "X", "type": "text"}},
			{name: "member may not delete", c: member, method: "DELETE", path: p + tier.ID, status: 403},
			{name: "get missing", c: o, method: "GET", path: p + missing, status: 404},
			{name: "get malformed", c: o, method: "GET", path: p + "plan", status: 404},
			{name: "no session", c: e.anonymous(), method: "GET", path: col, status: 401},

			{name: "delete", c: o, method: "DELETE", path: p + tier.ID, status: 204},
			{name: "deleted is gone", c: o, method: "GET", path: p + tier.ID, status: 404},
		})
	})
}

func TestTags(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.contact(t, map[string]any{"first_name": "Ada", "tags": []string{"VIP", "tea"}})
		e.contact(t, map[string]any{"first_name": "Bob", "tags": []string{"vip"}})
		e.company(t, map[string]any{"name": "Acme", "tags": []string{"vip"}})
		run(t, []scenario{
			{name: "list", c: e.user("viewer"), method: "GET", path: "/api/v1/tags", status: 200, check: func(t *testing.T, r result) {
				var l TagList
				r.decode(t, &l)
				if len(l.Data) != 2 || l.Data[0].Name != "tea" || l.Data[1].Name != "VIP" || l.Data[1].Contacts != 2 || l.Data[1].Companies != 1 {
					t.Errorf("tags %+v", l.Data)
				}
			}},
			{name: "no session", c: e.anonymous(), method: "GET", path: "/api/v1/tags", status: 401},
		})
	})
}

func TestViews(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.defineFields("contact")
		o, member := e.owned(), e.user("member")
		var hot View
		o.post(t, "/api/v1/views", map[string]any{"object": "contact", "name": "Hot", "sort": "-updated_at",
			"columns": []string{"name", "email"}, "filter": map[string]any{"match": "any", "conditions": []any{
				map[string]any{"field": "cf.plan", "op": "is", "value": "pro"},
				map[string]any{"field": "lifecycle_stage", "op": "is", "values": []string{"lead", "customer"}}}}}).
			expect(t, 201).decode(t, &hot)
		if hot.Filter.Match != "any" || len(hot.Filter.Conditions) != 2 || hot.Sort != "-updated_at" || hot.OwnerID != e.owner.ID {
			t.Fatalf("saved %+v", hot)
		}
		missing, col, p := id.New(), "/api/v1/views", "/api/v1/views/"
		count := func(n int) func(*testing.T, result) {
			return func(t *testing.T, r result) {
				var l ViewList
				if r.decode(t, &l); len(l.Data) != n {
					t.Errorf("%d views, want %d", len(l.Data), n)
				}
			}
		}
		run(t, []scenario{
			{name: "owner lists", c: o, method: "GET", path: col + "?object=contact", status: 200, check: count(1)},
			{name: "a private view is not shown to others", c: member, method: "GET", path: col, status: 200, check: count(0)},
			{name: "nor found by id", c: member, method: "GET", path: p + hot.ID, status: 404},
			{name: "share it", c: o, method: "PUT", path: p + hot.ID, status: 200,
				body: map[string]any{"name": "Hot leads", "shared": true, "sort": "name"}, check: func(t *testing.T, r result) {
					var v View
					if r.decode(t, &v); v.Name != "Hot leads" || !v.Shared || v.Object != "contact" || v.Sort != "name" {
						t.Errorf("after put %+v", v)
					}
				}},
			{name: "now the member sees it", c: member, method: "GET", path: col, status: 200, check: count(1)},
			{name: "but may not change it", c: member, method: "PUT", path: p + hot.ID, status: 404, body: map[string]any{"name": "Mine"}},

			{name: "filter on a missing field", c: o, method: "POST", path: col, status: 422,
				fields: []string{"name", "filter.conditions[0].field"},
				body:   map[string]any{"object": "contact", "name": "", "filter": map[string]any{"conditions": []any{map[string]any{"field": "colour", "op": "is", "value": "red"}}}}},
			{name: "no object", c: o, method: "POST", path: col, status: 422, fields: []string{"object"}, body: map[string]any{"name": "X"}},
			{name: "bad match", c: o, method: "POST", path: col, status: 422, fields: []string{"filter.match"},
				body: map[string]any{"object": "company", "name": "X", "filter": map[string]any{"match": "some"}}},
			{name: "get missing", c: o, method: "GET", path: p + missing, status: 404},
			{name: "delete malformed", c: o, method: "DELETE", path: p + "x", status: 404},
			{name: "no session", c: e.anonymous(), method: "GET", path: col, status: 401},
			{name: "delete", c: o, method: "DELETE", path: p + hot.ID, status: 204},
			{name: "deleted is gone", c: o, method: "GET", path: p + hot.ID, status: 404},
		})
	})
}
