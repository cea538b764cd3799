package export_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/consent"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/export"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/setting"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
)

// world is a database filled through the services, as people would fill it.
type world struct {
	d                       *db.DB
	users                   *user.Service
	contacts                *contact.Service
	companies               *company.Service
	export                  *export.Service
	owner, manager, member  user.User
	ownerCtx, managerCtx    context.Context
	memberCtx               context.Context
	acme, globex            company.Company
	ada, grace, linus, anon contact.Contact
	team                    user.Team
}

var p = fixture.Ptr[string]

func newWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	w := &world{d: d, users: user.NewService(d)}
	w.contacts = contact.NewService(d, w.users)
	w.companies = company.NewService(d, w.users)
	w.export = export.NewService(d, w.contacts, w.companies)
	w.ownerCtx, w.owner = fixture.User(t, d, "owner")
	w.managerCtx, w.manager = fixture.User(t, d, "manager")
	w.memberCtx, w.member = fixture.User(t, d, "member")
	ctx := w.ownerCtx
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	w.team, err = w.users.CreateTeam(ctx, "North", []string{w.manager.ID, w.member.ID})
	must(err)
	_, err = w.users.CreateRole(ctx, user.RoleInput{Label: "Sales rep", Description: "Sells", Scope: access.ScopeOwn,
		Perms: access.Perms{access.Contacts: {access.Read, access.Create, access.Export}}})
	must(err)
	fields := customfield.NewService(d)
	for _, f := range []customfield.Field{
		{Object: "contact", Key: "plan", Label: "Plan", Type: customfield.Select, Options: []string{"Free", "Pro"}, Filterable: true},
		{Object: "contact", Key: "seats", Label: "Seats", Type: customfield.Number},
		{Object: "contact", Key: "spend", Label: "Spend", Type: customfield.Currency, Currency: "EUR"},
		{Object: "contact", Key: "vip", Label: "VIP", Type: customfield.Bool},
		{Object: "contact", Key: "colours", Label: "Colours", Type: customfield.MultiSelect, Options: []string{"red", "blue"}},
		{Object: "contact", Key: "renewal", Label: "Renewal", Type: customfield.Date},
		{Object: "contact", Key: "motto", Label: "=Motto", Type: customfield.Text},
		{Object: "company", Key: "tier", Label: "Tier", Type: customfield.Text, Filterable: true},
	} {
		_, err := fields.Create(ctx, f)
		must(err)
	}
	w.acme, err = w.companies.Create(ctx, company.Input{Name: p("Acme <Ltd>"), Domain: p("acme.example"),
		Industry: p("Rockets"), Tags: &[]string{"Partner"}, Custom: map[string]any{"tier": "gold"},
		OwnerID: p(w.manager.ID)})
	must(err)
	w.globex, err = w.companies.Create(ctx, company.Input{Name: p("Globex"), Domain: p("globex.example"),
		OwnerID: p(w.owner.ID)})
	must(err)
	w.ada, err = w.contacts.Create(ctx, contact.Input{FirstName: p("Ada"), LastName: p("Lovelace"),
		Emails:     &[]contact.Email{{Address: "ada@example.com", Label: "work"}, {Address: "ada@home.example", Label: "home"}},
		Phones:     &[]contact.PhoneInput{{Number: "+44 20 7946 0958", Label: "work"}, {Number: "+49 151 23456789", Label: "mobile"}},
		JobTitle:   p("=cmd|' /C calc'!A0"),
		CompanyIDs: &[]string{w.acme.ID, w.globex.ID}, Birthday: p("1815-12-10"), Stage: p("customer"),
		Tags: &[]string{"VIP", "Maths"}, OwnerID: p(w.manager.ID),
		Custom: map[string]any{"plan": "Pro", "seats": 12, "spend": 123456, "vip": true,
			"colours": []string{"red", "blue"}, "renewal": "2025-01-31", "motto": "-1 + 1"}})
	must(err)
	must(w.contacts.SetPhoto(ctx, w.ada.ID, contact.Photo{Data: tinyPNG()}))
	w.grace, err = w.contacts.Create(ctx, contact.Input{FirstName: p("Grace"), LastName: p("Hopper"),
		Emails: &[]contact.Email{{Address: "grace@example.com"}}, Stage: p("lead"), OwnerID: p(w.member.ID),
		Custom: map[string]any{"plan": "Free", "seats": -3}})
	must(err)
	w.linus, err = w.contacts.Create(ctx, contact.Input{FirstName: p("Linus"), LastName: p("Owner"),
		Emails: &[]contact.Email{{Address: "linus@example.com"}}, Stage: p("lead"), OwnerID: p(w.owner.ID),
		Custom: map[string]any{"plan": "Pro"}})
	must(err)
	w.anon, err = w.contacts.Create(ctx, contact.Input{FirstName: p("Émile"), LastName: p("Nobody"),
		Address: nil, Stage: p("subscriber")})
	must(err)
	gone, err := w.contacts.Create(ctx, contact.Input{FirstName: p("Deleted"), Emails: &[]contact.Email{{Address: "gone@example.com"}}})
	must(err)
	must(w.contacts.Delete(ctx, gone.ID))
	acts := activity.NewService(d, w.contacts, w.companies)
	at := time.Date(2024, 5, 31, 14, 3, 0, 0, time.UTC)
	for _, in := range []activity.Input{
		{Kind: p(activity.Note), ContactID: p(w.ada.ID), Body: p("Met at the **congress**; wants <b>numbers</b>.\nSecond line."), Pinned: fixture.Ptr(true)},
		{Kind: p(activity.Call), ContactID: p(w.ada.ID), Subject: p("Follow-up"), OccurredAt: &at, Duration: fixture.Ptr(300),
			Direction: p("outbound"), Outcome: p("connected")},
		{Kind: p(activity.Note), CompanyID: p(w.acme.ID), Body: p("Company note")},
	} {
		_, err := acts.Create(ctx, in)
		must(err)
	}
	cs := consent.NewService(d, w.contacts)
	_, err = cs.Record(ctx, w.ada.ID, consent.Input{Channel: consent.EmailMarketing, Granted: fixture.Ptr(true), Source: "form", Detail: "Newsletter"})
	must(err)
	_, err = cs.Record(ctx, w.ada.ID, consent.Input{Channel: consent.SMS, Granted: fixture.Ptr(false), Source: "manual"})
	must(err)
	schema, err := w.contacts.Schema(ctx)
	must(err)
	_, err = view.NewService(d).Save(ctx, schema, view.View{Object: "contact", Name: "Pro customers", Shared: true,
		Definition: view.Definition{Filter: query.Group{Conditions: []query.Condition{{Field: "cf.plan", Op: query.Is, Value: "Pro"}}},
			Sort: query.Sort{Field: "name"}, Columns: []string{"name", "email", "cf.plan"}}})
	must(err)
	must(setting.ChangeRegion(ctx, d, "DE"))
	// A pipeline of two stages and a deal that moved once and was lost.
	deals := deal.NewService(d, w.users, w.contacts, w.companies)
	pl, err := deals.CreatePipeline(ctx, deal.PipelineInput{Name: p("Partners"), Currency: p("USD"),
		Stages: []deal.StageInput{{Name: p("Intro"), Probability: fixture.Ptr(10)}, {Name: p("Pilot"), Probability: fixture.Ptr(60)}}})
	must(err)
	dl, err := deals.Create(ctx, deal.Input{Name: p("Ada's pilot"), PipelineID: &pl.ID, Amount: fixture.Ptr[int64](125000),
		CloseDate: p("2026-09-30"), CompanyID: &w.acme.ID, ContactIDs: &[]string{w.ada.ID}})
	must(err)
	_, err = deals.Move(ctx, dl.ID, deal.MoveInput{StageID: pl.Stages[1].ID, Version: dl.Version})
	must(err)
	_, err = deals.MarkLost(ctx, dl.ID, deal.CloseInput{Reason: "No budget"})
	must(err)
	// Refresh the records: tags and companies as the services read them.
	w.ada, err = w.contacts.ByID(ctx, w.ada.ID)
	must(err)
	return w
}

// tinyPNG is a 2×2 picture.
func tinyPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}
