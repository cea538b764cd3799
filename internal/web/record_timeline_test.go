package web_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
)

func (rs *recSite) contact(t *testing.T, in contact.Input) contact.Contact {
	t.Helper()
	c, err := rs.contacts.Create(rs.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// timelineCount counts the activities and events on a contact's timeline.
func (rs *recSite) timelineCount(t *testing.T, contactID string) int {
	t.Helper()
	n, after := 0, ""
	for {
		entries, next, err := rs.activities.Timeline(rs.ctx, activity.TimelineQuery{ContactID: contactID, After: after, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		n += len(entries)
		if next == "" {
			return n
		}
		after = next
	}
}

// section returns the element with id from body, up to its closing tag.
func section(body, id, closing string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], closing)
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

func TestLogActivities(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		c := rs.contact(t, contact.Input{FirstName: fixture.Ptr("Ada")})
		base := "/contacts/" + c.ID
		post := func(form url.Values) response { return rs.post(base+"/activities", form) }
		yesterday := time.Now().Add(-24 * time.Hour)

		good := []struct {
			name  string
			form  url.Values
			shows []string
		}{
			{"note", url.Values{"kind": {"note"}, "body": {"**Bold** move\n\n<script>alert(1)</script><img src=x onerror=alert(2)>"}},
				[]string{"Note added.", "<strong>Bold</strong> move", `<img src="x">`}},
			{"pinned note", url.Values{"kind": {"note"}, "body": {"Takes her latte *unsweetened*"}, "pinned": {"1"}},
				[]string{"<em>unsweetened</em>"}},
			{"call", url.Values{"kind": {"call"}, "outcome": {"connected"}, "duration": {"15"}, "direction": {"outbound"}, "body": {"Talked renewal"}},
				[]string{"Call added.", "outbound call · connected · 15 minutes", "Talked renewal"}},
			{"meeting", url.Values{"kind": {"meeting"}, "subject": {"Kick-off"}, "occurred_at": {yesterday.Format("2006-01-02T15:04")},
				"ends_at": {yesterday.Add(time.Hour).Format("2006-01-02T15:04")}, "attendees": {"Ada\nGrace, Olga"}},
				[]string{"Kick-off", "With Ada, Grace, Olga", yesterday.Format("2 Jan 2006, 15:04")}},
			{"email", url.Values{"kind": {"email"}, "subject": {"Proposal v2"}, "direction": {"inbound"}, "body": {"See the attachment"}},
				[]string{"Email added.", "Proposal v2", `<span class="entry-direction">inbound</span>`, "See the attachment"}},
		}
		for _, g := range good {
			t.Run(g.name, func(t *testing.T) {
				post(g.form).expect(t, 303, base+"#timeline")
				page := rs.get(base)
				page.expect(t, 200, "", g.shows...)
				if strings.Contains(page.body, "<script>alert") || strings.Contains(page.body, "onerror") {
					t.Error("note rendered a live script")
				}
			})
		}
		page := rs.get(base)
		banner := section(page.body, "pinned", "</section>")
		if !strings.Contains(banner, "<em>unsweetened</em>") || strings.Contains(banner, "Bold") {
			t.Errorf("pinned banner %q", banner)
		}
		if strings.Contains(page.body, "No activity yet") {
			t.Error("empty state shown beside activities")
		}

		before := rs.timelineCount(t, c.ID)
		invalid := []struct {
			name  string
			form  url.Values
			msg   string
			keeps string
		}{
			{"empty note", url.Values{"kind": {"note"}, "body": {"  "}, "pinned": {"1"}}, "Write something in the note.", `name="pinned" value="1" checked`},
			{"bad duration", url.Values{"kind": {"call"}, "duration": {"quarter hour"}, "body": {"kept text"}}, "Enter the duration in minutes", `value="quarter hour"`},
			{"bad outcome", url.Values{"kind": {"call"}, "outcome": {"exploded"}, "body": {"kept text"}}, "Choose an outcome", "kept text"},
			{"meeting ends first", url.Values{"kind": {"meeting"}, "subject": {"Review"}, "occurred_at": {"2026-01-02T10:00"}, "ends_at": {"2026-01-02T09:00"}},
				"The meeting must end after it starts.", `value="Review"`},
			{"bad time", url.Values{"kind": {"meeting"}, "occurred_at": {"next tuesday"}}, "Enter a date and time.", `value="next tuesday"`},
			{"empty email", url.Values{"kind": {"email"}, "direction": {"inbound"}}, "Give the email a subject or a body.", `value="inbound" selected`},
			{"bad kind", url.Values{"kind": {"fax"}, "body": {"x"}}, "Choose note, call, meeting or email.", ""},
			{"huge note", url.Values{"kind": {"note"}, "body": {strings.Repeat("a", 1<<20)}}, "Keep the text under 100000 characters", ""},
		}
		for _, c := range invalid {
			t.Run(c.name, func(t *testing.T) {
				r := post(c.form)
				r.expect(t, 422, "", c.msg, "Nothing was saved")
				if c.keeps != "" && !strings.Contains(r.body, c.keeps) {
					t.Errorf("form lost the input %q", c.keeps)
				}
				hx := rs.do(rs.client, "POST", base+"/activities", c.form, map[string]string{"HX-Request": "true"})
				hx.expect(t, 422, "", c.msg, `id="log-activity"`)
				if strings.Contains(hx.body, "<html") {
					t.Error("htmx error got the whole page")
				}
			})
		}
		if n := rs.timelineCount(t, c.ID); n != before {
			t.Errorf("%d timeline entries after invalid posts, want %d", n, before)
		}

		// With htmx the new entry comes back for the top of the timeline,
		// with a fresh form and the pinned banner.
		hx := rs.do(rs.client, "POST", base+"/activities", url.Values{"kind": {"note"}, "body": {"Via htmx"}, "pinned": {"1"}},
			map[string]string{"HX-Request": "true"})
		hx.expect(t, 200, "", `hx-swap-oob="afterbegin:#timeline-list"`, "<p>Via htmx</p>", `id="pinned" class="pinned" aria-label="Pinned notes" hx-swap-oob="true"`,
			"Note added.", `<textarea id="note-body" name="body" rows="4" aria-describedby="note-body-hint"></textarea>`)
		if strings.Contains(hx.body, "<html") {
			t.Error("htmx post got the whole page")
		}
	})
}

func TestEditPinDeleteActivity(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		c := rs.contact(t, contact.Input{FirstName: fixture.Ptr("Ada")})
		base := "/contacts/" + c.ID
		a, err := rs.activities.Create(rs.ctx, activity.Input{Kind: fixture.Ptr("note"), ContactID: &c.ID, Body: fixture.Ptr("First draft")})
		if err != nil {
			t.Fatal(err)
		}
		rs.get(base).expect(t, 200, "", `href="/activities/`+a.ID+`/edit?return=%2fcontacts%2f`+c.ID+`"`)
		rs.get("/activities/"+a.ID+"/edit?return="+url.QueryEscape(base)).expect(t, 200, "", "Edit note", "First draft", `name="return" value="`+base+`"`)
		rs.post("/activities/"+a.ID, url.Values{"body": {""}, "return": {base}}).expect(t, 422, "", "Write something in the note.")
		rs.post("/activities/"+a.ID, url.Values{"body": {"Second *draft*"}, "return": {base}}).expect(t, 303, base+"#entry-"+a.ID)
		rs.get(base).expect(t, 200, "", "Note saved.", "Second <em>draft</em>")

		// Pin, then unpin from the banner; a foreign return address is ignored.
		rs.post("/activities/"+a.ID+"/pin", url.Values{"pinned": {"1"}, "return": {"https://evil.example/"}}).expect(t, 303, base)
		if got := section(rs.get(base).body, "pinned", "</section>"); !strings.Contains(got, "Second <em>draft</em>") || !strings.Contains(got, "Unpin") {
			t.Errorf("banner after pin: %q", got)
		}
		rs.post("/activities/"+a.ID+"/pin", url.Values{"pinned": {"0"}, "return": {base}}).expect(t, 303, base)
		if got := section(rs.get(base).body, "pinned", "</section>"); strings.Contains(got, "draft") {
			t.Errorf("banner after unpin: %q", got)
		}

		rs.post("/activities/"+a.ID+"/delete", url.Values{"return": {base}}).expect(t, 303, base+"#timeline")
		if _, err := rs.activities.ByID(rs.ctx, a.ID); err == nil {
			t.Error("activity still there after delete")
		}
		rs.get(base).expect(t, 200, "", "Note deleted.", "No activity yet")
	})
}

