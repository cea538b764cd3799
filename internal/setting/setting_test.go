package setting_test

import (
	"errors"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/setting"
)

func TestChangeRegion(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		owner, _ := fixture.User(t, d, "owner")
		member, _ := fixture.User(t, d, "member")
		if err := setting.ChangeRegion(member, d, "DE"); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("member changed the region: %v", err)
		}
		if err := setting.ChangeRegion(owner, d, "XX"); apperr.AsValidation(err) == nil {
			t.Errorf("region XX: %v", err)
		}
		if err := setting.ChangeRegion(owner, d, "de"); err != nil {
			t.Fatal(err)
		}
		if r, err := setting.Region(owner, d.R); r != "DE" || err != nil {
			t.Errorf("region = %q, %v", r, err)
		}
		evs, err := event.ListForSubject(owner, d.R, "setting", "00000000-0000-0000-0000-000000000000", 5)
		if err != nil || len(evs) != 1 || evs[0].Kind != "setting.changed" {
			t.Errorf("events = %+v, %v", evs, err)
		}
	})
}
