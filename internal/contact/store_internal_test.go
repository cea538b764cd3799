package contact

import (
	"errors"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
)

// An update that read the contact before someone else deleted it (two
// tabs, a bulk job) must not write to the deleted row: rewriting its
// emails would make them live again and block the address for others.
func TestUpdateOfDeletedContactIsNotFound(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := NewService(d, user.NewService(d))
		first := "Ada"
		c, err := s.Create(ctx, Input{FirstName: &first, Emails: &[]Email{{Address: "ada@example.com"}}})
		if err != nil {
			t.Fatal(err)
		}
		stale, err := s.ByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		err = d.WithTx(ctx, func(tx *db.Tx) error { return update(ctx, tx, stale) })
		if !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("update of a deleted contact: err = %v, want ErrNotFound", err)
		}
		other := "Bea"
		if _, err := s.Create(ctx, Input{FirstName: &other, Emails: &[]Email{{Address: "ada@example.com"}}}); err != nil {
			t.Errorf("the deleted contact's email is not free for another contact: %v", err)
		}
	})
}
