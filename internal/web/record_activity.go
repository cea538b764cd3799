package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apperr"
)

// activityForm is the form of one activity kind, as typed.
type activityForm struct {
	ID                                    string // set when editing
	Kind, Subject, Body, Outcome          string
	Duration, Direction                   string
	OccurredAt, EndsAt, Attendees, Return string
	Pinned                                bool
	Errors                                *apperr.Validation
	// Action is where the form posts; Open shows it (the other kinds'
	// forms of the log panel stay hidden until their tab is chosen).
	Action string
	Open   bool
}

// activityPanel is the "log an activity" box of a record page: one form
// per kind, Active open.
type activityPanel struct {
	Action string // where the forms post
	Active string
	Form   activityForm // what was posted to the Active form
	Saved  string       // what was just logged, for the status line
}

// For returns the form of kind: the posted one, or an empty one.
func (p activityPanel) For(kind string) activityForm {
	f := activityForm{Kind: kind}
	if kind == p.Active {
		f = p.Form
	}
	f.Action, f.Open = p.Action, kind == p.Active
	return f
}

// Kinds lists the tabs.
func (p activityPanel) Kinds() []struct{ Key, Label string } { return activity.Kinds }

// Outcomes and Directions fill the selects.
func (activityForm) Outcomes() []string   { return activity.Outcomes }
func (activityForm) Directions() []string { return activity.Directions }

func newPanel(base, kind string) activityPanel {
	if !isActivityKind(kind) {
		kind = activity.Note
	}
	return activityPanel{Action: base + "/activities", Active: kind, Form: activityForm{Kind: kind}}
}

// localTime is how datetime-local inputs write times: in the server's zone.
const localTime = "2006-01-02T15:04"

// parseActivity reads an activity form. Problems the service cannot see
// (a duration or time that is not one) come back in the Validation.
func parseActivity(r *http.Request, kind string) (activityForm, activity.Input, *apperr.Validation) {
	f := activityForm{Kind: kind, Subject: r.PostFormValue("subject"), Body: r.PostFormValue("body"),
		Outcome: r.PostFormValue("outcome"), Duration: strings.TrimSpace(r.PostFormValue("duration")),
		Direction: r.PostFormValue("direction"), OccurredAt: strings.TrimSpace(r.PostFormValue("occurred_at")),
		EndsAt: strings.TrimSpace(r.PostFormValue("ends_at")), Attendees: r.PostFormValue("attendees"),
		Pinned: r.PostFormValue("pinned") != "", Return: r.PostFormValue("return")}
	in := activity.Input{Kind: &f.Kind, Subject: &f.Subject, Body: &f.Body, Outcome: &f.Outcome,
		Direction: &f.Direction, Pinned: &f.Pinned}
	var v apperr.Validation
	seconds := 0
	if f.Duration != "" {
		m, err := strconv.ParseFloat(strings.ReplaceAll(f.Duration, ",", "."), 64)
		if err != nil || m < 0 {
			v.Add("duration_seconds", "Enter the duration in minutes, e.g. 15.")
		}
		seconds = int(m * 60)
	}
	in.Duration = &seconds
	if f.OccurredAt != "" {
		t, err := time.ParseInLocation(localTime, f.OccurredAt, time.Local)
		if err != nil {
			v.Add("occurred_at", "Enter a date and time.")
		}
		in.OccurredAt = &t
	}
	ends := time.Time{}
	if f.EndsAt != "" {
		t, err := time.ParseInLocation(localTime, f.EndsAt, time.Local)
		if err != nil {
			v.Add("ends_at", "Enter a date and time.")
		}
		ends = t
	}
	in.EndsAt = &ends
	attendees := strings.FieldsFunc(f.Attendees, func(r rune) bool { return r == '\n' || r == ',' || r == ';' })
	in.Attendees = &attendees
	return f, in, &v
}

// formOf fills an activity form from a stored activity, for editing.
func formOf(a activity.Activity) activityForm {
	f := activityForm{ID: a.ID, Kind: a.Kind, Subject: a.Subject, Body: a.Body, Outcome: a.Outcome,
		Direction: a.Direction, Pinned: a.Pinned, Attendees: strings.Join(a.Attendees, "\n"),
		OccurredAt: a.OccurredAt.Local().Format(localTime)}
	if a.Duration > 0 {
		f.Duration = strconv.FormatFloat(float64(a.Duration)/60, 'f', -1, 64)
	}
	if !a.EndsAt.IsZero() {
		f.EndsAt = a.EndsAt.Local().Format(localTime)
	}
	return f
}

func (s *Server) contactActivity(w http.ResponseWriter, r *http.Request) {
	c, err := s.contacts.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.logActivity(w, r, recordRef{kind: "contact", id: c.ID, name: c.DisplayName})
}

