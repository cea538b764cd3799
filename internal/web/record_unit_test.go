package web

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/customfield"
)

func TestRecordDisplayValue(t *testing.T) {
	cases := []struct {
		def  customfield.Field
		in   any
		want string
	}{
		{customfield.Field{Type: customfield.Number}, float64(1234567.5), "1,234,567.5"},
		{customfield.Field{Type: customfield.Number}, float64(-3), "-3"},
		{customfield.Field{Type: customfield.Currency, Currency: "EUR"}, float64(125050), "€1,250.50"},
		{customfield.Field{Type: customfield.Currency, Currency: "JPY"}, int64(1250), "¥1,250"},
		{customfield.Field{Type: customfield.Currency, Currency: "EUR"}, float64(-5), "-€0.05"},
		{customfield.Field{Type: customfield.Bool}, true, "Yes"},
		{customfield.Field{Type: customfield.Bool}, false, "No"},
		{customfield.Field{Type: customfield.Date}, "2030-01-31", "31 Jan 2030"},
		{customfield.Field{Type: customfield.Date}, "soon", "soon"},
		{customfield.Field{Type: customfield.MultiSelect}, []any{"Red", "Blue"}, "Red, Blue"},
		{customfield.Field{Type: customfield.MultiSelect}, []string{"Red"}, "Red"},
		{customfield.Field{Type: customfield.Phone}, "+4930901820", "+49 30 901820"},
		{customfield.Field{Type: customfield.Text}, "<b>x</b>", "<b>x</b>"},
	}
	for _, c := range cases {
		if got := displayValue(c.def, c.in); got != c.want {
			t.Errorf("displayValue(%s, %v) = %q, want %q", c.def.Type, c.in, got, c.want)
		}
	}
}

func TestRecordInputValueRoundTrips(t *testing.T) {
	cases := []struct {
		def  customfield.Field
		in   any
		want string
	}{
		{customfield.Field{Type: customfield.Currency, Currency: "EUR"}, float64(125050), "1250.50"},
		{customfield.Field{Type: customfield.Currency, Currency: "EUR"}, int64(7), "0.07"},
		{customfield.Field{Type: customfield.Number}, float64(12), "12"},
		{customfield.Field{Type: customfield.Number}, 0.25, "0.25"},
		{customfield.Field{Type: customfield.Bool}, true, "yes"},
		{customfield.Field{Type: customfield.Bool}, false, "no"},
		{customfield.Field{Type: customfield.Text}, "plain", "plain"},
	}
	for _, c := range cases {
		got := inputValue(c.def, c.in)
		if got != c.want {
			t.Errorf("inputValue(%s, %v) = %q, want %q", c.def.Type, c.in, got, c.want)
		}
		// What the form shows is read back as the same stored value.
		back, msg := customfield.Normalise(c.def, got, "US")
		if msg != "" {
			t.Errorf("%q does not read back: %s", got, msg)
		}
		if f, ok := toFloat(c.in); ok {
			if g, _ := toFloat(back); g != f {
				t.Errorf("%v → %q → %v", c.in, got, back)
			}
		}
	}
}

