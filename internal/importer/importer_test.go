package importer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/importer"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/user"
)

type env struct {
	t         *testing.T
	d         *db.DB
	ctx       context.Context
	owner     user.User
	contacts  *contact.Service
	companies *company.Service
	acts      *activity.Service
	imp       *importer.Service
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx, owner := fixture.User(t, d, "owner")
	users := user.NewService(d)
	contacts := contact.NewService(d, users)
	companies := company.NewService(d, users)
	return &env{t: t, d: d, ctx: ctx, owner: owner, contacts: contacts, companies: companies,
		acts: activity.NewService(d, contacts, companies),
		imp: importer.New(importer.Options{DB: d, Contacts: contacts, Companies: companies, Users: users,
			Activities: activity.NewService(d, contacts, companies), Dir: filepath.Join(t.TempDir(), "imports"), Batch: 7})}
}

// run uploads body and imports it with the guessed mapping.
func (e *env) run(ctx context.Context, object, name, body string, mode contact.ImportMode, dry bool) importer.Import {
	e.t.Helper()
	im, err := e.imp.Upload(ctx, object, name, strings.NewReader(body))
	if err != nil {
		e.t.Fatalf("upload %s: %v", name, err)
	}
	if im, err = e.imp.Configure(ctx, im.ID, importer.Settings{Mode: mode}); err != nil {
		e.t.Fatalf("configure %s: %v (mapping %v)", name, err, im.Mapping)
	}
	im, err = e.imp.Run(ctx, im.ID, dry, nil)
	if err != nil {
		e.t.Fatalf("run %s: %v", name, err)
	}
	return im
}

