package web

import (
	"net/http"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/record"
)

// companyFormView is the new and edit company form.
type companyFormView struct {
	page
	ID     string
	Action string
	Cancel string

	Name, Domain, Industry, Size, OwnerID, Tags string
	Address                                     record.Address
	Custom                                      []customInput

	Owners []ownerOption
	Sizes  []string
	Errors *apperr.Validation
}

func (s *Server) companyNew(w http.ResponseWriter, r *http.Request) {
	actor, _ := access.ActorFrom(r.Context())
	if !access.Allowed(actor, access.Companies, access.Create) {
		s.forbidden(w, r)
		return
	}
	defs, err := s.fields.List(r.Context(), customfield.ObjectCompany)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := companyFormView{page: s.page(r, "New company"), Action: "/companies", Cancel: "/companies",
		OwnerID: me(r).ID, Custom: customInputsFrom(defs, nil)}
	s.renderCompanyForm(w, r, http.StatusOK, v)
}

func (s *Server) companyEdit(w http.ResponseWriter, r *http.Request) {
	c, err := s.companies.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defs, err := s.fields.List(r.Context(), customfield.ObjectCompany)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := companyFormView{page: s.page(r, "Edit "+c.Name), ID: c.ID, Action: "/companies/" + c.ID,
		Cancel: "/companies/" + c.ID, Name: c.Name, Domain: c.Domain, Industry: c.Industry, Size: c.Size,
		OwnerID: c.OwnerID, Tags: strings.Join(c.Tags, ", "), Address: c.Address,
		Custom: customInputsFrom(defs, c.Custom)}
	s.renderCompanyForm(w, r, http.StatusOK, v)
}

func (s *Server) renderCompanyForm(w http.ResponseWriter, r *http.Request, status int, v companyFormView) {
	owners, err := s.owners(r, v.OwnerID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Owners, v.Sizes = owners, company.Sizes
	s.render(w, r, status, "company_form", v)
}

func (s *Server) companyCreate(w http.ResponseWriter, r *http.Request) {
	s.saveCompany(w, r, "")
}

func (s *Server) companyUpdate(w http.ResponseWriter, r *http.Request) {
	s.saveCompany(w, r, r.PathValue("id"))
}

// saveCompany creates (id == "") or updates a company from the posted form.
func (s *Server) saveCompany(w http.ResponseWriter, r *http.Request, id string) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	if id != "" {
		if _, err := s.companies.ByID(ctx, id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	defs, err := s.fields.List(ctx, customfield.ObjectCompany)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := companyFormView{ID: id, Action: "/companies", Cancel: "/companies",
		Name: r.PostFormValue("name"), Domain: r.PostFormValue("domain"), Industry: r.PostFormValue("industry"),
		Size: r.PostFormValue("size"), OwnerID: r.PostFormValue("owner_id"), Tags: r.PostFormValue("tags"),
		Address: postedAddress(r), Custom: customInputsPosted(defs, r)}
	if id != "" {
		v.Action, v.Cancel = "/companies/"+id, "/companies/"+id
	}
	tags := splitTags(v.Tags)
	in := company.Input{Name: &v.Name, Domain: &v.Domain, Industry: &v.Industry, Size: &v.Size,
		Address: &v.Address, OwnerID: &v.OwnerID, Tags: &tags, Custom: customPatch(defs, r)}
	var c company.Company
	if id == "" {
		c, err = s.companies.Create(ctx, in)
	} else {
		c, err = s.companies.Update(ctx, id, in)
	}
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		v.Errors = verr
		title := "New company"
		if id != "" {
			title = "Edit company"
		}
		v.page = s.page(r, title)
		s.renderCompanyForm(w, r, invalidStatus(verr), v)
		return
	}
	msg := "Company created."
	if id != "" {
		msg = "Changes saved."
	}
	s.redirect(w, r, "/companies/"+c.ID, msg)
}

func (s *Server) companyDelete(w http.ResponseWriter, r *http.Request) {
	c, err := s.companies.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.companies.Delete(r.Context(), c.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/companies", c.Name+" was deleted.")
}
