package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/export"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/vcard"
)

// listCSV exports r as ctx and returns the raw file and its records.
func listCSV(t *testing.T, w *world, ctx context.Context, r export.ListRequest) (string, [][]string) {
	t.Helper()
	x, err := w.export.PrepareList(ctx, r)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	var buf bytes.Buffer
	n, err := x.Write(ctx, &buf)
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatalf("read back: %v\n%s", err, buf.String())
	}
	if n != len(recs)-1 {
		t.Errorf("Write reported %d rows, the file has %d", n, len(recs)-1)
	}
	return buf.String(), recs
}

func TestListCSVFilterColumnsAndEscaping(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		r := export.ListRequest{Object: export.ObjectContact,
			Query: query.Request{Filter: query.Group{Conditions: []query.Condition{
				{Field: "lifecycle_stage", Op: query.Is, Values: []string{"customer", "lead"}}}},
				Sort: query.Sort{Field: "name"}, Limit: 1, Cursor: ""},
			Columns: []string{"name", "email", "phone", "job_title", "company", "lifecycle_stage", "birthday", "owner",
				"tag", "cf.plan", "cf.seats", "cf.spend", "cf.vip", "cf.colours", "cf.renewal", "cf.motto"}}
		raw, recs := listCSV(t, w, w.ownerCtx, r)
		wantHeader := []string{"Name", "Email", "Phone", "Job title", "Company", "Lifecycle stage", "Birthday", "Owner",
			"Tags", "Plan", "Seats", "Spend (EUR)", "VIP", "Colours", "Renewal", "'=Motto"}
		if !reflect.DeepEqual(recs[0], wantHeader) {
			t.Errorf("header %q\nwant   %q", recs[0], wantHeader)
		}
		var names []string
		for _, r := range recs[1:] {
			names = append(names, r[0])
		}
		// Every match, in the list's order: the limit of a page does not apply.
		if want := []string{"Ada Lovelace", "Grace Hopper", "Linus Owner"}; !reflect.DeepEqual(names, want) {
			t.Errorf("rows %q, want %q", names, want)
		}
		ada := recs[1]
		want := []string{"Ada Lovelace", "ada@example.com, ada@home.example", "'+44 20 7946 0958, +49 1512 3456789",
			"'=cmd|' /C calc'!A0", "Acme <Ltd>", "Customer", "1815-12-10", w.manager.Name, "Maths, VIP", "Pro", "12",
			"123456.00", "Yes", "red, blue", "2025-01-31", "'-1 + 1"}
		if !reflect.DeepEqual(ada, want) {
			t.Errorf("ada %q\nwant %q", ada, want)
		}
		if grace := recs[2]; grace[10] != "-3" {
			t.Errorf("a negative number is %q, want it left a number", grace[10])
		}
		if !strings.HasSuffix(raw, "\r\n") || strings.HasPrefix(raw, "\uFEFF") {
			t.Errorf("CRLF lines and no BOM unless asked: %q", raw[:20])
		}
		// Excel's BOM on request.
		r.BOM = true
		raw, _ = listCSV(t, w, w.ownerCtx, r)
		if !strings.HasPrefix(raw, "\uFEFFName,") {
			t.Errorf("BOM missing: %q", raw[:10])
		}
		// The export is in the audit log with what it held.
		entries := auditOf(t, d, "contact.exported")
		if len(entries) != 2 {
			t.Fatalf("%d audit entries, want 2", len(entries))
		}
		det := entries[0].Details.(map[string]any)
		if det["rows"] != float64(3) || det["format"] != "csv" || det["filter"] == nil ||
			!slices.Equal(anyStrings(det["columns"]), r.Columns) || entries[0].ActorID != w.owner.ID {
			t.Errorf("audit entry %+v", entries[0])
		}
	})
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// auditOf returns the entries of action, oldest first.
func auditOf(t *testing.T, d *db.DB, action string) []audit.Entry {
	t.Helper()
	p, err := audit.NewService(d).List(system, audit.Filter{Action: action}, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(p.Entries)
	return p.Entries
}

func TestListCSVDefaultsAndCompanies(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		_, recs := listCSV(t, w, w.ownerCtx, export.ListRequest{Object: export.ObjectContact})
		if want := []string{"Name", "Email", "Phone", "Company", "Lifecycle stage", "Owner", "Tags", "Updated (UTC)"}; !reflect.DeepEqual(recs[0], want) {
			t.Errorf("default header %q", recs[0])
		}
		if len(recs) != 5 {
			t.Errorf("%d rows, want the 4 live contacts", len(recs)-1)
		}
		// Default sort: recently updated first.
		if recs[1][0] != "Émile Nobody" || recs[4][0] != "Ada Lovelace" {
			t.Errorf("rows %q, want the last changed (Émile) first", recs)
		}
		if ts := recs[1][7]; len(ts) != len("2006-01-02 15:04:05") {
			t.Errorf("time cell %q", ts)
		}
		_, recs = listCSV(t, w, w.ownerCtx, export.ListRequest{Object: export.ObjectCompany,
			Columns: []string{"name", "domain", "tag", "cf.tier"},
			Query:   query.Request{Filter: query.Group{Conditions: []query.Condition{{Field: "cf.tier", Op: query.Is, Value: "gold"}}}}})
		if want := [][]string{{"Name", "Domain", "Tags", "Tier"}, {"Acme <Ltd>", "acme.example", "Partner", "gold"}}; !reflect.DeepEqual(recs, want) {
			t.Errorf("companies %q", recs)
		}
	})
}

