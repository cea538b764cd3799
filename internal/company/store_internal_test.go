package company

import (
	"errors"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
)

// An update that read the company before someone else deleted it must not
// write to the deleted row (and then index it for search again).
func TestUpdateOfDeletedCompanyIsNotFound(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := NewService(d, user.NewService(d))
		name := "Acme"
		c, err := s.Create(ctx, Input{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		c.Name = "Acme renamed"
		err = d.WithTx(ctx, func(tx *db.Tx) error { return update(ctx, tx, c) })
		if !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("update of a deleted company: err = %v, want ErrNotFound", err)
		}
	})
}
