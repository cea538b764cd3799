package contact_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

// TestImportBatchMatchesRowByRow runs the same rows through ImportTx one
// at a time on one database and through ImportBatchTx on another, from
// the same starting point, and expects the same outcome for every row and
// the same contacts, events and search entries afterwards.
func TestImportBatchMatchesRowByRow(t *testing.T) {
	for _, mode := range []contact.ImportMode{contact.ImportSkip, contact.ImportFill, contact.ImportOverwrite} {
		t.Run(string(mode), func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, d *db.DB) {
				one, batch := seedImport(t, d), seedImport(t, dbtest.Open(t, d.Engine))
				src := contact.ImportSource{ImportID: id.New(), File: "people.csv"}
				var want []contact.ImportResult
				err := one.e.d.WithTx(one.e.ctx, func(tx *db.Tx) error {
					for _, in := range importRows(one) {
						res, err := one.e.contacts.ImportTx(one.e.ctx, tx, in, mode, src)
						if err != nil {
							return err
						}
						want = append(want, res)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				var got []contact.ImportResult
				err = batch.e.d.WithTx(batch.e.ctx, func(tx *db.Tx) error {
					got, err = batch.e.contacts.ImportBatchTx(batch.e.ctx, tx, importRows(batch), mode, src)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("%d results, want %d", len(got), len(want))
				}
				for i := range want {
					if g, w := describeResult(got[i]), describeResult(want[i]); g != w {
						t.Errorf("row %d: batch says %s, row by row %s", i+1, g, w)
					}
				}
				if g, w := importState(t, batch), importState(t, one); g != w {
					t.Errorf("after the batch:\n%s\nrow by row:\n%s", g, w)
				}
				checkStoredPhoneForms(t, batch.e.d)
				checkStoredPhoneForms(t, one.e.d)
			})
		})
	}
}

// importSide is one database prepared for the comparison.
type importSide struct {
	e       env
	acmeID  string
	ownerID string
}

func seedImport(t *testing.T, d *db.DB) importSide {
	e := setup(t, d)
	acme, err := e.companies.Create(e.ctx, company.Input{Name: p("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fields.Create(e.ctx, customfield.Field{Object: customfield.ObjectContact, Key: "score", Label: "Score",
		Type: customfield.Number}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Ada"), LastName: p("Lovelace"),
		Emails: &[]contact.Email{{Address: "ada@example.org"}}, Phones: &[]contact.PhoneInput{{Number: "+44 20 7946 0958"}},
		JobTitle: p("Analyst")}); err != nil {
		t.Fatal(err)
	}
	return importSide{e: e, acmeID: acme.ID, ownerID: e.owner.ID}
}

func importRows(s importSide) []contact.Input {
	emails := func(a ...string) *[]contact.Email {
		out := []contact.Email{}
		for _, x := range a {
			out = append(out, contact.Email{Address: x})
		}
		return &out
	}
	phones := func(a ...string) *[]contact.PhoneInput {
		out := []contact.PhoneInput{}
		for _, x := range a {
			out = append(out, contact.PhoneInput{Number: x})
		}
		return &out
	}
	return []contact.Input{
		{FirstName: p("Grace"), LastName: p("Hopper"), Emails: emails("grace@navy.example"), Phones: phones("+1 202 555 0101"),
			Tags: &[]string{"Navy"}, Custom: map[string]any{"score": "5"}, CompanyIDs: &[]string{s.acmeID}, OwnerID: p(s.ownerID)},
		{FirstName: p("Grace"), JobTitle: p("Rear admiral"), Emails: emails("GRACE@navy.example"), Tags: &[]string{"COBOL"}},
		{FirstName: p("Augusta"), Emails: emails("ada@example.org"), Phones: phones("+44 20 7946 0000"), Source: p("fair")},
		{FirstName: p("Ada"), LastName: p("King"), Phones: phones("+442079460958"), JobTitle: p("Countess")},
		{FirstName: p("Bad"), Emails: emails("not-an-email")},
		{Emails: emails("nameless@example.org")},
		{FirstName: p("Scored"), Custom: map[string]any{"score": "many"}},
		{FirstName: p("Owned"), OwnerID: p(id.New())},
		{FirstName: p("Linus"), Phones: phones("+1 202 555 0199"), Emails: emails("linus@example.org")},
		{FirstName: p("L."), LastName: p("Torvalds"), Phones: phones("+1 (202) 555-0199"), JobTitle: p("Maintainer")},
		{FirstName: p("Alan"), Emails: emails("  Alan@Turing.example ", "alan@turing.example")},
		{FirstName: p("Alan"), LastName: p("T."), Emails: emails("bletchley@example.org", "ada@example.org")},
		{FirstName: p("Tagged"), Tags: &[]string{"one", "two", "one"}},
		{FirstName: p("Company"), LastName: p("Less"), CompanyIDs: &[]string{id.New()}},
		{FirstName: p("Stage"), Stage: p("unicorn")},
		{FirstName: p("Edsger"), Emails: emails("edsger@example.org"), Birthday: p("1930-05-11"), Tags: &[]string{"Navy"}},
	}
}

func describeResult(r contact.ImportResult) string {
	s := string(r.Outcome)
	if r.ID != "" {
		s += " with id"
	}
	if r.Problem != nil {
		s += fmt.Sprintf(" (%v)", r.Problem)
	}
	if r.Before != nil {
		s += " before " + r.Before.DisplayName
	}
	return s
}

// importState describes every live contact without ids or times, and
// counts the events by kind and the search entries.
func importState(t *testing.T, s importSide) string {
	ctx := context.WithoutCancel(s.e.ctx)
	rows, err := s.e.d.R.QueryContext(ctx, `SELECT id FROM contacts WHERE deleted_at IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var cid string
		if err := rows.Scan(&cid); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cid)
	}
	rows.Close()
	var people []string
	for _, cid := range ids {
		c, err := s.e.contacts.ByID(ctx, cid)
		if err != nil {
			t.Fatal(err)
		}
		var mails, nums, orgs []string
		for _, m := range c.Emails {
			mails = append(mails, m.Address)
		}
		for _, n := range c.Phones {
			nums = append(nums, n.E164+"="+n.Original)
		}
		for _, o := range c.Companies {
			orgs = append(orgs, o.Name)
		}
		custom, _ := json.Marshal(c.Custom)
		people = append(people, fmt.Sprintf("%s | %s | %v | %v | %v | tags %v | %s | %s | %s | owned %t",
			c.DisplayName, c.JobTitle, mails, nums, orgs, c.Tags, custom, c.Birthday, c.Stage, c.OwnerID != ""))
	}
	slices.Sort(people)
	var counts []string
	for _, q := range []string{
		`SELECT kind || ' ' || COUNT(*) FROM events GROUP BY kind ORDER BY kind`,
		`SELECT 'search ' || kind || ' ' || COUNT(*) FROM search_docs GROUP BY kind ORDER BY kind`,
	} {
		rows, err := s.e.d.R.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			counts = append(counts, line)
		}
		rows.Close()
	}
	return strings.Join(people, "\n") + "\n" + strings.Join(counts, ", ")
}
