package web

import (
	"net/http"
	"strings"

	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/tag"
)

// suggestLimit is how many suggestions a typed prefix gets.
const suggestLimit = 8

type companySuggestions struct {
	Query string
	Rows  []company.Row
}

// suggestCompanies lists the companies whose name starts with what was
// typed into a contact form's company input.
func (s *Server) suggestCompanies(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("company_name"))
	v := companySuggestions{Query: q}
	if q != "" {
		page, err := s.companies.List(r.Context(), query.Request{Limit: suggestLimit, Sort: query.Sort{Field: "name"},
			Filter: query.Group{Conditions: []query.Condition{{Field: "name", Op: query.StartsWith, Value: q}}}})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Rows = page.Rows
	}
	s.fragment(w, r, http.StatusOK, "record-company-suggestions", v)
}

type tagSuggestions struct {
	Names []string
}

// suggestTags lists tags starting with the last, unfinished tag of a
// comma-separated tag input, leaving out those already in it.
func (s *Server) suggestTags(w http.ResponseWriter, r *http.Request) {
	typed := strings.Split(r.URL.Query().Get("tags"), ",")
	prefix := strings.TrimSpace(typed[len(typed)-1])
	var v tagSuggestions
	if prefix != "" {
		names, err := tag.Names(r.Context(), s.db.R, prefix, suggestLimit+len(typed))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		have := map[string]bool{}
		for _, t := range typed[:len(typed)-1] {
			have[strings.ToLower(strings.TrimSpace(t))] = true
		}
		for _, n := range names {
			if !have[strings.ToLower(n)] && len(v.Names) < suggestLimit {
				v.Names = append(v.Names, n)
			}
		}
	}
	s.fragment(w, r, http.StatusOK, "record-tag-suggestions", v)
}