func (e *env) count(f query.Group) int {
	e.t.Helper()
	n, _, err := e.contacts.Count(e.ctx, f, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// googleCSV is shaped like a Google Contacts export: a quoted newline in a
// note, a row with a bad email, a row repeating an earlier email, an
// empty line and a right-to-left name.
const googleCSV = "First Name,Last Name,E-mail 1 - Value,Phone 1 - Value,Organization Name,Organization Title,Birthday,Labels,Notes\r\n" +
	"Ada,Lovelace,ada@example.com,+44 20 7946 0958,Analytical Engines,Countess,1815-12-10,vip ::: * myContacts,\"First line\r\nsecond line\"\r\n" +
	"Grace,Hopper,grace@example.com,,US Navy,Rear Admiral,,,\r\n" +
	"Bad,Email,not-an-email,,,,,,\r\n" +
	"\r\n" +
	"Ada,L.,ADA@example.com,,,,,,\r\n" +
	"نور,الهدى,noor@example.com,,,,,,\r\n" +
	"Zoë,😀 Smile,zoe@example.com,,Analytical Engines,,12/31/1990,,\r\n"

func TestImportCSV(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		im := e.run(e.ctx, importer.Contacts, "google.csv", googleCSV, contact.ImportSkip, false)
		if im.Status != importer.Done || im.RowsDone != 6 || im.Created != 4 || im.Skipped != 1 || im.Rejected != 1 {
			t.Fatalf("import = %s, %d rows: %d created, %d updated, %d skipped, %d rejected; want done, 6 rows: 4 created, 1 skipped, 1 rejected",
				im.Status, im.RowsDone, im.Created, im.Updated, im.Skipped, im.Rejected)
		}
		page, err := e.contacts.List(e.ctx, query.Request{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]contact.Row{}
		for _, r := range page.Rows {
			byName[r.DisplayName] = r
		}
		ada, ok := byName["Ada Lovelace"]
		if !ok || ada.Email != "ada@example.com" || ada.JobTitle != "Countess" || ada.CompanyName != "Analytical Engines" || ada.Birthday != "1815-12-10" {
			t.Errorf("Ada = %+v", ada)
		}
		tl, _, err := e.acts.Timeline(e.ctx, activity.TimelineQuery{ContactID: ada.ID})
		if err != nil {
			t.Fatal(err)
		}
		var note bool
		for _, x := range tl {
			note = note || x.Activity != nil && strings.ReplaceAll(x.Activity.Body, "\r", "") == "First line\nsecond line"
		}
		if !note {
			t.Errorf("Ada's note (with its quoted newline) is not on her timeline: %+v", tl)
		}
		if _, ok := byName["نور الهدى"]; !ok {
			t.Errorf("the right-to-left name is missing: %v", page.Rows)
		}
		if z := byName["Zoë 😀 Smile"]; z.CompanyID != ada.CompanyID || z.Birthday != "1990-12-31" {
			t.Errorf("Zoë = %+v, want Ada's company and 1990-12-31", z)
		}
		var report bytes.Buffer
		n, err := e.imp.ErrorReport(e.ctx, im.ID, &report)
		if err != nil || n != 1 {
			t.Fatalf("report: %d rows, %v", n, err)
		}
		recs, err := csv.NewReader(&report).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		last := recs[1]
		if recs[0][len(recs[0])-1] != "reason" || last[0] != "Bad" || last[len(last)-2] != "5" || !strings.Contains(last[len(last)-1], "email") {
			t.Errorf("report = %q", recs)
		}

		// The same file again creates nothing.
		again := e.run(e.ctx, importer.Contacts, "google.csv", googleCSV, contact.ImportSkip, false)
		if again.Created != 0 || again.Skipped != 5 {
			t.Errorf("second import: %d created, %d skipped; want 0 and 5", again.Created, again.Skipped)
		}
		if n := e.count(query.Group{}); n != 4 {
			t.Errorf("%d contacts after two imports, want 4", n)
		}
	})
}

func TestImportModesAndUndo(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		kept, err := e.contacts.Create(e.ctx, contact.Input{FirstName: fixture.Ptr("Kept"), LastName: fixture.Ptr("As is"),
			JobTitle: fixture.Ptr("Buyer"), Emails: &[]contact.Email{{Address: "kept@example.com"}}})
		if err != nil {
			t.Fatal(err)
		}
		body := "Email,First name,Last name,Job title,City\n" +
			"kept@example.com,Kept,As is,Chief buyer,Lyon\n" +
			"new1@example.com,New,One,,\n" +
			"new2@example.com,New,Two,,\n"
		im := e.run(e.ctx, importer.Contacts, "fill.csv", body, contact.ImportFill, false)
		if im.Created != 2 || im.Updated != 1 {
			t.Fatalf("fill: %d created, %d updated", im.Created, im.Updated)
		}
		got, err := e.contacts.ByID(e.ctx, kept.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.JobTitle != "Buyer" || got.Address.City != "Lyon" {
			t.Errorf("fill changed job title to %q, city %q; want Buyer kept and Lyon filled in", got.JobTitle, got.Address.City)
		}

		// Someone edits one of the new contacts after the import: undo
		// leaves that one alone and says why.
		page, err := e.contacts.List(e.ctx, query.Request{Filter: query.Group{Conditions: []query.Condition{
			{Field: "email", Op: query.Is, Value: "new2@example.com"}}}})
		if err != nil || len(page.Rows) != 1 {
			t.Fatalf("find new2: %v %v", page.Rows, err)
		}
		edited := page.Rows[0].ID
		if _, err := e.contacts.Update(e.ctx, edited, contact.Input{JobTitle: fixture.Ptr("Edited later")}); err != nil {
			t.Fatal(err)
		}
		res, err := e.imp.Undo(e.ctx, im.ID)
		if err != nil {
			t.Fatal(err)
		}
		left, err := e.imp.LeftAloneList(e.ctx, im.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != importer.Undone || res.Undo.Removed != 1 || res.Undo.Restored != 1 || res.Undo.LeftAlone != 1 ||
			len(left) != 1 || left[0].RecordID != edited || !strings.Contains(left[0].Reason, "after the import") {
			t.Errorf("undo = %s %+v, left alone %+v", res.Status, res.Undo, left)
		}
		if got, err = e.contacts.ByID(e.ctx, kept.ID); err != nil || got.Address.City != "" || got.JobTitle != "Buyer" {
			t.Errorf("after undo kept = %+v (%v), want no city", got.Address, err)
		}
		if n := e.count(query.Group{}); n != 2 {
			t.Errorf("%d contacts after undo, want the first and the edited one", n)
		}
		if _, err := e.imp.Undo(e.ctx, im.ID); apperr.AsValidation(err) == nil {
			t.Errorf("second undo: err = %v, want refused", err)
		}

		over := e.run(e.ctx, importer.Contacts, "over.csv", "Email,Job title\nkept@example.com,Chief buyer\n", contact.ImportOverwrite, false)
		if over.Updated != 1 {
			t.Fatalf("overwrite: %+v", over)
		}
		if got, _ = e.contacts.ByID(e.ctx, kept.ID); got.JobTitle != "Chief buyer" || got.FirstName != "Kept" {
			t.Errorf("overwrite gave %q %q", got.FirstName, got.JobTitle)
		}
	})
}

func TestDryRunKeepsNothing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		im := e.run(e.ctx, importer.Contacts, "google.csv", googleCSV, contact.ImportSkip, true)
		// Batches of 7 rows: Ada's second row is in the same batch; the
		// counts must be those of the real import below.
		if im.Status != importer.Done || !im.DryRun || im.Created != 4 || im.Skipped != 1 || im.Rejected != 1 {
			t.Fatalf("dry run = %+v", im)
		}
		if n := e.count(query.Group{}); n != 0 {
			t.Errorf("a dry run left %d contacts", n)
		}
		var report bytes.Buffer
		if n, err := e.imp.ErrorReport(e.ctx, im.ID, &report); err != nil || n != 1 {
			t.Errorf("dry-run report: %d, %v", n, err)
		}
		real, err := e.imp.Again(e.ctx, im.ID)
		if err != nil {
			t.Fatal(err)
		}
		if real, err = e.imp.Run(e.ctx, real.ID, false, nil); err != nil || real.Created != 4 {
			t.Fatalf("the real import after the dry run: %+v, %v", real, err)
		}
	})
}

