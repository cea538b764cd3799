package gdpr_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/consent"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/gdpr"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/record"
	"github.com/rapportcrm/rapport/internal/user"
)

var p = fixture.Ptr[string]

// env holds the services of one test database, acting as its owner.
type env struct {
	ctx        context.Context
	owner      user.User
	d          *db.DB
	contacts   *contact.Service
	companies  *company.Service
	activities *activity.Service
	fields     *customfield.Service
	consent    *consent.Service
	gdpr       *gdpr.Service
}

func setup(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx, owner := fixture.User(t, d, "owner")
	users := user.NewService(d)
	contacts := contact.NewService(d, users)
	companies := company.NewService(d, users)
	return &env{ctx: ctx, owner: owner, d: d, contacts: contacts, companies: companies,
		activities: activity.NewService(d, contacts, companies), fields: customfield.NewService(d),
		consent: consent.NewService(d, contacts), gdpr: gdpr.New(d, contacts)}
}

// must returns v, or stops the test run at the failed setup step.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("test setup: %v", err))
	}
	return v
}

// person is everything the tests know about the person to be erased.
type person struct {
	contact   contact.Contact
	duplicate contact.Contact
	company   company.Company
	other     contact.Contact // a colleague at the same company, who stays
	otherNote activity.Activity
	// traces are the texts that must not survive the erasure anywhere.
	traces []string
}

