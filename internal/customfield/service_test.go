package customfield_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
)

func TestDefinitions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		svc := customfield.NewService(d)
		plan, err := svc.Create(ctx, customfield.Field{Object: "contact", Label: "Annual plan (€)", Type: customfield.Select,
			Options: []string{"Free", " Pro ", "Pro", ""}, Filterable: true})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if plan.Key != "annual_plan" || strings.Join(plan.Options, "|") != "Free|Pro" {
			t.Errorf("key %q options %q", plan.Key, plan.Options)
		}
		if !indexExists(t, d, "cf_contact_annual_plan") {
			t.Error("a filterable field has no index")
		}
		_, err = svc.Create(ctx, customfield.Field{Object: "contact", Label: "Annual plan", Type: customfield.Text})
		if v := apperr.AsValidation(err); v == nil || v.For("key") == "" {
			t.Errorf("duplicate key: err = %v, want a message on key", err)
		}
		off := false
		if _, err := svc.Update(ctx, plan.ID, customfield.Patch{Filterable: &off}); err != nil {
			t.Fatal(err)
		}
		if indexExists(t, d, "cf_contact_annual_plan") {
			t.Error("the index stayed after filterable was switched off")
		}
		list, err := svc.List(ctx, "contact")
		if err != nil || len(list) != 1 {
			t.Fatalf("list = %v, %v", list, err)
		}
		if err := svc.Delete(ctx, plan.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ByID(ctx, plan.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("deleted field: err = %v", err)
		}
		memberCtx, _ := fixture.User(t, d, "member")
		if _, err := svc.Create(memberCtx, customfield.Field{Object: "contact", Label: "X", Type: customfield.Text}); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("member created a field: err = %v", err)
		}
	})
}

func TestBadDefinitions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		svc := customfield.NewService(d)
		tests := []struct {
			f     customfield.Field
			field string
		}{
			{customfield.Field{Object: "contact", Type: customfield.Text}, "label"},
			{customfield.Field{Object: "ticket", Label: "X", Type: customfield.Text}, "object"},
			{customfield.Field{Object: "contact", Label: "X", Type: "colour"}, "type"},
			{customfield.Field{Object: "contact", Label: "X", Key: "x'; DROP TABLE contacts; --", Type: customfield.Text}, "key"},
			{customfield.Field{Object: "contact", Label: "X", Type: customfield.Select}, "options"},
			{customfield.Field{Object: "contact", Label: "X", Type: customfield.Currency, Currency: "EURO"}, "currency"},
		}
		for _, tt := range tests {
			_, err := svc.Create(ctx, tt.f)
			if v := apperr.AsValidation(err); v == nil || v.For(tt.field) == "" {
				t.Errorf("%+v: err = %v, want a message on %s", tt.f, err, tt.field)
			}
		}
	})
}

func indexExists(t *testing.T, d *db.DB, name string) bool {
	t.Helper()
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = $1`
	if d.Engine == db.Postgres {
		q = `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1`
	}
	var n int
	if err := d.R.QueryRow(q, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}