func (s *Server) companyActivity(w http.ResponseWriter, r *http.Request) {
	c, err := s.companies.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.logActivity(w, r, recordRef{kind: "company", id: c.ID, name: c.Name})
}

// recordRef names the record a page is about.
type recordRef struct{ kind, id, name string }

func (x recordRef) base() string { return "/" + kindPlural(x.kind) + "/" + x.id }

// activityCreated is what an htmx post of the log form gets back: a fresh
// form, the new entry for the top of the timeline and the pinned banner.
type activityCreated struct {
	Log    activityPanel
	Entry  timelineEntry
	Pinned pinnedView
}

func (s *Server) logActivity(w http.ResponseWriter, r *http.Request, rec recordRef) {
	if !s.parseForm(w, r) {
		return
	}
	kind := r.PostFormValue("kind")
	form, in, verr := parseActivity(r, kind)
	// An unknown kind opens the note form, where the service's message shows.
	panel := newPanel(rec.base(), kind)
	form.Kind = panel.Active
	if rec.kind == "contact" {
		in.ContactID = &rec.id
	} else {
		in.CompanyID = &rec.id
	}
	var a activity.Activity
	var err error
	if verr.Err() == nil {
		a, err = s.activities.Create(r.Context(), in)
		verr, err = formError(err)
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if verr.Err() != nil {
		form.Errors = verr
		panel.Form = form
		if htmx(r) {
			s.fragment(w, r, invalidStatus(verr), "record-log", panel)
			return
		}
		s.showRecord(w, r, rec, panel, invalidStatus(verr))
		return
	}
	label := activityLabel(a.Kind) + " added."
	if !htmx(r) {
		s.redirect(w, r, rec.base()+"#timeline", label)
		return
	}
	panel.Saved = label
	pinned, err := s.pinned(r, rec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pinned.OOB = true
	entry := timelineEntry{ID: a.ID, Kind: a.Kind, At: a.OccurredAt, Actor: a.Author, Activity: &a, Return: rec.base(), CanEdit: true}
	s.fragment(w, r, http.StatusOK, "record-log-created", activityCreated{Log: panel, Entry: entry, Pinned: pinned})
}

func isActivityKind(kind string) bool {
	for _, k := range activity.Kinds {
		if k.Key == kind {
			return true
		}
	}
	return false
}

func activityLabel(kind string) string {
	for _, k := range activity.Kinds {
		if k.Key == kind {
			return k.Label
		}
	}
	return "Activity"
}

// activityReturn is where to go after changing a: the page it was changed
// from, or its record.
func activityReturn(r *http.Request, a activity.Activity) string {
	fallback := "/companies/" + a.CompanyID
	if a.ContactID != "" {
		fallback = "/contacts/" + a.ContactID
	}
	return localReturn(r.FormValue("return"), fallback)
}

type activityEditView struct {
	page
	Form activityForm
}

func (s *Server) activityEdit(w http.ResponseWriter, r *http.Request) {
	a, err := s.activities.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := formOf(a)
	f.Return, f.Action, f.Open = activityReturn(r, a), "/activities/"+a.ID, true
	s.render(w, r, http.StatusOK, "activity_form", activityEditView{s.page(r, "Edit "+strings.ToLower(activityLabel(a.Kind))), f})
}

func (s *Server) activityUpdate(w http.ResponseWriter, r *http.Request) {
	a, err := s.activities.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	form, in, verr := parseActivity(r, a.Kind)
	form.ID, form.Return, form.Action, form.Open = a.ID, activityReturn(r, a), "/activities/"+a.ID, true
	if verr.Err() == nil {
		_, err = s.activities.Update(r.Context(), a.ID, in)
		verr, err = formError(err)
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if verr.Err() != nil {
		form.Errors = verr
		s.render(w, r, invalidStatus(verr), "activity_form", activityEditView{s.page(r, "Edit "+strings.ToLower(activityLabel(a.Kind))), form})
		return
	}
	s.redirect(w, r, form.Return+"#entry-"+a.ID, activityLabel(a.Kind)+" saved.")
}

func (s *Server) activityDelete(w http.ResponseWriter, r *http.Request) {
	a, err := s.activities.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.activities.Delete(r.Context(), a.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, activityReturn(r, a)+"#timeline", activityLabel(a.Kind)+" deleted.")
}

// activityPin pins (pinned=1) or unpins (pinned=0) a note.
func (s *Server) activityPin(w http.ResponseWriter, r *http.Request) {
	a, err := s.activities.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pin := r.FormValue("pinned") == "1"
	if _, err := s.activities.Update(r.Context(), a.ID, activity.Input{Pinned: &pin}); err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "Note unpinned."
	if pin {
		msg = "Note pinned to the top."
	}
	s.redirect(w, r, activityReturn(r, a), msg)
}
