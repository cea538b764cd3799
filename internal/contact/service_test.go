package contact_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/search"
	"github.com/rapportcrm/rapport/internal/user"
)

type env struct {
	ctx       context.Context
	owner     user.User
	d         *db.DB
	contacts  *contact.Service
	companies *company.Service
	fields    *customfield.Service
}

func setup(t *testing.T, d *db.DB) env {
	ctx, owner := fixture.User(t, d, "owner")
	users := user.NewService(d)
	return env{ctx: ctx, owner: owner, d: d, contacts: contact.NewService(d, users),
		companies: company.NewService(d, users), fields: customfield.NewService(d)}
}

var p = fixture.Ptr[string]

func TestCreateAndRead(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		acme, err := e.companies.Create(e.ctx, company.Input{Name: p("Acme Ltd"), Domain: p("https://www.ACME.example/about")})
		if err != nil {
			t.Fatalf("create company: %v", err)
		}
		if acme.Domain != "acme.example" {
			t.Errorf("domain = %q, want acme.example", acme.Domain)
		}
		in := contact.Input{
			FirstName: p("Ada"), LastName: p("Lovelace"),
			Emails:     &[]contact.Email{{Address: "Ada@Example.com", Label: "work"}, {Address: "ada@home.example"}},
			Phones:     &[]contact.PhoneInput{{Number: "020 7946 0958", Label: "office"}},
			JobTitle:   p("Analyst"),
			CompanyIDs: &[]string{acme.ID},
			Birthday:   p("1815-12-10"),
			Stage:      p("customer"),
			OwnerID:    p(e.owner.ID),
			Tags:       &[]string{"VIP", "vip", " analytics "},
		}
		if _, err := e.contacts.Create(e.ctx, in); err == nil {
			t.Fatal("a UK number without a country code and region US was accepted")
		}
		(*in.Phones)[0].Number = "+44 20 7946 0958"
		c, err := e.contacts.Create(e.ctx, in)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		got, err := e.contacts.ByID(e.ctx, c.ID)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if got.DisplayName != "Ada Lovelace" || got.PrimaryEmail() != "Ada@Example.com" || got.PrimaryPhone() != "+442079460958" {
			t.Errorf("read back %q <%s> %s", got.DisplayName, got.PrimaryEmail(), got.PrimaryPhone())
		}
		if got.Phones[0].Original != "+44 20 7946 0958" {
			t.Errorf("original phone text = %q", got.Phones[0].Original)
		}
		if strings.Join(got.Tags, ",") != "analytics,VIP" {
			t.Errorf("tags = %v, want [analytics VIP]", got.Tags)
		}
		if got.PrimaryCompany().Name != "Acme Ltd" || got.Birthday != "1815-12-10" || got.OwnerName != e.owner.Name {
			t.Errorf("company %q birthday %q owner %q", got.PrimaryCompany().Name, got.Birthday, got.OwnerName)
		}
		evs, err := event.ListForSubject(e.ctx, d.R, "contact", c.ID, 10)
		if err != nil || len(evs) != 3 || evs[2].Kind != "contact.created" || evs[0].Kind != "contact.tagged" {
			t.Fatalf("events = %v, %v; want contact.created and two contact.tagged", evs, err)
		}
		groups, err := search.Query(e.ctx, d.R, d.Engine, "ada lov", search.Options{})
		if err != nil || len(groups) == 0 || groups[0].Hits[0].ID != c.ID {
			t.Errorf("search for the new contact: %+v, %v", groups, err)
		}
	})
}

func TestEmailUniqueAmongLiveContacts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		first, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p("One"), Emails: &[]contact.Email{{Address: "same@example.com"}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.contacts.Create(e.ctx, contact.Input{FirstName: p("Two"), Emails: &[]contact.Email{{Address: "SAME@example.COM"}}})
		if !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("second contact with the same email: err = %v, want a conflict", err)
		}
		if v := apperr.AsValidation(err); v == nil || v.For("emails[0]") == "" {
			t.Errorf("conflict does not name emails[0]: %v", err)
		}
		if err := e.contacts.Delete(e.ctx, first.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Two"), Emails: &[]contact.Email{{Address: "same@example.com"}}}); err != nil {
			t.Errorf("email of a deleted contact is still taken: %v", err)
		}
	})
}

func TestUpdateRecordsChanges(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		c, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Grace"), Tags: &[]string{"old"}})
		if err != nil {
			t.Fatal(err)
		}
		c, err = e.contacts.Update(e.ctx, c.ID, contact.Input{LastName: p("Hopper"), OwnerID: p(e.owner.ID), Tags: &[]string{"new"}})
		if err != nil {
			t.Fatal(err)
		}
		if c.DisplayName != "Grace Hopper" || c.FirstName != "Grace" {
			t.Errorf("patch changed the wrong fields: %+v", c)
		}
		evs, err := event.ListForSubject(e.ctx, d.R, "contact", c.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]json.RawMessage{}
		for _, ev := range evs {
			kinds[ev.Kind] = ev.Data
		}
		for _, k := range []string{"contact.created", "contact.updated", "contact.owner_changed", "contact.tagged", "contact.untagged"} {
			if _, ok := kinds[k]; !ok {
				t.Errorf("no %s event; have %v", k, kinds)
			}
		}
		var upd struct {
			Changes []struct{ Field, Before, After any }
		}
		if err := json.Unmarshal(kinds["contact.updated"], &upd); err != nil || len(upd.Changes) != 1 ||
			upd.Changes[0].Field != "last_name" || upd.Changes[0].Before != "" || upd.Changes[0].After != "Hopper" {
			t.Errorf("updated event data = %s (%v)", kinds["contact.updated"], err)
		}
	})
}
