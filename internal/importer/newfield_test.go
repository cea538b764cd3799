package importer_test

import (
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/importer"
)

// TestUnmappedColumnsBecomeCustomFields maps columns no field takes to
// "new": each becomes a custom field named after its header, typed after
// its values, and the import fills it.
func TestUnmappedColumnsBecomeCustomFields(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		fields := customfield.NewService(d)
		if _, err := fields.Create(e.ctx, customfield.Field{Object: customfield.ObjectContact, Key: "seats", Label: "Seats",
			Type: customfield.Text}); err != nil {
			t.Fatal(err)
		}
		body := "Name,Email,Seats,Renewal,Newsletter,Website,Team\n" +
			"Ada Lovelace,ada@example.com,12,2027-01-31,yes,https://ada.example,Engines\n" +
			"Grace Hopper,grace@example.com,3.5,,no,http://navy.example,\n"
		im, err := e.imp.Upload(e.ctx, importer.Contacts, "crm.csv", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		mapping := []string{"name", "email", "new", "new", "new", "new", "new"}

		// A member may not add fields: each such column says so, and no
		// field is made.
		mctx, _ := fixture.User(t, d, "member")
		mine, err := e.imp.Upload(mctx, importer.Contacts, "crm.csv", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.imp.Configure(mctx, mine.ID, importer.Settings{Mapping: mapping})
		v := apperr.AsValidation(err)
		if v == nil || v.For("mapping[2]") == "" || v.For("mapping[6]") == "" {
			t.Fatalf("member: err = %v, want a message on each new column", err)
		}
		if defs, _ := fields.List(e.ctx, customfield.ObjectContact); len(defs) != 1 {
			t.Fatalf("member's refused mapping made fields: %+v", defs)
		}

		im, err = e.imp.Configure(e.ctx, im.ID, importer.Settings{Mapping: mapping, Mode: contact.ImportSkip})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]customfield.Type{"seats_2": customfield.Number, "renewal": customfield.Date,
			"newsletter": customfield.Bool, "website": customfield.URL, "team": customfield.Text}
		defs, err := fields.List(e.ctx, customfield.ObjectContact)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]customfield.Type{}
		for _, f := range defs {
			got[f.Key] = f.Type
		}
		for k, typ := range want {
			if got[k] != typ {
				t.Errorf("field %s: type %q, want %q (fields %v)", k, got[k], typ, got)
			}
		}
		if strings.Join(im.Mapping, ",") != "name,email,cf.seats_2,cf.renewal,cf.newsletter,cf.website,cf.team" {
			t.Errorf("mapping = %v", im.Mapping)
		}
		if im, err = e.imp.Run(e.ctx, im.ID, false, nil); err != nil || im.Created != 2 {
			t.Fatalf("run: %+v, %v", im, err)
		}
		c, err := e.contacts.ByID(e.ctx, contactByEmail(t, e, "ada@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if c.Custom["seats_2"] != 12.0 || c.Custom["renewal"] != "2027-01-31" || c.Custom["newsletter"] != true ||
			c.Custom["website"] != "https://ada.example" || c.Custom["team"] != "Engines" {
			t.Errorf("Ada's custom values = %#v", c.Custom)
		}
	})
}

func contactByEmail(t *testing.T, e *env, addr string) string {
	t.Helper()
	var id string
	if err := e.d.R.QueryRowContext(e.ctx, `SELECT contact_id FROM contact_emails WHERE address_key = $1`, addr).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
