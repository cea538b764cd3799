package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/user"
)

// auditRoutes registers the pages of: Settings → Audit log.
func (s *Server) auditRoutes(page func(pattern string, h http.HandlerFunc)) {
	p := func(pattern string, h http.HandlerFunc) { page(pattern, s.requireUser(h)) }
	p("GET /settings/audit", s.auditLog)
	p("GET /settings/audit.csv", s.auditExport)
	// The log is append-only: no route changes it, and an attempt to is
	// refused and recorded, whatever the method or path under it.
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		p(m+" /settings/audit", s.auditChangeRefused)
		p(m+" /settings/audit/{rest...}", s.auditChangeRefused)
		page(m+" /api/v1/audit", s.auditChangeRefused)
		page(m+" /api/v1/audit/{rest...}", s.auditChangeRefused)
	}
}

type auditView struct {
	page
	Filter   audit.Filter
	Query    url.Values
	From, To string
	Entries  []auditRow
	Next     string
	Users    []user.User
	Outcomes []string
	Errors   *apperr.Validation
	CanCSV   bool
}

// auditRow is an entry as the page shows it.
type auditRow struct {
	audit.Entry
	Details string
	Link    string
}

// auditFilter reads the filter from the query string; dates are days in
// the server's time zone, "to" inclusive.
func auditFilter(q url.Values) (audit.Filter, *apperr.Validation) {
	f := audit.Filter{ActorID: q.Get("actor"), Action: q.Get("action"), ObjectType: q.Get("object_type"),
		ObjectID: q.Get("object_id"), Outcome: q.Get("outcome")}
	var v apperr.Validation
	if d := q.Get("from"); d != "" {
		t, err := time.ParseInLocation(time.DateOnly, d, time.Local)
		if err != nil {
			v.Add("from", "Enter a date like 2026-11-23.")
		}
		f.From = t
	}
	if d := q.Get("to"); d != "" {
		t, err := time.ParseInLocation(time.DateOnly, d, time.Local)
		if err != nil {
			v.Add("to", "Enter a date like 2026-11-23.")
		}
		f.To = t.AddDate(0, 0, 1)
	}
	if v.Err() != nil {
		return f, &v
	}
	return f, nil
}

func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	view := auditView{page: s.page(r, "Audit log"), Query: q, From: q.Get("from"), To: q.Get("to"),
		Outcomes: []string{audit.OK, audit.Denied, audit.Failed}, CanCSV: allowed(r, access.Audit, access.Export)}
	f, verr := auditFilter(q)
	view.Filter = f
	var p audit.Page
	var err error
	if verr == nil {
		p, err = s.audit.List(r.Context(), f, q.Get("after"), 50)
	}
	if v := apperr.AsValidation(err); v != nil {
		verr, err = v, nil
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if view.Users, err = s.users.List(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	view.Errors = verr
	for _, e := range p.Entries {
		view.Entries = append(view.Entries, auditRow{Entry: e, Details: auditDetails(e), Link: auditLink(e)})
	}
	if p.Next != "" {
		next := url.Values{}
		for k, vs := range q {
			next[k] = vs
		}
		next.Set("after", p.Next)
		view.Next = "/settings/audit?" + next.Encode()
	}
	status := http.StatusOK
	if verr != nil {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, status, "audit", view)
}

// auditDetails is an entry's details as compact JSON, for the page.
func auditDetails(e audit.Entry) string {
	if e.Erased {
		return "(the person this was about has been erased)"
	}
	if e.Details == nil {
		return ""
	}
	b, err := json.Marshal(e.Details)
	if err != nil || string(b) == "{}" || string(b) == "null" {
		return ""
	}
	return string(b)
}

// auditLink points at the record an entry is about, when it has a page.
func auditLink(e audit.Entry) string {
	switch e.ObjectType {
	case "contact":
		return "/contacts/" + e.ObjectID
	case "company":
		return "/companies/" + e.ObjectID
	}
	return ""
}

func (s *Server) auditExport(w http.ResponseWriter, r *http.Request) {
	f, verr := auditFilter(r.URL.Query())
	if verr != nil {
		s.fail(w, r, verr)
		return
	}
	if _, err := access.Check(r.Context(), access.Audit, access.Export); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="rapport-audit-%s.csv"`, time.Now().Format("20060102-150405")))
	if _, err := s.audit.Export(r.Context(), f, w); err != nil {
		// Headers are gone; the log line is what is left to do.
		s.log(r).Error("audit export", "err", err)
	}
}

// auditChangeRefused answers any attempt to change the audit log.
func (s *Server) auditChangeRefused(w http.ResponseWriter, r *http.Request) {
	if err := audit.Record(r.Context(), s.db.W, audit.Entry{Action: "audit.change_refused", Outcome: audit.Denied,
		ObjectType: "route", ObjectID: r.Method + " " + r.URL.Path}); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Allow", "GET, HEAD")
	if len(r.URL.Path) > 4 && r.URL.Path[:5] == "/api/" {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusMethodNotAllowed)
		fmt.Fprint(w, `{"title":"Method Not Allowed","status":405,"detail":"The audit log is append-only: nothing changes or removes an entry."}`)
		return
	}
	s.errorPage(w, r, http.StatusMethodNotAllowed, "Not allowed", "The audit log is append-only: nothing changes or removes an entry. This attempt has been recorded.")
}