func TestImportCompanies(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		body := "Company;Website;Industry;Employees\nAcme GmbH;https://www.acme.example/;Manufacturing;50\nBeta;beta.example;Retail;\n;nameless.example;;\n"
		im := e.run(e.ctx, importer.Companies, "companies.csv", body, contact.ImportSkip, false)
		if im.Created != 2 || im.Rejected != 1 {
			t.Fatalf("companies: %+v (mapping %v)", im, im.Mapping)
		}
		page, err := e.companies.List(e.ctx, query.Request{})
		if err != nil || len(page.Rows) != 2 || page.Rows[0].Domain != "acme.example" {
			t.Errorf("companies = %+v, %v", page.Rows, err)
		}
	})
}

func TestBadFiles(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		for _, tc := range []struct {
			name, body, want string
		}{
			{"empty", "", "empty"},
			{"binary", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "not a CSV"},
			{"header only", "Email,Name\r\n", "no rows under it"},
		} {
			im, err := e.imp.Upload(e.ctx, importer.Contacts, tc.name+".csv", strings.NewReader(tc.body))
			if tc.want == "" {
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
					continue
				}
				im, err = e.imp.Run(e.ctx, im.ID, false, nil)
				if err != nil || im.RowsDone != 0 || im.Status != importer.Done {
					t.Errorf("%s: %+v, %v; want done with no rows", tc.name, im, err)
				}
				continue
			}
			v := apperr.AsValidation(err)
			if v == nil || !strings.Contains(v.For("file"), tc.want) {
				t.Errorf("%s: err = %v, want a file problem saying %q", tc.name, err, tc.want)
			}
		}
		im, err := e.imp.Upload(e.ctx, importer.Contacts, "nomap.csv", strings.NewReader("Colour,Size\nred,L\n"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.imp.Configure(e.ctx, im.ID, importer.Settings{Mapping: []string{"", ""}})
		if v := apperr.AsValidation(err); v == nil || !strings.Contains(v.For("mapping"), "name or an email") {
			t.Errorf("no name or email mapped: err = %v", err)
		}
		_, viewer := fixture.User(t, d, "viewer")
		if _, err := e.imp.Upload(fixture.As(viewer), importer.Contacts, "x.csv", strings.NewReader(googleCSV)); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("viewer upload: err = %v, want forbidden", err)
		}
	})
}

