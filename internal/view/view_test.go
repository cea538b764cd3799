package view_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
)

// Saving over a view whose id is not a UUID (a hand-edited form) is "not
// found" on both engines, not a PostgreSQL cast error.
func TestSaveOverBadIDIsNotFound(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		schema, err := contact.NewService(d, user.NewService(d)).Schema(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = view.NewService(d).Save(ctx, schema, view.View{ID: "not-a-view", Object: "contact", Name: "Mine"})
		if !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("Save with id %q: err = %v, want ErrNotFound", "not-a-view", err)
		}
	})
}

// TestListShowsOwnAndSharedViews lists views as two users while the
// views change: the list (kept in memory between changes) must follow
// every change at once.
func TestListShowsOwnAndSharedViews(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ann, _ := fixture.User(t, d, "owner")
		bob, _ := fixture.User(t, d, "member")
		views := view.NewService(d)
		schema, err := contact.NewService(d, user.NewService(d)).Schema(ann)
		if err != nil {
			t.Fatal(err)
		}
		names := func(ctx context.Context) string {
			t.Helper()
			list, err := views.List(ctx, "contact")
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, v := range list {
				out = append(out, v.Name)
			}
			return strings.Join(out, ",")
		}
		save := func(ctx context.Context, v view.View) view.View {
			t.Helper()
			v.Object = "contact"
			saved, err := views.Save(ctx, schema, v)
			if err != nil {
				t.Fatal(err)
			}
			return saved
		}
		private := save(ann, view.View{Name: "Ann's leads"})
		shared := save(ann, view.View{Name: "Big customers", Shared: true})
		save(bob, view.View{Name: "Bob's calls"})
		if got := names(ann); got != "Ann's leads,Big customers" {
			t.Errorf("Ann sees %q", got)
		}
		if got := names(bob); got != "Big customers,Bob's calls" {
			t.Errorf("Bob sees %q", got)
		}
		shared.Shared = false
		save(ann, shared)
		private.Shared = true
		save(ann, private)
		if got := names(bob); got != "Ann's leads,Bob's calls" {
			t.Errorf("after Ann shared one view and unshared the other, Bob sees %q", got)
		}
		if err := views.Delete(ann, private.ID); err != nil {
			t.Fatal(err)
		}
		if got := names(bob); got != "Bob's calls" {
			t.Errorf("after Ann deleted her shared view, Bob sees %q", got)
		}
		// Bob's private view, damaged by hand, must not break Ann's list
		// (PostgreSQL's jsonb column refuses the damage itself).
		if d.Engine == db.SQLite {
			if _, err := d.W.ExecContext(context.Background(), `UPDATE saved_views SET definition = '{"filter":' WHERE name = $1`,
				"Bob's calls"); err != nil {
				t.Fatal(err)
			}
			if got := names(ann); got != "Big customers" {
				t.Errorf("with Bob's view damaged, Ann sees %q, want her own view", got)
			}
		}
	})
}
