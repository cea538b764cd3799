package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/record"
)

// Parts of record forms that contacts and companies share.

// valueRow is one row of a repeated input (an email or a phone) with its
// label; Hint shows the phone as stored.
type valueRow struct {
	Value, Label, Hint string
}

// companyRow is one company of a contact form: the id posted and the name
// shown (typed, when no suggestion was picked).
type companyRow struct {
	ID, Name string
}

// postedRows reads parallel repeated fields (email + email_label) and keeps
// the rows whose value is filled in, in order. Field errors from the
// services count the rows the same way.
func postedRows(r *http.Request, name string) []valueRow {
	vals, labels := r.PostForm[name], r.PostForm[name+"_label"]
	var out []valueRow
	for i, v := range vals {
		if strings.TrimSpace(v) == "" {
			continue
		}
		row := valueRow{Value: v}
		if i < len(labels) {
			row.Label = labels[i]
		}
		out = append(out, row)
	}
	return out
}

// postedCompanies reads the company rows of a contact form.
func postedCompanies(r *http.Request) []companyRow {
	ids, names := r.PostForm["company_id"], r.PostForm["company_name"]
	var out []companyRow
	for i := 0; i < max(len(ids), len(names)); i++ {
		var row companyRow
		if i < len(ids) {
			row.ID = strings.TrimSpace(ids[i])
		}
		if i < len(names) {
			row.Name = strings.TrimSpace(names[i])
		}
		if row.ID != "" || row.Name != "" {
			out = append(out, row)
		}
	}
	return out
}

// unresolved marks a company typed by name that matched no company; the
// service rejects it as not an id, and the form says why in words.
const unresolved = "?"

// resolveCompanies returns the company ids to save: a row without an id
// (typed without picking a suggestion, or without JavaScript) is looked
// up by its exact name. Names that match no company or several come back
// in typos, by row index, with the message to show.
func (s *Server) resolveCompanies(r *http.Request, rows []companyRow) ([]string, map[int]string, error) {
	ids := make([]string, len(rows))
	typos := map[int]string{}
	for i, row := range rows {
		if row.ID != "" {
			ids[i] = row.ID
			continue
		}
		page, err := s.companies.List(r.Context(), query.Request{Limit: 2,
			Filter: query.Group{Conditions: []query.Condition{{Field: "name", Op: query.Is, Value: row.Name}}}})
		if err != nil {
			return nil, nil, err
		}
		switch len(page.Rows) {
		case 1:
			ids[i] = page.Rows[0].ID
		case 0:
			ids[i] = unresolved
			typos[i] = fmt.Sprintf("There is no company called %q; pick one from the suggestions or create it first.", row.Name)
		default:
			ids[i] = unresolved
			typos[i] = fmt.Sprintf("Several companies are called %q; pick one from the suggestions.", row.Name)
		}
	}
	return ids, typos, nil
}

// explainTypos puts the messages of resolveCompanies in place of the
// service's terse ones.
func explainTypos(v *apperr.Validation, typos map[int]string) {
	for i, msg := range typos {
		field := fmt.Sprintf("company_ids[%d]", i)
		found := false
		for j := range v.Fields {
			if v.Fields[j].Field == field {
				v.Fields[j].Message, found = msg, true
			}
		}
		if !found {
			v.Add(field, msg)
		}
	}
}

// postedAddress reads the address inputs.
func postedAddress(r *http.Request) record.Address {
	return record.Address{
		Street:     r.PostFormValue("address.street"),
		City:       r.PostFormValue("address.city"),
		Region:     r.PostFormValue("address.region"),
		PostalCode: r.PostFormValue("address.postal_code"),
		Country:    r.PostFormValue("address.country"),
	}
}

// splitTags reads a comma-separated tag input.
func splitTags(s string) []string {
	out := []string{}
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// refsOf turns a contact's companies into form rows.
func refsOf(refs []company.Ref) []companyRow {
	out := make([]companyRow, len(refs))
	for i, r := range refs {
		out[i] = companyRow{ID: r.ID, Name: r.Name}
	}
	return out
}

// parseForm reads the posted form; a body that cannot be read is a 400.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<20)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "That did not work", "The form could not be read. Please try again.")
		return false
	}
	return true
}