func TestListExportRefusals(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		for _, obj := range []string{export.ObjectContact, export.ObjectCompany} {
			if _, err := w.export.PrepareList(w.memberCtx, export.ListRequest{Object: obj}); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("member exports %s: %v, want forbidden", obj, err)
			}
		}
		// A stream without the right is refused too.
		if err := w.contacts.Stream(w.memberCtx, query.Request{}, contact.StreamOptions{}, nil); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("member streams contacts: %v", err)
		}
		for name, r := range map[string]export.ListRequest{
			"columns": {Object: export.ObjectContact, Columns: []string{"name", "password_hash"}},
			"format":  {Object: export.ObjectCompany, Format: export.VCard},
			"version": {Object: export.ObjectContact, Format: export.VCard, VCardVersion: "5.0"},
			"sort":    {Object: export.ObjectContact, Query: query.Request{Sort: query.Sort{Field: "nope"}}},
			"filter.conditions[0].value": {Object: export.ObjectContact, Query: query.Request{Filter: query.Group{
				Conditions: []query.Condition{{Field: "birthday", Op: query.Is, Value: "someday"}}}}},
		} {
			_, err := w.export.PrepareList(w.ownerCtx, r)
			v := apperr.AsValidation(err)
			if v == nil || v.For(name) == "" {
				t.Errorf("%s: %v, want a validation error naming it", name, err)
			}
		}
	})
}

// TestListExportVisibility: a manager's export holds their team's records
// and unowned ones, nothing else.
func TestListExportVisibility(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		_, recs := listCSV(t, w, w.managerCtx, export.ListRequest{Object: export.ObjectContact, Columns: []string{"name"},
			Query: query.Request{Sort: query.Sort{Field: "name"}}})
		var got []string
		for _, r := range recs[1:] {
			got = append(got, r[0])
		}
		// Ada (the manager's), Grace (a teammate's), Émile (nobody's); not Linus (the owner's).
		slices.Sort(got)
		if want := []string{"Ada Lovelace", "Grace Hopper", "Émile Nobody"}; !reflect.DeepEqual(got, want) {
			t.Errorf("manager exports %q, want %q", got, want)
		}
		_, recs = listCSV(t, w, w.managerCtx, export.ListRequest{Object: export.ObjectCompany, Columns: []string{"name"}})
		if len(recs) != 2 || recs[1][0] != "Acme <Ltd>" {
			t.Errorf("manager exports companies %q, want Acme only", recs)
		}
	})
}