func TestRecordCustomShownLinks(t *testing.T) {
	defs := []customfield.Field{
		{Key: "site", Label: "Site", Type: customfield.URL},
		{Key: "mail", Label: "Mail", Type: customfield.Email},
		{Key: "tel", Label: "Tel", Type: customfield.Phone},
		{Key: "bio", Label: "Bio", Type: customfield.LongText},
		{Key: "empty", Label: "Empty", Type: customfield.Text},
	}
	got := customShown(defs, customfield.Values{"site": "https://a.example", "mail": "a@b.example", "tel": "+4930901820", "bio": "x\ny"})
	want := []shownValue{
		{Label: "Site", Text: "https://a.example", Href: "https://a.example"},
		{Label: "Mail", Text: "a@b.example", Href: "mailto:a@b.example"},
		{Label: "Tel", Text: "+49 30 901820", Tel: "+4930901820"},
		{Label: "Bio", Text: "x\ny", Multiline: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("customShown = %+v\nwant %+v", got, want)
	}
}

func recEvent(kind string, data any) activity.Entry {
	b, _ := json.Marshal(data)
	return activity.Entry{ID: "e", At: time.Now(), EventKind: kind, EventData: b, ActorName: "Grace", SubjectID: "c1"}
}

func TestRecordDescribeEvents(t *testing.T) {
	defs := []customfield.Field{{Key: "budget", Label: "Budget", Type: customfield.Currency, Currency: "EUR"}}
	d := newDescriber("contact", "c1", defs, nil)
	cases := []struct {
		entry activity.Entry
		want  string
		lines int
	}{
		{recEvent("contact.created", map[string]any{"name": "Ada"}), "Grace created this contact", 0},
		{recEvent("contact.updated", map[string]any{"changes": []map[string]any{{"field": "last_name", "before": "", "after": "Hopper"}}}),
			`Grace changed Last name from "" to "Hopper"`, 0},
		{recEvent("contact.updated", map[string]any{"changes": []map[string]any{
			{"field": "custom.budget", "before": 100, "after": 250},
			{"field": "lifecycle_stage", "before": "lead", "after": "qualified_lead"},
			{"field": "custom.gone", "before": "a", "after": nil}}}),
			"Grace changed 3 fields", 3},
		{recEvent("contact.updated", map[string]any{"changes": []map[string]any{{"field": "custom.budget", "before": 100.0, "after": 100}}}),
			"Grace saved without changes", 0},
		{recEvent("contact.owner_changed", map[string]any{"before": map[string]any{"id": "", "name": ""}, "after": map[string]any{"id": "u", "name": "Olga"}}),
			"Owner changed from nobody to Olga by Grace", 0},
		{recEvent("contact.tagged", map[string]any{"tag": "VIP"}), "Grace tagged this contact VIP", 0},
		{recEvent("contact.untagged", map[string]any{"tag": "VIP"}), "Grace removed the tag VIP", 0},
		{recEvent("contact.deleted", map[string]any{"name": "Ada"}), "Grace deleted this contact", 0},
		{recEvent("company.merged", map[string]any{"merged": []map[string]any{{"name": "Acme Ltd", "domain": "acme.example"}}}),
			"Grace merged 1 company into this one", 0},
		{recEvent("ticket.escalated", map[string]any{}), "Grace: ticket escalated", 0},
		{recEvent("deal.stage_changed", map[string]any{"name": "Renewal", "from": "Lead", "to": "Proposal", "seconds_in_stage": 7200}),
			"Grace moved deal Renewal from Lead to Proposal after 2 h 0 min", 0},
		{recEvent("deal.lost", map[string]any{"name": "Renewal", "reason": "No budget"}), "Grace marked deal Renewal lost: No budget", 0},
	}
	for _, c := range cases {
		got := d.entries([]activity.Entry{c.entry})[0]
		if got.Sentence != c.want || len(got.Lines) != c.lines {
			t.Errorf("%s: %q %q, want %q with %d lines", c.entry.EventKind, got.Sentence, got.Lines, c.want, c.lines)
		}
	}
	got := d.entries([]activity.Entry{cases[2].entry})[0].Lines
	want := []string{`Budget from "€1.00" to "€2.50"`, `Lifecycle stage from "Lead" to "Qualified lead"`, `gone from "a" to ""`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
	merged := d.entries([]activity.Entry{cases[8].entry})[0].Merged
	if len(merged) != 1 || merged[0].Name != "Acme Ltd" || merged[0].Fields[1] != (shownValue{Label: "Domain", Text: "acme.example"}) {
		t.Errorf("merged %+v", merged)
	}
}

func TestRecordDescribeOnCompanyPage(t *testing.T) {
	calls := 0
	d := newDescriber("company", "m1", nil, func(id string) string {
		calls++
		if id == "gone" {
			return ""
		}
		return "Ada Lovelace"
	})
	e := recEvent("contact.created", map[string]any{"name": "Ada Lovelace"})
	e.ContactID = "c1"
	gone := recEvent("contact.updated", map[string]any{})
	gone.ContactID = "gone"
	out := d.entries([]activity.Entry{e, e, gone, {ID: "n", Activity: &activity.Activity{Kind: "note"}, ContactID: "c1"}})
	if out[0].Sentence != "Grace created contact Ada Lovelace" || out[0].About != "Ada Lovelace" || out[0].AboutURL != "/contacts/c1" {
		t.Errorf("entry %+v", out[0])
	}
	if out[2].About != "a deleted contact" || out[3].About != "Ada Lovelace" || out[3].Actor != "Rapport" || out[3].Return != "/companies/m1" {
		t.Errorf("entries %+v", out[2:])
	}
	if calls != 2 {
		t.Errorf("looked up contact names %d times, want once per contact", calls)
	}
}

func TestRecordTimelineURLs(t *testing.T) {
	v := timelineView{Base: "/contacts/c1"}
	for _, c := range []struct{ kind, after, page, fragment string }{
		{"", "", "/contacts/c1#timeline", "/contacts/c1/timeline"},
		{"note", "", "/contacts/c1?kind=note#timeline", "/contacts/c1/timeline?kind=note"},
		{"call", "a+b/c", "/contacts/c1?after=a%2Bb%2Fc&kind=call#timeline", "/contacts/c1/timeline?after=a%2Bb%2Fc&kind=call"},
	} {
		if got := v.PageURL(c.kind, c.after); got != c.page {
			t.Errorf("PageURL(%q, %q) = %q, want %q", c.kind, c.after, got, c.page)
		}
		if got := v.FragmentURL(c.kind, c.after); got != c.fragment {
			t.Errorf("FragmentURL(%q, %q) = %q, want %q", c.kind, c.after, got, c.fragment)
		}
	}
	e := timelineEntry{Activity: &activity.Activity{Duration: 3700}}
	if got := e.Duration(); got != "1 h 02 min" {
		t.Errorf("Duration = %q", got)
	}
	if got := (timelineEntry{Activity: &activity.Activity{Duration: 30}}).Duration(); got != "1 minute" {
		t.Errorf("Duration = %q", got)
	}
}

func TestRecordLocalReturn(t *testing.T) {
	for in, want := range map[string]string{
		"/contacts/x":               "/contacts/x",
		"/companies/y?kind=note":    "/companies/y?kind=note",
		"//evil.example/contacts/":  "/fallback",
		"https://evil.example/":     "/fallback",
		"/contacts/x\r\nSet-Cookie": "/fallback",
		"/settings":                 "/fallback",
		"":                          "/fallback",
	} {
		if got := localReturn(in, "/fallback"); got != want {
			t.Errorf("localReturn(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRecordParseActivity(t *testing.T) {
	form := url.Values{"body": {"Notes"}, "duration": {"1,5"}, "occurred_at": {"2026-03-01T10:30"},
		"ends_at": {"2026-03-01T11:00"}, "attendees": {"Ada\nGrace, Olga;;\n"}, "pinned": {"1"}}
	r := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	f, in, v := parseActivity(r, "meeting")
	if v.Err() != nil {
		t.Fatal(v)
	}
	if *in.Duration != 90 || !*in.Pinned || len(*in.Attendees) != 3 || (*in.Attendees)[2] != " Olga" {
		t.Errorf("input %+v attendees %q", in, *in.Attendees)
	}
	if in.OccurredAt.Local().Format(localTime) != "2026-03-01T10:30" || in.EndsAt.Sub(*in.OccurredAt) != 30*time.Minute {
		t.Errorf("times %v %v", in.OccurredAt, in.EndsAt)
	}
	if f.Duration != "1,5" || f.Kind != "meeting" {
		t.Errorf("form %+v", f)
	}
	// Stored activity → form → the same input.
	back := formOf(activity.Activity{ID: "a", Kind: "call", Duration: 90, OccurredAt: *in.OccurredAt, Attendees: []string{"Ada", "Grace"}})
	if back.Duration != "1.5" || back.OccurredAt != "2026-03-01T10:30" || back.Attendees != "Ada\nGrace" || back.EndsAt != "" {
		t.Errorf("formOf = %+v", back)
	}

	bad := url.Values{"duration": {"-2"}, "occurred_at": {"yesterday"}, "ends_at": {"2026-13-01T00:00"}}
	r = httptest.NewRequest("POST", "/", strings.NewReader(bad.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, _, v = parseActivity(r, "call")
	for _, field := range []string{"duration_seconds", "occurred_at", "ends_at"} {
		if v.For(field) == "" {
			t.Errorf("no message for %s: %v", field, v)
		}
	}
}

func TestRecordFormHelpers(t *testing.T) {
	if got := splitTags(" VIP, ,Math ,"); !reflect.DeepEqual(got, []string{"VIP", "Math"}) {
		t.Errorf("splitTags = %q", got)
	}
	if got := splitTags(""); got == nil || len(got) != 0 {
		t.Errorf("splitTags of nothing = %#v, want an empty list (clears tags)", got)
	}
	if got := lines("a\r\n\n b \n"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("lines = %q", got)
	}
	form := url.Values{"email": {"a@x.example", "", "b@x.example"}, "email_label": {"work", "ignored", ""},
		"company_id": {"id1", ""}, "company_name": {"Acme", "Typed"}}
	r := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.ParseForm()
	if got := postedRows(r, "email"); !reflect.DeepEqual(got, []valueRow{{Value: "a@x.example", Label: "work"}, {Value: "b@x.example"}}) {
		t.Errorf("postedRows = %+v", got)
	}
	if got := postedCompanies(r); !reflect.DeepEqual(got, []companyRow{{ID: "id1", Name: "Acme"}, {Name: "Typed"}}) {
		t.Errorf("postedCompanies = %+v", got)
	}
	defs := []customfield.Field{{Key: "colours", Type: customfield.MultiSelect}, {Key: "plan", Type: customfield.Select}}
	patch := customPatch(defs, r)
	if c, ok := patch["colours"].([]string); !ok || len(c) != 0 || patch["plan"] != "" {
		t.Errorf("patch %#v: an unticked multi-select and an empty select must clear", patch)
	}
	if got := regionName("DE"); got != "Germany" {
		t.Errorf("regionName(DE) = %q", got)
	}
}
