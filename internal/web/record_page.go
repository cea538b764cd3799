package web

import (
	"net/http"
	"net/url"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/query"
)

// recordView is a contact's or a company's page: header, pinned notes,
// details, the log form and the timeline.
type recordView struct {
	page
	Base     string
	Contact  *contact.Contact
	Company  *company.Company
	Custom   []shownValue
	Pinned   pinnedView
	Log      activityPanel
	Timeline timelineView
	// A company's people: the first page of its contacts and a link to
	// all of them in the contact list.
	People    []contact.Row
	PeopleURL string
	// CanEdit shows the edit and delete buttons, CanLog the log panel:
	// viewers only read.
	CanEdit, CanLog bool
	// PhotoError is what was wrong with an uploaded picture.
	PhotoError string
	// Deals are the record's deals, nil when the user may not read deals.
	Deals *recordDealsView
}

// pinnedView is the banner of pinned notes; OOB marks it for an htmx
// out-of-band swap.
type pinnedView struct {
	Notes   []activity.Activity
	Return  string
	OOB     bool
	CanEdit bool
}

// deleteForm is the confirm-and-delete box of a record page.
type deleteForm struct{ Action, Name, What string }

// Delete fills the delete box.
func (v recordView) Delete() deleteForm {
	if v.Contact != nil {
		return deleteForm{Action: v.Base + "/delete", Name: v.Contact.DisplayName, What: "contact"}
	}
	return deleteForm{Action: v.Base + "/delete", Name: v.Company.Name, What: "company"}
}

func (s *Server) contactShow(w http.ResponseWriter, r *http.Request) {
	s.showRecord(w, r, recordRef{kind: "contact", id: r.PathValue("id")}, activityPanel{}, http.StatusOK)
}

func (s *Server) companyShow(w http.ResponseWriter, r *http.Request) {
	s.showRecord(w, r, recordRef{kind: "company", id: r.PathValue("id")}, activityPanel{}, http.StatusOK)
}

// showRecord renders a record page with the log panel as given (empty: a
// fresh note form) and the timeline page asked for in the URL.
func (s *Server) showRecord(w http.ResponseWriter, r *http.Request, rec recordRef, log activityPanel, status int) {
	v, err := s.recordView(r, rec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if log.Action == "" {
		log = newPanel(v.Base, r.URL.Query().Get("log"))
	}
	v.Log = log
	name := "contact"
	if rec.kind == "company" {
		name = "company"
	}
	s.render(w, r, status, name, v)
}

// recordView reads everything a record page shows.
func (s *Server) recordView(r *http.Request, rec recordRef) (recordView, error) {
	ctx := r.Context()
	var v recordView
	var defs []customfield.Field
	var err error
	switch rec.kind {
	case "contact":
		c, err := s.contacts.ByID(ctx, rec.id)
		if err != nil {
			return v, err
		}
		rec.name, v.Contact = c.DisplayName, &c
		if defs, err = s.fields.List(ctx, customfield.ObjectContact); err != nil {
			return v, err
		}
		v.Custom = customShown(defs, c.Custom)
	default:
		c, err := s.companies.ByID(ctx, rec.id)
		if err != nil {
			return v, err
		}
		rec.name, v.Company = c.Name, &c
		if defs, err = s.fields.List(ctx, customfield.ObjectCompany); err != nil {
			return v, err
		}
		v.Custom = customShown(defs, c.Custom)
		if err := s.people(r, &v); err != nil {
			return v, err
		}
	}
	v.page, v.Base = s.page(r, rec.name), rec.base()
	v.CanEdit = allowed(r, kindPlural(rec.kind), access.Update)
	v.CanLog = allowed(r, access.Activities, access.Create)
	v.Deals = s.recordDeals(r, rec.id, rec.kind == "company")
	if v.Pinned, err = s.pinned(r, rec); err != nil {
		return v, err
	}
	q := r.URL.Query()
	v.Timeline, err = s.timeline(r, rec, defs, q.Get("kind"), q.Get("after"))
	return v, err
}

// people fills in the first contacts of a company page: those whose
// primary company it is, by the indexed company_id filter that the "all
// contacts" link opens too.
func (s *Server) people(r *http.Request, v *recordView) error {
	page, err := s.contacts.List(r.Context(), query.Request{Limit: 20, Sort: query.Sort{Field: "name"},
		Filter: query.Group{Conditions: []query.Condition{{Field: "company_id", Op: query.Is, Value: v.Company.ID}}}})
	if err != nil {
		return err
	}
	v.People = page.Rows
	v.PeopleURL = "/contacts?" + url.Values{"company_id": {v.Company.ID}}.Encode()
	return nil
}

// pinned reads the pinned notes of a record. A company's banner shows the
// notes pinned on the company itself, not those of its people.
func (s *Server) pinned(r *http.Request, rec recordRef) (pinnedView, error) {
	var notes []activity.Activity
	var err error
	if rec.kind == "contact" {
		notes, err = s.activities.Pinned(r.Context(), rec.id, "")
	} else {
		var all []activity.Activity
		all, err = s.activities.Pinned(r.Context(), "", rec.id)
		for _, a := range all {
			if a.ContactID == "" {
				notes = append(notes, a)
			}
		}
	}
	return pinnedView{Notes: notes, Return: rec.base(), CanEdit: allowed(r, access.Activities, access.Update)}, err
}