// realisticPerson builds Zebediah Quixote as a CRM would hold him after a
// few months: several emails and phones, an address, custom fields, tags,
// notes, calls and meetings, consent changes, field updates, a duplicate
// merged into him, and a company with a timeline of its own that quotes
// him, as does a colleague's meeting and custom field, a saved view and a
// saved bulk operation.
func realisticPerson(t *testing.T, e *env) person {
	t.Helper()
	ctx := e.ctx
	nick := must(e.fields.Create(ctx, customfield.Field{Object: "contact", Label: "Nickname", Type: customfield.Text}))
	home := must(e.fields.Create(ctx, customfield.Field{Object: "contact", Label: "Home phone", Type: customfield.Phone}))
	note := must(e.fields.Create(ctx, customfield.Field{Object: "contact", Label: "Assistant of", Type: customfield.Text}))
	co := must(e.companies.Create(ctx, company.Input{Name: p("Rocinante Windmills Ltd"), Domain: p("rocinante.example")}))

	zeb := must(e.contacts.Create(ctx, contact.Input{FirstName: p("Zebediah"), LastName: p("Quixote"),
		Emails:     &[]contact.Email{{Address: "zeb.quixote@rocinante.example", Label: "work"}, {Address: "zeb@old-mail.example"}},
		Phones:     &[]contact.PhoneInput{{Number: "+44 20 7946 0958", Label: "office"}, {Number: "+1 (415) 555-0132", Label: "mobile"}},
		JobTitle:   p("Knight errant"),
		CompanyIDs: &[]string{co.ID},
		Address:    &record.Address{Street: "1 Old Mill Road", City: "La Mancha", Country: "Spain"},
		Birthday:   p("1970-04-01"), Source: p("Trade fair"),
		Tags:   &[]string{"vip", "windmills"},
		Custom: map[string]any{nick.Key: "Zeb the Bold", home.Key: "+49 30 901820"}}))
	// Field updates: a new address, a changed email, a new job title.
	zeb = must(e.contacts.Update(ctx, zeb.ID, contact.Input{
		Address:  &record.Address{Street: "7 Dulcinea Lane", City: "Toboso", PostalCode: "45820", Country: "Spain"},
		Emails:   &[]contact.Email{{Address: "zeb.quixote@rocinante.example", Label: "work"}, {Address: "zq.private@mail.example"}},
		JobTitle: p("Chief windmill officer")}))
	dup := must(e.contacts.Create(ctx, contact.Input{FirstName: p("Zeb"), LastName: p("Quixote"),
		Emails: &[]contact.Email{{Address: "zq.duplicate@dup.example"}},
		Phones: &[]contact.PhoneInput{{Number: "+1 415 555 0199"}}}))
	zeb = must(e.contacts.Merge(ctx, contact.MergeInput{SurvivorID: zeb.ID, MergedIDs: []string{dup.ID}}))

	for _, in := range []activity.Input{
		{Kind: p(activity.Note), Body: p("Zebediah Quixote prefers calls before noon. Reach him on +44 20 7946 0958.")},
		{Kind: p(activity.Call), Subject: p("Call with Zebediah"), Body: p("Discussed the windmills."), Outcome: p("connected")},
		{Kind: p(activity.Meeting), Subject: p("Lunch"), Body: p("<script>alert('x')</script> zeb.quixote@rocinante.example"),
			Attendees: &[]string{"Zebediah Quixote", "zeb.quixote@rocinante.example"}},
	} {
		in.ContactID = &zeb.ID
		must(e.activities.Create(ctx, in))
	}
	yes, no := true, false
	earlier := time.Now().Add(-48 * time.Hour)
	for _, in := range []consent.Input{
		{Channel: consent.EmailMarketing, Granted: &yes, Source: "form", Detail: "Newsletter form", OccurredAt: &earlier},
		{Channel: consent.SMS, Granted: &yes, Source: "manual", Detail: "Asked at the fair"},
		{Channel: consent.EmailMarketing, Granted: &no, Source: "unsubscribe", Detail: "zeb.quixote@rocinante.example"},
	} {
		must(e.consent.Record(ctx, zeb.ID, in))
	}

	// What stays: a colleague and the company, which quote him.
	sancho := must(e.contacts.Create(ctx, contact.Input{FirstName: p("Sancho"), LastName: p("Panza"),
		Emails:     &[]contact.Email{{Address: "sancho@rocinante.example"}},
		Phones:     &[]contact.PhoneInput{{Number: "+44 20 7946 0001"}},
		CompanyIDs: &[]string{co.ID}}))
	sancho = must(e.contacts.Update(ctx, sancho.ID, contact.Input{Custom: map[string]any{note.Key: "Zebediah Quixote"}}))
	must(e.activities.Create(ctx, activity.Input{Kind: p(activity.Meeting), ContactID: &sancho.ID,
		Subject: p("Squire briefing"), Body: p("Sancho and Zebediah Quixote planned the route.\nCall +1 (415) 555-0132 first."),
		Attendees: &[]string{"Sancho Panza", "zeb.quixote@rocinante.example"}}))
	must(e.activities.Create(ctx, activity.Input{Kind: p(activity.Note), CompanyID: &co.ID,
		Body: p("Met Zebediah Quixote (zq.private@mail.example, +442079460958) at the fair.")}))
	// Numbers copied from a page, in the display form pages and exports show.
	must(e.activities.Create(ctx, activity.Input{Kind: p(activity.Note), CompanyID: &co.ID,
		Body: p("Squire line +1 415-555-0199; his mobile +1 415-555-0132.")}))
	keep := must(e.activities.Create(ctx, activity.Input{Kind: p(activity.Note), CompanyID: &co.ID,
		Body: p("Renewal due in May.")}))

	// A saved view filtering on his email and a bulk operation that named him.
	now := db.T(db.Now())
	must(e.d.W.ExecContext(ctx, `INSERT INTO saved_views (id, object, name, owner_id, shared, definition, created_at, updated_at)
		VALUES ($1, 'contact', 'Windmill people', $2, $3, $4, $5, $5)`, id.New(), e.owner.ID, true,
		`{"filter":{"match":"all","conditions":[{"field":"email","op":"is","value":"zeb.quixote@rocinante.example"}]}}`, now))
	must(e.d.W.ExecContext(ctx, `INSERT INTO bulk_operations (id, object, action, params, status, total, done,
		error, created_by, created_at) VALUES ($1, 'contact', 'tag', $2, 'done', 2, 2, $3, $4, $5)`, id.New(),
		`{"tag":"fair","filter":{"match":"any","conditions":[{"field":"phone","op":"is","value":"+442079460958"}]},`+
			`"changed":1,"problems":[{"id":"`+zeb.ID+`","name":"Zebediah Quixote","message":"zeb.quixote@rocinante.example belongs to another contact."}]}`,
		"Zebediah Quixote could not be tagged", e.owner.ID, now))

	return person{contact: zeb, duplicate: dup, company: co, other: sancho, otherNote: keep, traces: []string{
		"Zebediah", "Quixote", "Zebediah Quixote",
		"zeb.quixote@rocinante.example", "zeb@old-mail.example", "zq.private@mail.example", "zq.duplicate@dup.example",
		"+44 20 7946 0958", "+442079460958", "+1 (415) 555-0132", "+14155550132", "+1 415 555 0199", "+14155550199",
		"+1 415-555-0132", "+1 415-555-0199",
		"+49 30 901820", "+4930901820", "7 Dulcinea Lane", "1 Old Mill Road", "Zeb the Bold",
	}}
}