// bigCSV is n rows of distinct people.
func bigCSV(n int) string {
	var b strings.Builder
	b.WriteString("First Name,Last Name,Email\n")
	for i := range n {
		fmt.Fprintf(&b, "Person,%d,person%d@example.com\n", i, i)
	}
	return b.String()
}

func TestImportVCard(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		body := "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen\r\nTEL;WORK;VOICE:+49 30 1234567\r\n" +
			"EMAIL;INTERNET:juergen@example.de\r\nORG:Müller AG\r\nEND:VCARD\r\n" +
			"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Broken\r\nthis line is no property\r\nEND:VCARD\r\n" +
			"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Amélie Poulain\r\nN:Poulain;Amélie;;;\r\nitem1.EMAIL;TYPE=INTERNET:amelie@example.fr\r\n" +
			"item1.X-ABLabel:Café\r\nBDAY:1973-09-04\r\nEND:VCARD\r\n"
		im := e.run(e.ctx, importer.Contacts, "people.vcf", body, contact.ImportSkip, false)
		if im.Format != importer.VCard || im.Created != 2 || im.Rejected != 1 {
			t.Fatalf("vCard import = %+v", im)
		}
		page, err := e.contacts.List(e.ctx, query.Request{})
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]contact.Row{}
		for _, r := range page.Rows {
			names[r.DisplayName] = r
		}
		if j := names["Jürgen Müller"]; j.Phone != "+49301234567" || j.CompanyName != "Müller AG" {
			t.Errorf("Jürgen = %+v", j)
		}
		if a := names["Amélie Poulain"]; a.Email != "amelie@example.fr" || a.Birthday != "1973-09-04" {
			t.Errorf("Amélie = %+v", a)
		}
		if _, err := e.imp.Upload(e.ctx, importer.Companies, "people.vcf", strings.NewReader(body)); apperr.AsValidation(err) == nil {
			t.Errorf("a vCard as companies: err = %v, want refused", err)
		}
	})
}

func TestImportOwnerByNameAndYearlessBirthday(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		body := "First Name,Last Name,Email,Contact owner,Birthday\n" +
			"Hub,Spot,hub@example.com," + e.owner.Name + ",--12-10\n" +
			"No,Owner,no@example.com,Nobody Known,\n"
		im := e.run(e.ctx, importer.Contacts, "hubspot.csv", body, contact.ImportSkip, false)
		if im.Created != 1 || im.Rejected != 1 {
			t.Fatalf("import = %+v (mapping %v)", im, im.Mapping)
		}
		page, err := e.contacts.List(e.ctx, query.Request{})
		if err != nil || len(page.Rows) != 1 || page.Rows[0].OwnerID != e.owner.ID || page.Rows[0].Birthday != "" {
			t.Errorf("rows = %+v, %v; want Hub Spot owned by %s with no birthday", page.Rows, err, e.owner.Name)
		}
	})
}

func TestCleanupRemovesStaleUploads(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		stale, err := e.imp.Upload(e.ctx, importer.Contacts, "old.csv", strings.NewReader(googleCSV))
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := e.imp.Upload(e.ctx, importer.Contacts, "new.csv", strings.NewReader(googleCSV))
		if err != nil {
			t.Fatal(err)
		}
		old := db.T(db.Now().Add(-importer.KeepUploads - time.Hour))
		if _, err := d.W.ExecContext(e.ctx, `UPDATE imports SET updated_at = $1 WHERE id = $2`, old, stale.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := e.imp.Cleanup(e.ctx); err != nil || n != 1 {
			t.Fatalf("cleanup: %d, %v", n, err)
		}
		if got, _ := e.imp.Get(e.ctx, stale.ID); got.Status != importer.Canceled {
			t.Errorf("stale upload status %s, want canceled", got.Status)
		}
		if _, err := e.imp.Run(e.ctx, fresh.ID, false, nil); err != nil {
			t.Errorf("the fresh upload no longer runs: %v", err)
		}
	})
}