// TestListVCard exports contacts as vCards and reads them back with the
// vCard decoder the import uses.
func TestListVCard(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		for _, version := range []string{"", "4.0"} {
			x, err := w.export.PrepareList(w.ownerCtx, export.ListRequest{Object: export.ObjectContact, Format: export.VCard,
				VCardVersion: version, Query: query.Request{Sort: query.Sort{Field: "name"},
					Filter: query.Group{Conditions: []query.Condition{{Field: "cf.plan", Op: query.Is, Value: "Pro"}}}}})
			if err != nil {
				t.Fatal(err)
			}
			if x.ContentType() != "text/vcard; charset=utf-8" || !strings.HasSuffix(x.Filename(time.Now()), ".vcf") {
				t.Errorf("content type %q, name %q", x.ContentType(), x.Filename(time.Now()))
			}
			var buf bytes.Buffer
			n, err := x.Write(w.ownerCtx, &buf)
			if err != nil || n != 2 {
				t.Fatalf("write: %d cards, %v", n, err)
			}
			wantVersion := "VERSION:3.0"
			if version == "4.0" {
				wantVersion = "VERSION:4.0"
			}
			if !strings.Contains(buf.String(), wantVersion) {
				t.Errorf("version %q missing:\n%s", wantVersion, buf.String())
			}
			dec := vcard.NewDecoder(&buf)
			var cards []vcard.Card
			for {
				c, _, err := dec.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				cards = append(cards, c)
			}
			if len(cards) != 2 || cards[0].FullName != "Ada Lovelace" || cards[1].FullName != "Linus Owner" {
				t.Fatalf("cards %+v", cards)
			}
			ada := cards[0]
			if ada.UID != w.ada.ID || ada.FirstName != "Ada" || ada.LastName != "Lovelace" || ada.Org != "Acme <Ltd>" ||
				ada.Title != "=cmd|' /C calc'!A0" || ada.Birthday != "1815-12-10" {
				t.Errorf("ada %+v", ada)
			}
			if len(ada.Emails) != 2 || ada.Emails[0] != (vcard.Value{Text: "ada@example.com", Label: "work", Preferred: true}) ||
				ada.Emails[1].Text != "ada@home.example" || ada.Emails[1].Label != "home" {
				t.Errorf("emails %+v", ada.Emails)
			}
			if len(ada.Phones) != 2 || ada.Phones[0].Text != "+44 20 7946 0958" || ada.Phones[1].Label != "mobile" {
				t.Errorf("phones %+v", ada.Phones)
			}
			if !reflect.DeepEqual(ada.Categories, []string{"Maths", "VIP"}) {
				t.Errorf("categories %q", ada.Categories)
			}
			if ada.Photo == nil || ada.Photo.MediaType != "image/png" || !bytes.Equal(ada.Photo.Data, tinyPNG()) {
				t.Errorf("Ada's picture did not come back: %+v", ada.Photo)
			}
			if cards[1].Photo != nil {
				t.Errorf("Linus has no picture, yet the card has %+v", cards[1].Photo)
			}
		}
		if e := auditOf(t, d, "contact.exported"); len(e) != 2 || e[0].Details.(map[string]any)["format"] != "vcard" {
			t.Errorf("audit %+v", e)
		}
	})
}

// failingWriter fails once more than limit bytes were written.
type failingWriter struct{ n, limit int }

func (w *failingWriter) Write(b []byte) (int, error) {
	if w.n += len(b); w.n > w.limit {
		return 0, errors.New("disk full")
	}
	return len(b), nil
}

