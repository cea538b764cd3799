package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/phone"
)

// duplicateGroups is how many groups a duplicates page shows.
const duplicateGroups = 50

// contactLists are the contact lists a merge combines.
var contactLists = []string{"Emails", "Phones", "Companies", "Tags"}

func (s *Server) contactDuplicates(w http.ResponseWriter, r *http.Request) {
	groups, err := s.contacts.Duplicates(r.Context(), duplicateGroups)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := dupView{page: s.page(r, "Duplicate contacts"), Kind: contactMergeKind}
	for _, g := range groups {
		dg := dupGroup{Reasons: g.Reasons}
		var ids []string
		for _, c := range g.Contacts {
			ids = append(ids, c.ID)
			lists := contactListValues(c)
			dg.Records = append(dg.Records, dupRecord{ID: c.ID, Name: c.DisplayName, URL: "/contacts/" + c.ID,
				Facts: []dupFact{
					{"Emails", strings.Join(lists["Emails"], ", ")},
					{"Phones", strings.Join(lists["Phones"], ", ")},
					{"Company", c.PrimaryCompany().Name},
					{"Job title", c.JobTitle},
					{"Owner", c.OwnerName},
					{"Created", c.CreatedAt.Local().Format("2 Jan 2006")},
				}})
		}
		dg.MergeURL = contactMergeKind.mergeURL(ids)
		v.Groups = append(v.Groups, dg)
	}
	s.render(w, r, http.StatusOK, "duplicates", v)
}

func (s *Server) contactMergeForm(w http.ResponseWriter, r *http.Request) {
	ids := mergeIDs(r.URL.Query())
	if !s.checkMergeRequest(w, r, contactMergeKind, ids, nil) {
		return
	}
	s.renderContactMerge(w, r, http.StatusOK, ids, "", nil, nil)
}

func (s *Server) contactMerge(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	p := readMergePost(r)
	if !s.checkMergeRequest(w, r, contactMergeKind, p.IDs, &p.Survivor) {
		return
	}
	c, err := s.contacts.Merge(r.Context(), contact.MergeInput{SurvivorID: p.Survivor, MergedIDs: p.Merged, Choices: p.Choices})
	if v := apperr.AsValidation(err); v != nil && !v.Conflict {
		s.renderContactMerge(w, r, http.StatusUnprocessableEntity, p.IDs, p.Survivor, p.Choices, v)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sessions.Put(r.Context(), "flash", fmt.Sprintf("Merged %d contacts into %s.", len(p.IDs), c.DisplayName))
	http.Redirect(w, r, "/contacts/"+c.ID, http.StatusSeeOther)
}

// renderContactMerge shows the comparison of ids, with the posted choices
// and errors when a merge was refused.
func (s *Server) renderContactMerge(w http.ResponseWriter, r *http.Request, status int, ids []string,
	survivor string, choices map[string]string, errs *apperr.Validation) {
	defs, err := s.fields.List(r.Context(), customfield.ObjectContact)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := mergeView{page: s.page(r, "Merge contacts"), Kind: contactMergeKind, Errors: errs}
	for _, cid := range ids {
		c, err := s.contacts.ByID(r.Context(), cid)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Columns = append(v.Columns, contactMergeColumn(c, defs))
	}
	var fields []mergeField
	for _, f := range contact.MergeFields {
		fields = append(fields, mergeField{f.Key, f.Label})
	}
	buildMerge(&v, append(fields, customMergeFields(defs)...), contactLists, survivor, choices)
	s.render(w, r, status, "merge", v)
}

func contactMergeColumn(c contact.Contact, defs []customfield.Field) mergeColumn {
	col := mergeColumn{ID: c.ID, Name: c.DisplayName, URL: "/contacts/" + c.ID, Created: c.CreatedAt,
		Values: map[string]string{
			"first_name": c.FirstName, "last_name": c.LastName, "job_title": c.JobTitle,
			"birthday": c.Birthday, "source": c.Source, "lifecycle_stage": contact.StageLabel(c.Stage),
			"owner_id": c.OwnerName, "address": strings.Join(c.Address.Lines(), ", "),
		},
		Lists: contactListValues(c)}
	customMergeValues(col.Values, defs, c.Custom)
	return col
}

func contactListValues(c contact.Contact) map[string][]string {
	m := map[string][]string{"Tags": c.Tags}
	for _, e := range c.Emails {
		m["Emails"] = append(m["Emails"], e.Address)
	}
	for _, p := range c.Phones {
		m["Phones"] = append(m["Phones"], phone.International(p.E164))
	}
	for _, r := range c.Companies {
		m["Companies"] = append(m["Companies"], r.Name)
	}
	return m
}
