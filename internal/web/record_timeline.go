package web

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/customfield"
)

// timelineView is a record's timeline: the filter chips, one page of
// entries and the link to the next page.
type timelineView struct {
	Base    string // the record page, "/contacts/<id>"
	Kind    string // the filter: "" for everything
	After   string // the cursor this page starts after ("" = newest)
	Next    string // the cursor of the next page ("" = no more)
	Entries []timelineEntry
}

// NoActivity reports whether the newest page has no logged activity, so
// the timeline invites the first one.
func (t timelineView) NoActivity() bool {
	if t.After != "" || t.Kind == activity.System {
		return false
	}
	for _, e := range t.Entries {
		if e.Activity != nil {
			return false
		}
	}
	return true
}

// timelineChip is one filter of the timeline.
type timelineChip struct{ Kind, Label string }

var timelineChips = []timelineChip{{"", "All"}, {activity.Note, "Notes"}, {activity.Call, "Calls"},
	{activity.Meeting, "Meetings"}, {activity.Email, "Emails"}, {activity.System, "System"}}

// Chips lists the filters for the template.
func (t timelineView) Chips() []timelineChip { return timelineChips }

// PageURL is the record page showing the timeline with filter kind from
// cursor after: the links that work without JavaScript.
func (t timelineView) PageURL(kind, after string) string {
	q := url.Values{}
	if kind != "" {
		q.Set("kind", kind)
	}
	if after != "" {
		q.Set("after", after)
	}
	if len(q) == 0 {
		return t.Base + "#timeline"
	}
	return t.Base + "?" + q.Encode() + "#timeline"
}

// FragmentURL is the htmx address of the timeline with filter kind from
// cursor after.
func (t timelineView) FragmentURL(kind, after string) string {
	q := url.Values{}
	if kind != "" {
		q.Set("kind", kind)
	}
	if after != "" {
		q.Set("after", after)
	}
	u := t.Base + "/timeline"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// timelineEntry is one line of the timeline, ready to show.
type timelineEntry struct {
	ID       string
	Kind     string // note, call, meeting, email or system
	At       time.Time
	Actor    string
	Activity *activity.Activity
	// Sentence says what happened, for system events; Lines add detail
	// (one per changed field when several changed).
	Sentence string
	Lines    []string
	Merged   []mergedRecord
	// About names the contact an entry on a company timeline is about.
	About, AboutURL string
	// Return is where the entry's edit, delete and pin forms come back to.
	Return string
	// CanEdit shows those forms: viewers only read.
	CanEdit bool
}

// KindLabel names the entry's kind.
func (e timelineEntry) KindLabel() string {
	if e.Activity == nil {
		return "System"
	}
	return activityLabel(e.Kind)
}

// Duration writes a call's length.
func (e timelineEntry) Duration() string {
	if e.Activity == nil || e.Activity.Duration == 0 {
		return ""
	}
	m := (e.Activity.Duration + 59) / 60
	if m < 60 {
		return count(m, "minute", "minutes")
	}
	return fmt.Sprintf("%d h %02d min", m/60, m%60)
}

// timeline reads one page of a record's timeline.
func (s *Server) timeline(r *http.Request, rec recordRef, defs []customfield.Field, kind, after string) (timelineView, error) {
	tq := activity.TimelineQuery{After: after}
	if kind != "" {
		tq.Kinds = []string{kind}
	}
	var nameOf func(string) string
	if rec.kind == "contact" {
		tq.ContactID = rec.id
	} else {
		tq.CompanyID = rec.id
		nameOf = func(id string) string {
			c, err := s.contacts.ByID(r.Context(), id)
			if err != nil {
				return ""
			}
			return c.DisplayName
		}
	}
	entries, next, err := s.activities.Timeline(r.Context(), tq)
	if err != nil {
		return timelineView{}, err
	}
	d := newDescriber(rec.kind, rec.id, defs, nameOf)
	list := d.entries(entries)
	canEdit := allowed(r, access.Activities, access.Update)
	for i := range list {
		list[i].CanEdit = canEdit
	}
	return timelineView{Base: rec.base(), Kind: kind, After: after, Next: next, Entries: list}, nil
}

func (s *Server) contactTimeline(w http.ResponseWriter, r *http.Request) {
	s.timelinePage(w, r, recordRef{kind: "contact", id: r.PathValue("id")}, customfield.ObjectContact)
}

func (s *Server) companyTimeline(w http.ResponseWriter, r *http.Request) {
	s.timelinePage(w, r, recordRef{kind: "company", id: r.PathValue("id")}, customfield.ObjectCompany)
}

// timelinePage answers the timeline's own address: htmx gets the next
// page of entries (with a cursor) or the whole timeline section (a filter
// chip); a browser without JavaScript gets the record page.
func (s *Server) timelinePage(w http.ResponseWriter, r *http.Request, rec recordRef, object string) {
	if !htmx(r) {
		s.showRecord(w, r, rec, activityPanel{}, http.StatusOK)
		return
	}
	defs, err := s.fields.List(r.Context(), object)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	t, err := s.timeline(r, rec, defs, q.Get("kind"), q.Get("after"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := "timeline-section"
	if t.After != "" {
		name = "timeline-entries"
	}
	s.fragment(w, r, http.StatusOK, name, t)
}
