package web_test

import (
	"encoding/csv"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/query"
)

var exportLink = regexp.MustCompile(`<a href="(/(?:contacts|companies)/export\.[a-z]+[^"]*)" download>([^<]+)</a>`)

func TestListExportDownloads(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newListEnv(t, d)
		e.person(contact.Input{FirstName: fixture.Ptr("Ada"), LastName: fixture.Ptr("Lovelace"), Stage: fixture.Ptr("customer"),
			Emails: &[]contact.Email{{Address: "ada@example.com"}, {Address: "ada@home.example"}}})
		e.person(contact.Input{FirstName: fixture.Ptr("=Evil"), LastName: fixture.Ptr("Formula"), Stage: fixture.Ptr("customer")})
		e.person(contact.Input{FirstName: fixture.Ptr("Bob"), LastName: fixture.Ptr("Lead"), Stage: fixture.Ptr("lead")})

		// The Export menu carries the list's filter, sort and columns.
		list := listFilterURL("/contacts", lwhere(lcond("lifecycle_stage", query.Is, "customer")), "sort", "name", "cols", "name,email")
		page := e.get(list)
		page.expect(t, 200, "", "Export")
		links := map[string]string{}
		for _, m := range exportLink.FindAllStringSubmatch(page.body, -1) {
			links[m[2]] = html.UnescapeString(m[1])
		}
		csvURL := links["CSV"]
		if !strings.HasPrefix(csvURL, "/contacts/export.csv?") || !strings.Contains(csvURL, "cols=name%2Cemail") ||
			!strings.Contains(links["CSV for Excel"], "bom=1") || !strings.HasPrefix(links["vCard (phones, address books)"], "/contacts/export.vcf?") {
			t.Fatalf("export links %v", links)
		}
		r := e.get(csvURL)
		r.expect(t, 200, "")
		if r.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			!regexp.MustCompile(`^attachment; filename="contacts-\d{4}-\d\d-\d\d\.csv"$`).MatchString(r.header.Get("Content-Disposition")) {
			t.Errorf("headers %v", r.header)
		}
		recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{{"Name", "Email"}, {"'=Evil Formula", ""}, {"Ada Lovelace", "ada@example.com, ada@home.example"}}
		if len(recs) != 3 || strings.Join(recs[1], "|") != strings.Join(want[1], "|") || strings.Join(recs[2], "|") != strings.Join(want[2], "|") || strings.Join(recs[0], "|") != "Name|Email" {
			t.Errorf("csv %q, want %q", recs, want)
		}
		if r := e.get(links["CSV for Excel"]); !strings.HasPrefix(r.body, "\uFEFFName,Email") {
			t.Errorf("excel csv starts %q", r.body[:12])
		}
		r = e.get(links["vCard (phones, address books)"])
		r.expect(t, 200, "", "BEGIN:VCARD", "FN:Ada Lovelace", "EMAIL;TYPE=INTERNET")
		if strings.Count(r.body, "BEGIN:VCARD") != 2 || r.header.Get("Content-Type") != "text/vcard; charset=utf-8" {
			t.Errorf("vcard: %s", r.body)
		}
		if n := entries(t, d, "contact.exported", "ok"); n != 3 {
			t.Errorf("%d export audit entries, want 3", n)
		}
		// Companies: CSV only.
		e.get("/companies/export.csv").expect(t, 200, "", "Name,Domain")
		e.get("/companies/export.vcf").expect(t, 404, "")
		// A bad column or filter is a page saying what is wrong, not a file.
		e.get("/contacts/export.csv?cols=name,nope").expect(t, 200, "", "Name")
		e.get(listFilterURL("/contacts/export.csv", lwhere(lcond("birthday", query.Is, "someday")))).expect(t, 422, "")
	})
}

// TestListExportRefusedToMembers: members have no export right: no menu,
// and the address answers 403 and is recorded in the audit log.
func TestListExportRefusedToMembers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newListEnv(t, d)
		member, _ := e.signIn("member")
		page := member.get("/contacts")
		page.expect(t, 200, "")
		if strings.Contains(page.body, "/contacts/export.csv") {
			t.Error("a member sees the Export menu")
		}
		for _, path := range []string{"/contacts/export.csv", "/contacts/export.vcf", "/companies/export.csv"} {
			member.get(path).expect(t, 403, "")
		}
		if n := entries(t, d, "access.denied", "denied"); n != 3 {
			t.Errorf("%d refusals in the audit log, want 3", n)
		}
		if n := entries(t, d, "contact.exported", "ok"); n != 0 {
			t.Errorf("%d exports recorded", n)
		}
		manager, _ := e.signIn("manager")
		manager.get("/contacts").expect(t, 200, "", "/contacts/export.csv")
	})
}
