package web

import (
	"net/http"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/phone"
	"github.com/rapportcrm/rapport/internal/record"
)

// contactFormView is the new and edit contact form, filled from the record
// or from what was posted.
type contactFormView struct {
	page
	ID     string // empty for a new contact
	Action string
	Cancel string

	FirstName, LastName, JobTitle, Birthday, Source, Stage, OwnerID, Tags string
	Emails, Phones                                                        []valueRow
	Companies                                                             []companyRow
	Address                                                               record.Address
	Custom                                                                []customInput

	Owners []ownerOption
	Stages []struct{ Key, Label string }
	Errors *apperr.Validation
}

func (s *Server) contactNew(w http.ResponseWriter, r *http.Request) {
	actor, _ := access.ActorFrom(r.Context())
	if !access.Allowed(actor, access.Contacts, access.Create) {
		s.forbidden(w, r)
		return
	}
	defs, err := s.fields.List(r.Context(), customfield.ObjectContact)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := contactFormView{page: s.page(r, "New contact"), Action: "/contacts", Cancel: "/contacts",
		Stage: contact.DefaultStage, OwnerID: me(r).ID, Custom: customInputsFrom(defs, nil)}
	s.renderContactForm(w, r, http.StatusOK, v)
}

func (s *Server) contactEdit(w http.ResponseWriter, r *http.Request) {
	c, err := s.contacts.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defs, err := s.fields.List(r.Context(), customfield.ObjectContact)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := contactFormView{page: s.page(r, "Edit "+c.DisplayName), ID: c.ID, Action: "/contacts/" + c.ID,
		Cancel: "/contacts/" + c.ID, FirstName: c.FirstName, LastName: c.LastName, JobTitle: c.JobTitle,
		Birthday: c.Birthday, Source: c.Source, Stage: c.Stage, OwnerID: c.OwnerID,
		Tags: strings.Join(c.Tags, ", "), Companies: refsOf(c.Companies), Address: c.Address,
		Custom: customInputsFrom(defs, c.Custom)}
	for _, e := range c.Emails {
		v.Emails = append(v.Emails, valueRow{Value: e.Address, Label: e.Label})
	}
	for _, p := range c.Phones {
		v.Phones = append(v.Phones, valueRow{Value: p.Original, Label: p.Label, Hint: phone.International(p.E164)})
	}
	s.renderContactForm(w, r, http.StatusOK, v)
}

func (s *Server) renderContactForm(w http.ResponseWriter, r *http.Request, status int, v contactFormView) {
	owners, err := s.owners(r, v.OwnerID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Owners, v.Stages = owners, contact.Stages
	s.render(w, r, status, "contact_form", v)
}

func (s *Server) contactCreate(w http.ResponseWriter, r *http.Request) {
	s.saveContact(w, r, "")
}

func (s *Server) contactUpdate(w http.ResponseWriter, r *http.Request) {
	s.saveContact(w, r, r.PathValue("id"))
}

// saveContact creates (id == "") or updates a contact from the posted
// form: every field of the form is sent, so it replaces the record's.
func (s *Server) saveContact(w http.ResponseWriter, r *http.Request, id string) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	if id != "" {
		// Answer a missing contact with 404 before looking at the input.
		if _, err := s.contacts.ByID(ctx, id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	defs, err := s.fields.List(ctx, customfield.ObjectContact)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := contactFormView{ID: id, Action: "/contacts", Cancel: "/contacts",
		FirstName: r.PostFormValue("first_name"), LastName: r.PostFormValue("last_name"),
		JobTitle: r.PostFormValue("job_title"), Birthday: r.PostFormValue("birthday"),
		Source: r.PostFormValue("source"), Stage: r.PostFormValue("lifecycle_stage"),
		OwnerID: r.PostFormValue("owner_id"), Tags: r.PostFormValue("tags"),
		Emails: postedRows(r, "email"), Phones: postedRows(r, "phone"), Companies: postedCompanies(r),
		Address: postedAddress(r), Custom: customInputsPosted(defs, r)}
	if id != "" {
		v.Action, v.Cancel = "/contacts/"+id, "/contacts/"+id
	}
	companyIDs, typos, err := s.resolveCompanies(r, v.Companies)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	emails := make([]contact.Email, len(v.Emails))
	for i, e := range v.Emails {
		emails[i] = contact.Email{Address: e.Value, Label: e.Label}
	}
	phones := make([]contact.PhoneInput, len(v.Phones))
	for i, p := range v.Phones {
		phones[i] = contact.PhoneInput{Number: p.Value, Label: p.Label}
	}
	tags := splitTags(v.Tags)
	in := contact.Input{FirstName: &v.FirstName, LastName: &v.LastName, Emails: &emails, Phones: &phones,
		JobTitle: &v.JobTitle, CompanyIDs: &companyIDs, Address: &v.Address, Birthday: &v.Birthday,
		Source: &v.Source, Stage: &v.Stage, OwnerID: &v.OwnerID, Tags: &tags, Custom: customPatch(defs, r)}
	var c contact.Contact
	if id == "" {
		c, err = s.contacts.Create(ctx, in)
	} else {
		c, err = s.contacts.Update(ctx, id, in)
	}
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		explainTypos(verr, typos)
		v.Errors = verr
		title := "New contact"
		if id != "" {
			title = "Edit contact"
		}
		v.page = s.page(r, title)
		s.renderContactForm(w, r, invalidStatus(verr), v)
		return
	}
	msg := "Contact created."
	if id != "" {
		msg = "Changes saved."
	}
	s.redirect(w, r, "/contacts/"+c.ID, msg)
}

func (s *Server) contactDelete(w http.ResponseWriter, r *http.Request) {
	c, err := s.contacts.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.contacts.Delete(r.Context(), c.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/contacts", c.DisplayName+" was deleted.")
}
