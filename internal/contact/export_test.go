package contact_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/phone"
	"github.com/rapportcrm/rapport/internal/query"
)

// TestStreamListsAsStored checks that a stream reads each contact's
// emails, phones and tags (folded into its row) exactly as ByID reads
// them: labels with digits and colons, text in many scripts, empty labels
// and a contact with no lists at all.
func TestStreamListsAsStored(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		inputs := []contact.Input{
			{FirstName: p("Ada"), LastName: p("Colon"),
				Emails: &[]contact.Email{{Address: "ada@example.com", Label: "12:work"}, {Address: "ada@home.example", Label: ":"},
					{Address: "ada3@example.org"}},
				Phones: &[]contact.PhoneInput{{Number: "+44 20 7946 0958", Label: "3:x4:y"}, {Number: "+49 151 23456789"}},
				Tags:   &[]string{"Zeta", "ärger", "10:20", "日本語"}},
			{FirstName: p("Вера"), LastName: p("Пустая")},
			{FirstName: p("Omar"), Emails: &[]contact.Email{{Address: "omar@example.net", Label: "مكتب"}},
				Phones: &[]contact.PhoneInput{{Number: "+1 415 555 0123", Label: "mobile"}}, Tags: &[]string{"vip"}},
		}
		want := map[string]contact.Contact{}
		for _, in := range inputs {
			c, err := e.contacts.Create(e.ctx, in)
			if err != nil {
				t.Fatalf("create %s: %v", *in.FirstName, err)
			}
			if want[c.ID], err = e.contacts.ByID(e.ctx, c.ID); err != nil {
				t.Fatal(err)
			}
		}
		checkStoredPhoneForms(t, d)
		for _, o := range []contact.StreamOptions{{}, {Lists: true}, {Lists: true, Photos: true, Custom: true}} {
			n := 0
			err := e.contacts.Stream(e.ctx, query.Request{}, o, func(r contact.ExportRow) error {
				n++
				c, ok := want[r.ID]
				if !ok {
					t.Errorf("streamed an unknown contact %s", r.ID)
					return nil
				}
				if !o.Lists {
					if len(r.Emails)+len(r.Phones)+len(r.Tags) > 0 || r.Tags == nil {
						t.Errorf("%s without lists: %+v %+v %#v", c.DisplayName, r.Emails, r.Phones, r.Tags)
					}
					return nil
				}
				if !reflect.DeepEqual(r.Emails, nilIfEmpty(c.Emails)) || !reflect.DeepEqual(r.Phones, nilIfEmpty(c.Phones)) ||
					!reflect.DeepEqual(r.Tags, append([]string{}, c.Tags...)) {
					t.Errorf("%s streamed\n%+v %+v %q\nByID reads\n%+v %+v %q", c.DisplayName, r.Emails, r.Phones, r.Tags,
						c.Emails, c.Phones, c.Tags)
				}
				if r.Email != c.PrimaryEmail() || r.Phone != c.PrimaryPhone() {
					t.Errorf("%s: primary %q %q, want %q %q", c.DisplayName, r.Email, r.Phone, c.PrimaryEmail(), c.PrimaryPhone())
				}
				if r.Photo != nil {
					t.Errorf("%s has no picture, yet streamed %+v", c.DisplayName, r.Photo)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("stream %+v: %v", o, err)
			}
			if n != len(inputs) {
				t.Errorf("stream %+v: %d rows, want %d", o, n, len(inputs))
			}
		}
	})
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// checkStoredPhoneForms checks that every number in d is stored with its
// international display form.
func checkStoredPhoneForms(t *testing.T, d *db.DB) {
	t.Helper()
	rows, err := d.R.QueryContext(context.Background(), `SELECT e164, international FROM contact_phones`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var e164, shown string
		if err := rows.Scan(&e164, &shown); err != nil {
			t.Fatal(err)
		}
		if n++; shown != phone.International(e164) {
			t.Errorf("%s is stored shown as %q, want %q", e164, shown, phone.International(e164))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("no numbers stored")
	}
}
