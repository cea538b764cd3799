package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/user"
)

// recordRoutes registers the pages of: Contact and company pages, their forms, timelines and activities, and Settings → Custom fields.
func (s *Server) recordRoutes(page func(pattern string, h http.HandlerFunc)) {
	p := func(pattern string, h http.HandlerFunc) { page(pattern, s.requireUser(h)) }

	p("GET /contacts/new", s.contactNew)
	p("POST /contacts", s.contactCreate)
	p("GET /contacts/{id}", s.contactShow)
	p("GET /contacts/{id}/edit", s.contactEdit)
	p("POST /contacts/{id}", s.contactUpdate)
	p("POST /contacts/{id}/delete", s.contactDelete)
	p("GET /contacts/{id}/timeline", s.contactTimeline)
	p("POST /contacts/{id}/activities", s.contactActivity)
	s.photoRoutes(p)

	p("GET /companies/new", s.companyNew)
	p("POST /companies", s.companyCreate)
	p("GET /companies/{id}", s.companyShow)
	p("GET /companies/{id}/edit", s.companyEdit)
	p("POST /companies/{id}", s.companyUpdate)
	p("POST /companies/{id}/delete", s.companyDelete)
	p("GET /companies/{id}/timeline", s.companyTimeline)
	p("POST /companies/{id}/activities", s.companyActivity)

	p("GET /activities/{id}/edit", s.activityEdit)
	p("POST /activities/{id}", s.activityUpdate)
	p("POST /activities/{id}/delete", s.activityDelete)
	p("POST /activities/{id}/pin", s.activityPin)

	p("GET /suggest/companies", s.suggestCompanies)
	p("GET /suggest/tags", s.suggestTags)

	p("GET /settings", s.settings)
	p("GET /settings/general", s.settingsGeneral)
	p("POST /settings/general", s.settingsGeneralSave)
	p("GET /settings/fields", s.fieldList)
	p("GET /settings/fields/new", s.fieldNew)
	p("POST /settings/fields", s.fieldCreate)
	p("GET /settings/fields/{id}", s.fieldEdit)
	p("POST /settings/fields/{id}", s.fieldUpdate)
	p("GET /settings/fields/{id}/delete", s.fieldDeleteConfirm)
	p("POST /settings/fields/{id}/delete", s.fieldDelete)
}

// fragmentPage is the page whose template set renders shared fragments:
// every page holds all partials, so any one of this section's will do.
const fragmentPage = "contact"

// fragment writes the named partial template alone, for htmx swaps.
func (s *Server) fragment(w http.ResponseWriter, r *http.Request, status int, name string, view any) {
	var buf bytes.Buffer
	if err := s.r.pages[fragmentPage].ExecuteTemplate(&buf, name, view); err != nil {
		s.log(r).Error("render fragment", slog.String("fragment", name), slog.Any("err", err))
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// htmx reports whether r came from htmx (and wants a fragment).
func htmx(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Boosted") != "true"
}

// flash stores a message the next page shows once.
func (s *Server) flash(r *http.Request, msg string) {
	s.sessions.Put(r.Context(), "flash", msg)
}

// redirect answers a successful form post: 303 to the page that shows the
// result, with a message.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to, msg string) {
	if msg != "" {
		s.flash(r, msg)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// invalidStatus is the status of a form re-rendered with messages: 409
// when the input clashes with another record, otherwise 422.
func invalidStatus(v *apperr.Validation) int {
	if v.Conflict {
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

// formError splits a service error into field messages for the form (the
// Validation) or anything else, which the caller passes to s.fail.
func formError(err error) (*apperr.Validation, error) {
	if v := apperr.AsValidation(err); v != nil {
		return v, nil
	}
	return nil, err
}

// localReturn accepts a "return to" path only when it points at a record
// page of this site, so a form cannot be used to redirect elsewhere.
func localReturn(to, fallback string) string {
	if (strings.HasPrefix(to, "/contacts/") || strings.HasPrefix(to, "/companies/")) &&
		!strings.ContainsAny(to, "\\\r\n") && !strings.HasPrefix(to, "//") {
		return to
	}
	return fallback
}

// ownerOption is one choice of an owner select.
type ownerOption struct {
	ID, Name string
}

// owners lists the active users who may own a record, plus the current
// owner even when deactivated, so the select never loses the value.
func (s *Server) owners(r *http.Request, current string) ([]ownerOption, error) {
	users, err := s.users.List(r.Context())
	if err != nil {
		return nil, err
	}
	var out []ownerOption
	for _, u := range users {
		if u.DisabledAt.IsZero() || u.ID == current {
			out = append(out, ownerOption{ID: u.ID, Name: u.Name})
		}
	}
	return out, nil
}

// allowed reports whether the signed-in user's role may do action to
// object; pages use it to leave out buttons the services would refuse.
func allowed(r *http.Request, object string, action access.Action) bool {
	actor, _ := access.ActorFrom(r.Context())
	return access.Allowed(actor, object, action)
}

// me is the signed-in user; requireUser guarantees there is one.
func me(r *http.Request) user.User {
	u, _ := currentUser(r)
	return u
}