// TestListExportCutShort: a client that goes away mid-file stops the
// stream (its goroutines end) and the export is recorded as failed.
func TestListExportCutShort(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		for i := range 1200 {
			if _, err := w.contacts.Create(w.ownerCtx, contact.Input{FirstName: p(fmt.Sprintf("Bulk %04d", i)),
				Emails: &[]contact.Email{{Address: fmt.Sprintf("bulk%d@example.com", i)}}}); err != nil {
				t.Fatal(err)
			}
		}
		before := runtime.NumGoroutine()
		x, err := w.export.PrepareList(w.ownerCtx, export.ListRequest{Object: export.ObjectContact})
		if err != nil {
			t.Fatal(err)
		}
		n, err := x.Write(w.ownerCtx, &failingWriter{limit: 10 << 10})
		if err == nil || !strings.Contains(err.Error(), "disk full") || n >= 1204 {
			t.Errorf("write to a failing writer: %d rows, %v", n, err)
		}
		// The whole export still works afterwards (the stream's slot and
		// connections are free again).
		_, recs := listCSV(t, w, w.ownerCtx, export.ListRequest{Object: export.ObjectContact, Columns: []string{"name"}})
		if len(recs) != 1205 {
			t.Errorf("%d rows after a failed export, want 1204", len(recs)-1)
		}
		time.Sleep(50 * time.Millisecond)
		if after := runtime.NumGoroutine(); after > before+2 {
			t.Errorf("%d goroutines before, %d after", before, after)
		}
		failed := 0
		for _, e := range auditOf(t, d, "contact.exported") {
			if e.Outcome == audit.Failed {
				failed++
			}
		}
		if failed != 1 {
			t.Errorf("%d failed exports recorded, want 1", failed)
		}
	})
}

// TestListExportShowsStoredPhoneForm checks that saving a contact stores
// each number's display form, that an export writes the stored form
// rather than formatting the number again, and that a number stored
// without one (before the form was stored) is formatted when exported.
func TestListExportShowsStoredPhoneForm(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d)
		ctx := context.Background()
		var stored []string
		rows, err := d.R.QueryContext(ctx, `SELECT international FROM contact_phones WHERE contact_id = $1 ORDER BY position`, w.ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			stored = append(stored, s)
		}
		rows.Close()
		if want := []string{"+44 20 7946 0958", "+49 1512 3456789"}; !reflect.DeepEqual(stored, want) {
			t.Fatalf("stored display forms %q, want %q", stored, want)
		}
		r := export.ListRequest{Object: export.ObjectContact, Columns: []string{"name", "phone"},
			Query: query.Request{Filter: query.Group{Conditions: []query.Condition{
				{Field: "name", Op: query.Contains, Value: "Ada"}}}}}
		// A stored form is written as it is (this one could never come from
		// formatting), and one stored empty is formatted.
		if _, err := d.W.ExecContext(ctx, `UPDATE contact_phones SET international = $1 WHERE contact_id = $2 AND position = 0`,
			"+44 (stored) 7946", w.ada.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.W.ExecContext(ctx, `UPDATE contact_phones SET international = '' WHERE contact_id = $1 AND position = 1`,
			w.ada.ID); err != nil {
			t.Fatal(err)
		}
		// The contact's own copy of its lists says the same (as every write does).
		ada, err := w.contacts.ByID(w.ownerCtx, w.ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		lists := contact.EncodeLists(ada.Emails, ada.Phones, func(e164 string) string {
			if e164 == ada.Phones[0].E164 {
				return "+44 (stored) 7946"
			}
			return ""
		})
		if _, err := d.W.ExecContext(ctx, `UPDATE contacts SET lists = $1 WHERE id = $2`, lists, w.ada.ID); err != nil {
			t.Fatal(err)
		}
		_, recs := listCSV(t, w, w.ownerCtx, r)
		if len(recs) != 2 || recs[1][1] != "'+44 (stored) 7946, +49 1512 3456789" {
			t.Errorf("export %q, want the stored form and then the formatted one", recs)
		}
		r.Format = export.VCard
		x, err := w.export.PrepareList(w.ownerCtx, r)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := x.Write(w.ownerCtx, &buf); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "+44 (stored) 7946") || !strings.Contains(buf.String(), "+49 1512 3456789") {
			t.Errorf("vCard without the stored and the formatted number:\n%s", buf.String())
		}
	})
}
