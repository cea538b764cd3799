package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/contact"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/phone"
	"github.com/rapportcrm/rapport/internal/search"
)

var (
	contactCols = []string{"id", "first_name", "last_name", "display_name", "sort_name", "email", "phone", "job_title",
		"company_id", "street", "city", "region", "postal_code", "country", "birthday", "source", "lifecycle_stage",
		"owner_id", "custom", "created_at", "updated_at", "lists"}
	activityCols = []string{"id", "kind", "contact_id", "company_id", "subject", "body", "pinned", "occurred_at", "ends_at",
		"outcome", "duration_seconds", "direction", "attendees", "created_by", "created_at", "updated_at"}
	stages = []string{"subscriber", "lead", "lead", "qualified_lead", "opportunity", "customer", "customer", "customer", "evangelist", "other"}
)

// batch collects the rows of one transaction.
type batch struct {
	contacts, emails, phones, links, tags, activities, events [][]any
	docs                                                      []search.Doc
}

func (g *gen) contactBatch(ctx context.Context, start, n int) error {
	var b batch
	for i := start; i < start+n; i++ {
		g.contact(&b, i)
	}
	err := g.d.WithTx(ctx, func(tx *db.Tx) error {
		for _, t := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"contacts", contactCols, b.contacts},
			{"contact_emails", []string{"contact_id", "position", "address", "address_key", "label"}, b.emails},
			{"contact_phones", []string{"contact_id", "position", "e164", "original", "label", "international"}, b.phones},
			{"contact_companies", []string{"contact_id", "company_id", "position"}, b.links},
			{"contact_tags", []string{"contact_id", "tag_id"}, b.tags},
			{"activities", activityCols, b.activities},
			{"events", eventCols, b.events},
		} {
			if err := db.Insert(ctx, tx, t.table, t.cols, t.rows); err != nil {
				return err
			}
		}
		return search.IndexNew(ctx, tx, b.docs)
	})
	if err != nil {
		return fmt.Errorf("demo: contacts: %w", err)
	}
	g.res.Contacts += len(b.contacts)
	g.res.Activities += len(b.activities)
	g.res.Events += len(b.events)
	return nil
}

func (g *gen) contact(b *batch, i int) {
	l := &locales[g.rng.IntN(len(locales))]
	first, last := pick(g, l.first), pick(g, l.last)
	firstName, lastName := first[0], last[0]
	if l.region == "JP" || l.region == "CN" {
		// Family name first, written as one name.
		firstName, lastName = last[0]+" "+first[0], ""
	}
	display := strings.TrimSpace(firstName + " " + lastName)
	created := g.past(5 * 365)
	cid := g.uuidAt(created)
	var comp *company
	if g.rng.IntN(5) > 0 {
		comp = &g.comps[g.rng.IntN(len(g.comps))]
	}
	domain := pick(g, []string{"mail.example", "post.example", "inbox.example"})
	if comp != nil {
		domain = comp.domain
	}
	email := g.unique(first[1]+"."+last[1], "@"+domain)
	b.emails = append(b.emails, []any{cid, 0, email, email, "work"})
	emails := []contact.Email{{Address: email, Label: "work"}}
	var phones []contact.Phone
	terms := []string{email}
	if g.rng.IntN(5) == 0 {
		home := g.unique(first[1]+last[1], "@home.example")
		b.emails = append(b.emails, []any{cid, 1, home, home, "home"})
		emails = append(emails, contact.Email{Address: home, Label: "home"})
		terms = append(terms, home)
	}
	var primaryPhone any
	for pos := range g.rng.IntN(3) {
		e164 := g.phoneNumber(l)
		if pos == 0 {
			primaryPhone = e164
		}
		// Typed the way it is shown: the original is the display form.
		shown := phone.Format(e164)
		label := pick(g, []string{"work", "mobile"})
		b.phones = append(b.phones, []any{cid, pos, e164, shown, label, shown})
		phones = append(phones, contact.Phone{E164: e164, Original: shown, Label: label})
		terms = append(terms, phone.SearchTerms(e164)...)
	}
	var companyID any
	title := pick(g, jobTitles)
	subtitle := email
	if comp != nil {
		companyID = comp.id
		b.links = append(b.links, []any{cid, comp.id, 0})
		terms = append(terms, comp.name, title)
	}
	for _, t := range g.tagSet() {
		b.tags = append(b.tags, []any{cid, t})
	}
	var birthday db.Date
	if g.rng.IntN(3) == 0 {
		birthday = db.Date(fmt.Sprintf("%d-%02d-%02d", 1950+g.rng.IntN(55), 1+g.rng.IntN(12), 1+g.rng.IntN(28)))
	}
	stage := pick(g, stages)
	updated := g.between(created, g.o.Now)
	b.contacts = append(b.contacts, []any{cid, firstName, lastName, display, strings.ToLower(display), email, primaryPhone,
		title, companyID, fmt.Sprintf("%d %s", g.rng.IntN(200)+1, pick(g, streets)), pick(g, l.cities), "",
		fmt.Sprintf("%05d", g.rng.IntN(99999)), l.country, birthday, pick(g, sources), stage, g.owner(),
		encode(g.customValues()), db.T(created), db.T(updated), contact.EncodeLists(emails, phones, phone.Format)})
	b.docs = append(b.docs, search.Doc{Kind: "contact", ID: cid, Title: display, Subtitle: subtitle, Terms: terms})
	compID := ""
	if comp != nil {
		compID = comp.id
	}
	b.events = append(b.events, g.event(created, "contact.created", "contact", cid, cid, compID, map[string]any{"name": display}))
	g.history(b, cid, compID, created, stage)
}