var sentinel = regexp.MustCompile(`hx-get="([^"]*/timeline\?[^"]*after=[^"]*)" hx-trigger="revealed"`)
var olderLink = regexp.MustCompile(`<a href="([^"]*after=[^"]*)">Older entries</a>`)

func TestTimelinePages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		c := rs.contact(t, contact.Input{FirstName: fixture.Ptr("Ada")})
		base := "/contacts/" + c.ID
		for i := 0; i < 60; i++ {
			kind := "note"
			if i%3 == 0 {
				kind = "call"
			}
			if _, err := rs.activities.Create(rs.ctx, activity.Input{Kind: &kind, ContactID: &c.ID, Body: fixture.Ptr("entry")}); err != nil {
				t.Fatal(err)
			}
		}
		entries := func(body string) int { return strings.Count(body, `<li id="entry-`) }

		page := rs.get(base)
		if n := entries(page.body); n != 50 {
			t.Fatalf("first page has %d entries, want 50", n)
		}
		m := sentinel.FindStringSubmatch(page.body)
		if m == nil {
			t.Fatal("no scroll sentinel on the first page")
		}
		next := rs.do(rs.client, "GET", html.UnescapeString(m[1]), nil, map[string]string{"HX-Request": "true"})
		next.expect(t, 200, "", "That is everything.", "created this contact")
		if n := entries(next.body); n != 11 || strings.Contains(next.body, "<html") || strings.Contains(next.body, `hx-trigger="revealed"`) {
			t.Errorf("next page: %d entries (want 11: 60 activities and the created event)", n)
		}
		// Without JavaScript the "Older entries" link shows the same page.
		l := olderLink.FindStringSubmatch(page.body)
		if l == nil {
			t.Fatal("no Older entries link")
		}
		older := rs.get(html.UnescapeString(l[1]))
		older.expect(t, 200, "", "Back to the newest entries", "created this contact")
		if n := entries(older.body); n != 11 {
			t.Errorf("older page has %d entries, want 11", n)
		}
		rs.get(html.UnescapeString(m[1])).expect(t, 200, "", "<html", "Back to the newest entries")

		// Filter chips: only calls, then only system events.
		calls := rs.do(rs.client, "GET", base+"/timeline?kind=call", nil, map[string]string{"HX-Request": "true"})
		calls.expect(t, 200, "", `id="timeline"`, `aria-current="true">Calls</a>`)
		if n, all := strings.Count(calls.body, `class="entry entry-call`), entries(calls.body); n != 20 || all != 20 {
			t.Errorf("call filter: %d calls of %d entries, want 20", n, all)
		}
		system := rs.get(base + "?kind=system")
		if n := entries(system.body); n != 1 || !strings.Contains(system.body, "created this contact") {
			t.Errorf("system filter shows %d entries", n)
		}
		notes := rs.get(base + "?kind=note")
		if m := sentinel.FindStringSubmatch(notes.body); m != nil {
			t.Errorf("40 notes fit on one page, but there is a sentinel %s", m[1])
		}

		rs.get(base+"?kind=fax").expect(t, 422, "", "Filter by note, call, meeting, email or system.")
		rs.do(rs.client, "GET", base+"/timeline?after=garbage", nil, map[string]string{"HX-Request": "true"}).expect(t, 422, "", "This page link is broken")
	})
}