func TestDryRunCountsAcrossBatches(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		var b strings.Builder
		b.WriteString("First Name,Last Name,Email\n")
		for i := range 10 {
			fmt.Fprintf(&b, "Person,%d,p%d@example.com\n", i, i)
		}
		b.Reset()
		b.WriteString("First Name,Last Name,Email,Phone\n")
		for i := range 10 {
			fmt.Fprintf(&b, "Person,%d,p%d@example.com,+44 20 7946 %04d\n", i, i, i)
		}
		for i := range 10 { // the same people again, in later batches
			fmt.Fprintf(&b, "Person,%d again,p%d@example.com,\n", i, i)
		}
		for i := range 5 { // and again, known by their number only, written another way
			fmt.Fprintf(&b, "Person,%d by phone,,+4420794%05d\n", i, 60000+i)
		}
		dry := e.run(e.ctx, importer.Contacts, "twice.csv", b.String(), contact.ImportFill, true)
		real := e.run(e.ctx, importer.Contacts, "twice.csv", b.String(), contact.ImportFill, false)
		if dry.Created != real.Created || dry.Updated != real.Updated || dry.Created != 10 || dry.Updated != 15 {
			t.Errorf("dry run %d created / %d updated, real import %d / %d", dry.Created, dry.Updated, real.Created, real.Updated)
		}
	})
}

// TestImportingTwiceAddsNotesOnce imports a file with notes, then the
// same file again over the contacts it created: each contact keeps one
// copy of its note.
func TestImportingTwiceAddsNotesOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		body := "Email,First name,Notes\n" +
			"ada@example.com,Ada,\"Met at the conference\nwants a demo\"\n" +
			"grace@example.com,Grace,Call back in May\n"
		for _, mode := range []contact.ImportMode{contact.ImportFill, contact.ImportOverwrite, contact.ImportOverwrite} {
			e.run(e.ctx, importer.Contacts, "notes.csv", body, mode, false)
		}
		var notes, contacts int
		if err := d.R.QueryRowContext(e.ctx, `SELECT count(*), count(DISTINCT contact_id) FROM activities WHERE kind = 'note'`).Scan(&notes, &contacts); err != nil {
			t.Fatal(err)
		}
		if notes != 2 || contacts != 2 {
			t.Errorf("after importing the file three times: %d notes on %d contacts, want one note on each of 2", notes, contacts)
		}
	})
}

func TestReasonNamesTheField(t *testing.T) {
	cases := []struct {
		field, message, want string
	}{
		{"job_title", "Use a single line.", "Job title: Use a single line."},
		{"company", "Use a single line.", "Company: Use a single line."},
		{"phones[0]", `"+972 52 123 4567" is not a phone number in use for its country code; check the digits.`,
			`"+972 52 123 4567" is not a phone number in use for its country code; check the digits.`},
		{"phones[1].label", "Use a single line.", "Phone: Use a single line."},
		{"emails[1].address", `"x@" is not an email address like name@example.com.`, `"x@" is not an email address like name@example.com.`},
		{"first_name", "Use at most 100 characters.", "First name: Use at most 100 characters."},
		{"birthday", "The birthday cannot be in the future.", "The birthday cannot be in the future."},
		{"row", "The row has 12 columns; the header has 9.", "The row has 12 columns; the header has 9."},
		{"", "Something went wrong.", "Something went wrong."},
	}
	for _, c := range cases {
		if got := importer.Reason(apperr.FieldError{Field: c.field, Message: c.message}); got != c.want {
			t.Errorf("Reason(%s, %q) = %q, want %q", c.field, c.message, got, c.want)
		}
	}
}
