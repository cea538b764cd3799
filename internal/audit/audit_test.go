package audit_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/setting"
	"github.com/rapportcrm/rapport/internal/user"
)

// find returns the entries with action about objectID.
func find(t *testing.T, ctx context.Context, s *audit.Service, action, objectID string) []audit.Entry {
	t.Helper()
	p, err := s.List(ctx, audit.Filter{Action: action, ObjectID: objectID}, "", audit.MaxLimit)
	if err != nil {
		t.Fatalf("list %s: %v", action, err)
	}
	return p.Entries
}

func details(t *testing.T, e audit.Entry) string {
	t.Helper()
	b, err := json.Marshal(e.Details)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEachKindOfChangeIsAudited performs each kind of change through the
// services and finds its entry: who, what, before and after.
func TestEachKindOfChangeIsAudited(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, owner := fixture.User(t, d, "owner")
		a := owner.Actor()
		a.Address, a.UserAgent = "192.0.2.7", "TestBrowser/1.0"
		ctx = access.WithActor(context.Background(), a)
		users := user.NewService(d)
		contacts := contact.NewService(d, users)
		log := audit.NewService(d)

		c, err := contacts.Create(ctx, contact.Input{FirstName: fixture.Ptr("Ada"), LastName: fixture.Ptr("Lovelace"),
			Emails: &[]contact.Email{{Address: "ada@example.com"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := contacts.Update(ctx, c.ID, contact.Input{JobTitle: fixture.Ptr("Analyst")}); err != nil {
			t.Fatal(err)
		}
		dup, err := contacts.Create(ctx, contact.Input{FirstName: fixture.Ptr("Ada"), LastName: fixture.Ptr("L.")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := contacts.Merge(ctx, contact.MergeInput{SurvivorID: c.ID, MergedIDs: []string{dup.ID}}); err != nil {
			t.Fatal(err)
		}
		gone, err := contacts.Create(ctx, contact.Input{FirstName: fixture.Ptr("Temporary")})
		if err != nil {
			t.Fatal(err)
		}
		if err := contacts.Delete(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		_, member := fixture.User(t, d, "member")
		if _, err := users.SetRole(ctx, member.ID, "manager"); err != nil {
			t.Fatal(err)
		}
		if err := setting.ChangeRegion(ctx, d, "FR"); err != nil {
			t.Fatal(err)
		}
		if _, err := customfield.NewService(d).Create(ctx, customfield.Field{Object: "contact", Label: "Plan", Type: customfield.Text}); err != nil {
			t.Fatal(err)
		}
		var csvOut bytes.Buffer
		if _, err := log.Export(ctx, audit.Filter{Action: "contact."}, &csvOut); err != nil {
			t.Fatal(err)
		}

		checks := []struct {
			action, object, contains string
		}{
			{"contact.created", c.ID, "Ada Lovelace"},
			{"contact.updated", c.ID, "Analyst"},
			{"contact.merged", c.ID, dup.ID},
			{"contact.deleted", gone.ID, "Temporary"},
			{"user.role_changed", member.ID, `"after":"manager"`},
			{"setting.changed", "", "FR"},
			{"custom_field.created", "", "Plan"},
			{"audit.exported", "", `"rows"`},
		}
		for _, ck := range checks {
			got := find(t, ctx, log, ck.action, ck.object)
			if len(got) == 0 {
				t.Errorf("no %s entry for %q", ck.action, ck.object)
				continue
			}
			e := got[0]
			if e.ActorID != owner.ID || e.ActorName != owner.Name || e.Address != "192.0.2.7" || e.UserAgent != "TestBrowser/1.0" || e.Outcome != audit.OK {
				t.Errorf("%s: who/where = %q %q %q %q %q, want the owner from 192.0.2.7", ck.action, e.ActorID, e.ActorName, e.Address, e.UserAgent, e.Outcome)
			}
			if s := details(t, e); !strings.Contains(s, ck.contains) {
				t.Errorf("%s details = %s, want them to hold %q", ck.action, s, ck.contains)
			}
		}
		rows, err := csv.NewReader(&csvOut).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 6 || strings.Join(rows[0], ",") != strings.Join(audit.ExportColumns, ",") {
			t.Errorf("CSV export has %d rows, header %v", len(rows), rows[0])
		}
		for _, r := range rows[1:] {
			if !strings.HasPrefix(r[4], "contact.") {
				t.Errorf("CSV row %v is not a contact action", r)
			}
		}
	})
}

// TestAppendOnly: the database refuses to change or remove an entry,
// whatever the code path.
func TestAppendOnly(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		if err := audit.Record(ctx, d.W, audit.Entry{Action: "test.done"}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`UPDATE audit_log SET action = 'test.hidden'`, `DELETE FROM audit_log`} {
			if _, err := d.W.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want the append-only refusal", q, err)
			}
		}
		if d.Engine == db.Postgres {
			if _, err := d.W.ExecContext(ctx, `TRUNCATE audit_log`); err == nil {
				t.Error("TRUNCATE audit_log succeeded")
			}
		}
		if got := find(t, ctx, audit.NewService(d), "test.done", ""); len(got) != 1 {
			t.Errorf("entries = %d, want the one recorded", len(got))
		}
	})
}

// TestShredErasesSealedDetails: a person's details are sealed with their
// key; once the key is shredded the entries remain, unreadable.
func TestShredErasesSealedDetails(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		contacts := contact.NewService(d, user.NewService(d))
		c, err := contacts.Create(ctx, contact.Input{FirstName: fixture.Ptr("Grace"), LastName: fixture.Ptr("Hopper"),
			Emails: &[]contact.Email{{Address: "grace@navy.example"}}})
		if err != nil {
			t.Fatal(err)
		}
		var raw string
		if err := d.R.QueryRowContext(ctx, `SELECT details FROM audit_log WHERE object_id = $1`, c.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, "Grace") || !strings.HasPrefix(raw, "sealed:") {
			t.Errorf("stored details = %.60s…, want them sealed", raw)
		}
		log := audit.NewService(d)
		if e := find(t, ctx, log, "contact.created", c.ID); len(e) != 1 || !strings.Contains(details(t, e[0]), "Grace Hopper") {
			t.Fatalf("entry before shredding = %+v, want the name readable", e)
		}
		if err := d.WithTx(ctx, func(tx *db.Tx) error { return audit.Shred(ctx, tx, c.ID) }); err != nil {
			t.Fatal(err)
		}
		e := find(t, ctx, log, "contact.created", c.ID)
		if len(e) != 1 || !e[0].Erased || e[0].Details != nil {
			t.Errorf("entry after shredding = %+v, want it kept but erased", e)
		}
	})
}

func TestListFilterAndPages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		for i := 0; i < 7; i++ {
			if err := audit.Record(ctx, d.W, audit.Entry{Action: "test.step", Outcome: audit.Denied}); err != nil {
				t.Fatal(err)
			}
		}
		log := audit.NewService(d)
		seen := map[string]bool{}
		after := ""
		for pages := 0; ; pages++ {
			p, err := log.List(ctx, audit.Filter{Action: "test.", Outcome: audit.Denied}, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Entries {
				if seen[e.ID] {
					t.Fatalf("entry %s on two pages", e.ID)
				}
				seen[e.ID] = true
			}
			if p.Next == "" {
				break
			}
			after = p.Next
			if pages > 5 {
				t.Fatal("pages never end")
			}
		}
		if len(seen) != 7 {
			t.Errorf("paged through %d entries, want 7", len(seen))
		}
		if _, err := log.List(ctx, audit.Filter{Outcome: "maybe"}, "", 10); apperr.AsValidation(err) == nil {
			t.Errorf("bad outcome: err = %v, want a validation error", err)
		}
		_, member := fixture.User(t, d, "member")
		if _, err := log.List(fixture.As(member), audit.Filter{}, "", 10); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("member reads the log: err = %v, want forbidden", err)
		}
	})
}
