package view_test

import (
	"errors"
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