// traces returns "table.column: value" for every cell of every table
// whose text holds one of needles, in any case.
func traces(t *testing.T, d *db.DB, needles []string) []string {
	t.Helper()
	ctx := context.Background()
	cols := columns(t, d)
	var out []string
	for table, names := range cols {
		for _, col := range names {
			for _, n := range needles {
				q := fmt.Sprintf(`SELECT CAST(%s AS TEXT) FROM %s WHERE lower(CAST(%s AS TEXT)) LIKE $1`,
					quote(col), quote(table), quote(col))
				rows, err := d.R.QueryContext(ctx, q, "%"+strings.ToLower(n)+"%")
				if err != nil {
					t.Fatalf("grep %s.%s: %v", table, col, err)
				}
				for rows.Next() {
					var v string
					if err := rows.Scan(&v); err != nil {
						t.Fatal(err)
					}
					out = append(out, fmt.Sprintf("%s.%s has %q: %.200s", table, col, n, v))
				}
				rows.Close()
			}
		}
	}
	return out
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// columns lists every column that can hold text, by table: on SQLite
// every column not declared as a number or a blob (untyped ones too), on
// PostgreSQL every column that is not bytea.
func columns(t *testing.T, d *db.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	if d.Engine == db.Postgres {
		rows, err := d.R.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND data_type NOT IN ('bytea', 'integer', 'bigint', 'smallint',
			'boolean', 'numeric', 'double precision', 'real', 'uuid', 'timestamp with time zone', 'date')`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var table, col string
			if err := rows.Scan(&table, &col); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], col)
		}
		if len(out["contacts"]) == 0 || len(out["events"]) == 0 {
			t.Fatalf("information_schema lists %v", out)
		}
		return out
	}
	tables := must(stringsOf(d, `SELECT name FROM sqlite_master WHERE type = 'table'`))
	for _, table := range tables {
		rows, err := d.R.QueryContext(ctx, `SELECT name, type FROM pragma_table_info($1)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var col, typ string
			if err := rows.Scan(&col, &typ); err != nil {
				t.Fatal(err)
			}
			switch strings.ToUpper(typ) {
			case "INTEGER", "INT", "REAL", "BLOB":
				continue
			}
			out[table] = append(out[table], col)
		}
		rows.Close()
	}
	if len(out["contacts"]) == 0 || len(out["audit_log"]) == 0 || len(out["consent_changes"]) == 0 {
		t.Fatalf("sqlite_master lists %v", out)
	}
	return out
}

func stringsOf(d *db.DB, q string, args ...any) ([]string, error) {
	rows, err := d.R.QueryContext(context.Background(), q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func contactOwner(ownerID string) contact.Input { return contact.Input{OwnerID: &ownerID} }

func contactNamed(first, ownerID string) contact.Input {
	return contact.Input{FirstName: &first, OwnerID: &ownerID}
}