func TestCompanyTimelineIncludesContacts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		m, err := rs.companies.Create(rs.ctx, company.Input{Name: fixture.Ptr("Analytical Engines")})
		if err != nil {
			t.Fatal(err)
		}
		c := rs.contact(t, contact.Input{FirstName: fixture.Ptr("Ada"), LastName: fixture.Ptr("Lovelace"), CompanyIDs: &[]string{m.ID}})
		rs.post("/contacts/"+c.ID+"/activities", url.Values{"kind": {"note"}, "body": {"Loves *punched cards*"}, "pinned": {"1"}}).expect(t, 303, "")
		rs.post("/companies/"+m.ID+"/activities", url.Values{"kind": {"call"}, "outcome": {"busy"}}).expect(t, 303, "/companies/"+m.ID+"#timeline")
		rs.post("/companies/"+m.ID+"/activities", url.Values{"kind": {"note"}, "body": {"Company-wide pin"}, "pinned": {"1"}}).expect(t, 303, "")

		page := rs.get("/companies/" + m.ID)
		page.expect(t, 200, "", "Analytical Engines", "Loves <em>punched cards</em>", `· <a href="/contacts/`+c.ID+`">Ada Lovelace</a>`,
			"Call · busy", "created contact Ada Lovelace", "created this company", `<a href="/contacts/`+c.ID+`">Ada Lovelace</a>`)
		banner := section(page.body, "pinned", "</section>")
		if !strings.Contains(banner, "Company-wide pin") || strings.Contains(banner, "punched") {
			t.Errorf("company banner %q", banner)
		}
		// The company's people link to the contact list filtered on it.
		if !strings.Contains(page.body, "People") {
			t.Error("no people panel")
		}
	})
}

