package api

import (
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

func (e *env) company(t *testing.T, body map[string]any) Company {
	t.Helper()
	var c Company
	e.owned().post(t, "/api/v1/companies", body).expect(t, 201).decode(t, &c)
	return c
}

func TestCompanies(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.defineFields("company")
		o, viewer := e.owned(), e.user("viewer")
		acme := e.company(t, map[string]any{"name": "Acme", "domain": "acme.example", "size": "11-50", "tags": []string{"partner"}})
		globex := e.company(t, map[string]any{"name": "Globex"})
		missing, col, p := id.New(), "/api/v1/companies", "/api/v1/companies/"
		e.contact(t, map[string]any{"first_name": "Wile", "company_ids": []string{acme.ID}})

		run(t, []scenario{
			{name: "create", c: o, method: "POST", path: col, status: 201, body: map[string]any{
				"name": "Initech", "domain": "https://www.Initech.example/about", "industry": "Software", "size": "201-500",
				"address": map[string]any{"city": "Austin"}, "owner_id": e.owner.ID, "tags": []string{"prospect"},
				"custom": map[string]any{"plan": "pro", "seats": "1,200", "site": "initech.example/jobs"}},
				check: func(t *testing.T, r result) {
					var c Company
					r.decode(t, &c)
					if r.header.Get("Location") != p+c.ID || c.Domain != "initech.example" || c.Custom["seats"] != 1200.0 ||
						c.OwnerName != e.owner.Name || c.Tags[0] != "prospect" {
						t.Errorf("created %+v (Location %q)", c, r.header.Get("Location"))
					}
				}},
			{name: "get counts contacts", c: viewer, method: "GET", path: p + acme.ID, status: 200, check: func(t *testing.T, r result) {
				var c Company
				if r.decode(t, &c); c.Contacts != 1 || c.Size != "11-50" {
					t.Errorf("got %+v", c)
				}
			}},
			{name: "patch", c: o, method: "PATCH", path: p + globex.ID, status: 200, body: map[string]any{"industry": script},
				check: func(t *testing.T, r result) {
					var c Company
					if r.decode(t, &c); c.Industry != script || c.Name != "Globex" || strings.Contains(string(r.body), "<script") {
						t.Errorf("after patch %+v: %s", c, r.body)
					}
				}},
			{name: "list", c: viewer, method: "GET", path: col + "?tag=partner", status: 200, check: func(t *testing.T, r result) {
				var page CompanyPage
				if r.decode(t, &page); len(page.Data) != 1 || page.Data[0].Name != "Acme" || page.Sort != "name" {
					t.Errorf("got %+v", page)
				}
			}},

			{name: "invalid domain", c: o, method: "POST", path: col, status: 422, fields: []string{"domain"}, body: map[string]any{"name": "X", "domain": "not a domain"}},
			{name: "invalid size", c: o, method: "POST", path: col, status: 422, fields: []string{"size"}, body: map[string]any{"name": "X", "size": "huge"}},
			{name: "invalid custom values", c: o, method: "POST", path: col, status: 422,
				fields: []string{"custom.plan", "custom.seats", "custom.site", "custom.renewal", "custom.nope"},
				body: map[string]any{"name": "X", "custom": map[string]any{"plan": "gold", "seats": true, "site": "ftp://files.example",
					"renewal": "31/01/2030", "nope": 1}}},
			{name: "no name", c: o, method: "POST", path: col, status: 422, fields: []string{"name"}, body: map[string]any{"industry": "X"}},
			{name: "unknown property", c: o, method: "PATCH", path: p + acme.ID, status: 422, fields: []string{"website"}, body: map[string]any{"website": "x"}},
			{name: "filter on a missing field", c: o, method: "GET", path: col + "?employees=5", status: 422, fields: []string{"employees"}},

			{name: "duplicate domain", c: o, method: "POST", path: col, status: 409, fields: []string{"domain"},
				body: map[string]any{"name": "Acme 2", "domain": "http://WWW.acme.example"}},
			{name: "patch to a taken domain", c: o, method: "PATCH", path: p + globex.ID, status: 409, fields: []string{"domain"},
				body: map[string]any{"domain": "acme.example"}},

			{name: "get missing", c: o, method: "GET", path: p + missing, status: 404},
			{name: "get malformed id", c: o, method: "GET", path: p + "acme", status: 404},
			{name: "patch missing", c: o, method: "PATCH", path: p + missing, status: 404, body: map[string]any{"name": "X"}},
			{name: "delete missing", c: o, method: "DELETE", path: p + missing, status: 404},

			{name: "viewer may not create", c: viewer, method: "POST", path: col, status: 403, body: map[string]any{"name": "V"}},
			{name: "viewer may not delete", c: viewer, method: "DELETE", path: p + acme.ID, status: 403},
			{name: "no session", c: e.anonymous(), method: "GET", path: col, status: 401},

			{name: "delete", c: o, method: "DELETE", path: p + globex.ID, status: 204},
			{name: "deleted is gone", c: o, method: "GET", path: p + globex.ID, status: 404},
		})
	})
}