func (g *gen) tagSet() []string {
	var out []string
	for range g.rng.IntN(4) {
		t := pick(g, g.tagIDs)
		dup := false
		for _, o := range out {
			dup = dup || o == t
		}
		if !dup {
			out = append(out, t)
		}
	}
	return out
}

func (g *gen) customValues() map[string]any {
	c := map[string]any{}
	if g.rng.IntN(10) < 7 {
		c["plan"] = pick(g, planOptions)
	}
	if g.rng.IntN(2) == 0 {
		c["seats"] = float64(1 + g.rng.IntN(500))
	}
	if g.rng.IntN(5) < 2 {
		c["renewal"] = g.o.Now.AddDate(0, 0, g.rng.IntN(730)-180).Format(db.DateLayout)
	}
	if g.rng.IntN(5) < 3 {
		c["newsletter"] = g.rng.IntN(2) == 0
	}
	if g.rng.IntN(10) < 3 {
		c["channels"] = []string{pick(g, channels)}
	}
	return c
}

// history adds a contact's activities and stage changes: five entries on
// average, spread between its creation and now.
func (g *gen) history(b *batch, cid, compID string, created time.Time, stage string) {
	for range g.rng.IntN(9) {
		at := g.between(created, g.o.Now)
		author := pick(g, g.userIDs)
		id := g.uuidAt(at)
		row := []any{id, "", cid, db.NullString(compID), "", "", false, db.T(at), db.Time{}, "", nil, "", "[]", author, db.T(at), db.T(at)}
		switch r := g.rng.IntN(10); {
		case r < 3:
			row[1], row[5] = "note", pick(g, noteTexts)
			row[6] = g.rng.IntN(40) == 0
		case r < 6:
			row[1], row[9], row[10], row[11] = "call", pick(g, callOutcomes), 60+g.rng.IntN(1800), pick(g, []string{"inbound", "outbound"})
			row[5] = "Talked about " + strings.ToLower(pick(g, emailSubjects)) + "."
		case r < 8:
			row[1], row[4], row[8] = "meeting", "Quarterly review", db.T(at.Add(45*time.Minute))
			row[12] = encode([]string{"Dana Demo", "Sam Sales"})
		default:
			row[1], row[4], row[11] = "email", pick(g, emailSubjects), pick(g, []string{"inbound", "outbound"})
			row[5] = "Thanks for your time today — summary attached."
		}
		b.activities = append(b.activities, row)
	}
	if stage != "lead" && g.rng.IntN(2) == 0 {
		at := g.between(created, g.o.Now)
		b.events = append(b.events, g.event(at, "contact.updated", "contact", cid, cid, compID,
			map[string]any{"changes": []map[string]any{{"field": "lifecycle_stage", "before": "lead", "after": stage}}}))
	}
}
