package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/customfield"
)

// companyLists are the company lists a merge combines.
var companyLists = []string{"Tags", "Contacts"}

func (s *Server) companyDuplicates(w http.ResponseWriter, r *http.Request) {
	groups, err := s.companies.Duplicates(r.Context(), duplicateGroups)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := dupView{page: s.page(r, "Duplicate companies"), Kind: companyMergeKind}
	for _, g := range groups {
		dg := dupGroup{Reasons: g.Reasons}
		var ids []string
		for _, c := range g.Companies {
			ids = append(ids, c.ID)
			dg.Records = append(dg.Records, dupRecord{ID: c.ID, Name: c.Name, URL: "/companies/" + c.ID,
				Facts: []dupFact{
					{"Domain", c.Domain},
					{"Industry", c.Industry},
					{"Size", c.Size},
					{"City", c.Address.City},
					{"Contacts", strconv.Itoa(c.Contacts)},
					{"Owner", c.OwnerName},
					{"Created", c.CreatedAt.Local().Format("2 Jan 2006")},
				}})
		}
		dg.MergeURL = companyMergeKind.mergeURL(ids)
		v.Groups = append(v.Groups, dg)
	}
	s.render(w, r, http.StatusOK, "duplicates", v)
}

func (s *Server) companyMergeForm(w http.ResponseWriter, r *http.Request) {
	ids := mergeIDs(r.URL.Query())
	if !s.checkMergeRequest(w, r, companyMergeKind, ids, nil) {
		return
	}
	s.renderCompanyMerge(w, r, http.StatusOK, ids, "", nil, nil)
}

func (s *Server) companyMerge(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	p := readMergePost(r)
	if !s.checkMergeRequest(w, r, companyMergeKind, p.IDs, &p.Survivor) {
		return
	}
	c, err := s.companies.Merge(r.Context(), company.MergeInput{SurvivorID: p.Survivor, MergedIDs: p.Merged, Choices: p.Choices})
	if v := apperr.AsValidation(err); v != nil && !v.Conflict {
		s.renderCompanyMerge(w, r, http.StatusUnprocessableEntity, p.IDs, p.Survivor, p.Choices, v)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sessions.Put(r.Context(), "flash", fmt.Sprintf("Merged %d companies into %s.", len(p.IDs), c.Name))
	http.Redirect(w, r, "/companies/"+c.ID, http.StatusSeeOther)
}

func (s *Server) renderCompanyMerge(w http.ResponseWriter, r *http.Request, status int, ids []string,
	survivor string, choices map[string]string, errs *apperr.Validation) {
	defs, err := s.fields.List(r.Context(), customfield.ObjectCompany)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := mergeView{page: s.page(r, "Merge companies"), Kind: companyMergeKind, Errors: errs}
	for _, cid := range ids {
		c, err := s.companies.ByID(r.Context(), cid)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		col := mergeColumn{ID: c.ID, Name: c.Name, URL: "/companies/" + c.ID, Created: c.CreatedAt,
			Values: map[string]string{
				"name": c.Name, "domain": c.Domain, "industry": c.Industry, "size": c.Size,
				"owner_id": c.OwnerName, "address": strings.Join(c.Address.Lines(), ", "),
			},
			Lists: map[string][]string{"Tags": c.Tags, "Contacts": {count(c.Contacts, "contact", "contacts")}}}
		customMergeValues(col.Values, defs, c.Custom)
		v.Columns = append(v.Columns, col)
	}
	var fields []mergeField
	for _, f := range company.MergeFields {
		fields = append(fields, mergeField{f.Key, f.Label})
	}
	buildMerge(&v, append(fields, customMergeFields(defs)...), companyLists, survivor, choices)
	s.render(w, r, status, "merge", v)
}
