package contact

import (
	"context"
	"reflect"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
)

// TestTagSetReadsNewTags checks the tag names a stream resolves ids
// with: in the order lists show tags, a tag made after the set was read
// included, a deleted one left out.
func TestTagSetReadsNewTags(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := NewService(d, user.NewService(d))
		first := "Ada"
		c, err := s.Create(ctx, Input{FirstName: &first, Tags: &[]string{"Zeta", "alpha"}})
		if err != nil {
			t.Fatal(err)
		}
		set := &tagSet{q: d.R}
		if err := set.load(ctx); err != nil {
			t.Fatal(err)
		}
		// A tag made since the set was read.
		if _, err := s.Update(ctx, c.ID, Input{Tags: &[]string{"Zeta", "alpha", "Mid"}}); err != nil {
			t.Fatal(err)
		}
		ids := tagIDs(t, d, c.ID)
		got, err := set.names(ctx, append(ids, "00000000-0000-0000-0000-000000000000"))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"alpha", "Mid", "Zeta"}; !reflect.DeepEqual(got, want) {
			t.Errorf("names %q, want %q", got, want)
		}
	})
}

func tagIDs(t *testing.T, d *db.DB, contactID string) []string {
	t.Helper()
	var ids []string
	var id string
	err := eachRow(context.Background(), d.R, `SELECT tag_id FROM contact_tags WHERE contact_id = $1`,
		[]any{contactID}, []any{&id}, func() { ids = append(ids, id) })
	if err != nil || len(ids) != 3 {
		t.Fatalf("tag ids %q, %v", ids, err)
	}
	return ids
}