func TestTimelineShowsMerges(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		survivor := rs.contact(t, contact.Input{FirstName: fixture.Ptr("Ada"), LastName: fixture.Ptr("Lovelace"), Tags: &[]string{"VIP"}})
		dup1 := rs.contact(t, contact.Input{FirstName: fixture.Ptr("Ada"), LastName: fixture.Ptr("Byron"), JobTitle: fixture.Ptr("Countess"),
			Emails: &[]contact.Email{{Address: "ada@byron.example"}}})
		dup2 := rs.contact(t, contact.Input{FirstName: fixture.Ptr("A."), LastName: fixture.Ptr("King"),
			Phones: &[]contact.PhoneInput{{Number: "+44 20 7946 0958"}}})
		if _, err := rs.activities.Create(rs.ctx, activity.Input{Kind: fixture.Ptr("note"), ContactID: &dup1.ID, Body: fixture.Ptr("Met at the *salon*")}); err != nil {
			t.Fatal(err)
		}
		if _, err := rs.contacts.Merge(rs.ctx, contact.MergeInput{SurvivorID: survivor.ID, MergedIDs: []string{dup1.ID, dup2.ID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := rs.contacts.Update(rs.ctx, survivor.ID, contact.Input{Tags: &[]string{"VIP", "Math"}}); err != nil {
			t.Fatal(err)
		}
		page := rs.get("/contacts/" + survivor.ID)
		page.expect(t, 200, "", "Olga Owner merged 2 contacts into this one", "<summary>Data of the merged records</summary>",
			"<h3>Ada Byron</h3>", "ada@byron.example", "Countess", "<h3>A. King</h3>", "&#43;44 20 7946 0958",
			"Met at the <em>salon</em>", "Olga Owner tagged this contact Math", "Olga Owner created this contact")
		rs.get("/contacts/"+dup1.ID).expect(t, 404, "")
	})
}
