package company_test

import (
	"errors"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/user"
)

var p = fixture.Ptr[string]

func TestCompanies(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, owner := fixture.User(t, d, "owner")
		svc := company.NewService(d, user.NewService(d))
		c, err := svc.Create(ctx, company.Input{Name: p("  Initech <b>Inc</b> "), Domain: p("HTTP://www.Initech.example:8080/x"),
			Size: p("51-200"), OwnerID: p(owner.ID), Tags: &[]string{"Partner"}})
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "Initech <b>Inc</b>" || c.Domain != "initech.example" {
			t.Errorf("name %q domain %q", c.Name, c.Domain)
		}
		_, err = svc.Create(ctx, company.Input{Name: p("Other"), Domain: p("initech.example")})
		if !errors.Is(err, apperr.ErrConflict) || apperr.AsValidation(err).For("domain") == "" {
			t.Errorf("duplicate domain: %v", err)
		}
		tests := []struct {
			in    company.Input
			field string
		}{
			{company.Input{Name: p("")}, "name"},
			{company.Input{Name: p("X"), Domain: p("not a domain")}, "domain"},
			{company.Input{Name: p("X"), Size: p("huge")}, "size"},
			{company.Input{Name: p("X"), OwnerID: p("0190f0f0-0000-7000-8000-000000000000")}, "owner_id"},
			{company.Input{Name: p("X"), Custom: map[string]any{"nope": 1}}, "custom.nope"},
		}
		for _, tt := range tests {
			_, err := svc.Create(ctx, tt.in)
			if v := apperr.AsValidation(err); v == nil || v.For(tt.field) == "" {
				t.Errorf("%s: err = %v", tt.field, err)
			}
		}
		c, err = svc.Update(ctx, c.ID, company.Input{Industry: p("Software")})
		if err != nil || c.Industry != "Software" || c.Domain != "initech.example" {
			t.Fatalf("patch: %+v, %v", c, err)
		}
		evs, _ := event.ListForSubject(ctx, d.R, "company", c.ID, 10)
		if len(evs) != 3 || evs[0].Kind != "company.updated" || evs[1].Kind != "company.tagged" {
			t.Errorf("events = %+v", evs)
		}
		page, err := svc.List(ctx, query.Request{Filter: query.Group{Conditions: []query.Condition{{Field: "tag", Op: "has_tag", Value: "partner"}}}})
		if err != nil || len(page.Rows) != 1 || page.Rows[0].Tags[0] != "Partner" {
			t.Errorf("list by tag = %+v, %v", page, err)
		}
		if err := svc.Delete(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ByID(ctx, c.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("deleted company: %v", err)
		}
		if _, err := svc.Create(ctx, company.Input{Name: p("Initech again"), Domain: p("initech.example")}); err != nil {
			t.Errorf("domain of a deleted company still taken: %v", err)
		}
	})
}
