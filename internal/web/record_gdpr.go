package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/consent"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/gdpr"
)

// gdprRoutes registers the pages of: a contact's consent, data export and erasure.
func (s *Server) gdprRoutes(page func(pattern string, h http.HandlerFunc)) {
	p := func(pattern string, h http.HandlerFunc) { page(pattern, s.requireUser(h)) }
	p("GET /contacts/{id}/privacy", s.privacyShow)
	p("POST /contacts/{id}/consent", s.consentRecord)
	p("GET /contacts/{id}/export.json", s.exportJSON)
	p("GET /contacts/{id}/export.html", s.exportHTML)
	p("GET /contacts/{id}/erase", s.eraseConfirm)
	p("POST /contacts/{id}/erase", s.erase)
}

// privacyView is a contact's consent and privacy panel: the consent per
// channel with a form to change it, the history, and the export and
// erasure links the user's role allows.
type privacyView struct {
	page
	Contact  contact.Contact
	Current  []consent.State
	History  []consent.Change
	Channels []struct{ Key, Label string }
	Sources  []struct{ Key, Label string }
	// Form is what was posted, kept when it is shown again with Errors.
	Form   consentForm
	Errors *apperr.Validation
	Saved  string
	// CanChange, CanExport and CanErase follow the role's rights on contacts.
	CanChange, CanExport, CanErase bool
}

// consentForm is the posted consent change.
type consentForm struct {
	Channel, Granted, Source, Detail, OccurredAt string
}

// SourceLabel names a consent source.
func (privacyView) SourceLabel(key string) string { return consent.SourceLabel(key) }

// ChannelLabel names a consent channel.
func (privacyView) ChannelLabel(key string) string { return consent.ChannelLabel(key) }

func (s *Server) privacyView(r *http.Request, contactID string) (privacyView, error) {
	c, err := s.contacts.ByID(r.Context(), contactID)
	if err != nil {
		return privacyView{}, err
	}
	h, err := s.consent.History(r.Context(), c.ID)
	if err != nil {
		return privacyView{}, err
	}
	return privacyView{page: s.page(r, "Consent and privacy · "+c.DisplayName), Contact: c,
		Current: consent.CurrentOf(h), History: h, Channels: consent.Channels, Sources: consent.Sources,
		Form:      consentForm{Channel: consent.EmailMarketing, Granted: "yes", Source: "manual"},
		CanChange: allowed(r, access.Contacts, access.Update), CanExport: allowed(r, access.Contacts, access.Export),
		CanErase: allowed(r, access.Contacts, access.Delete)}, nil
}

// privacyShow is the privacy page; the contact page loads the same panel
// into its side column with htmx.
func (s *Server) privacyShow(w http.ResponseWriter, r *http.Request) {
	v, err := s.privacyView(r, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showPrivacy(w, r, http.StatusOK, v)
}

func (s *Server) showPrivacy(w http.ResponseWriter, r *http.Request, status int, v privacyView) {
	if htmx(r) {
		s.fragment(w, r, status, "contact-privacy", v)
		return
	}
	s.render(w, r, status, "contact_privacy", v)
}

func (s *Server) consentRecord(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	id := r.PathValue("id")
	f := consentForm{Channel: r.PostFormValue("channel"), Granted: r.PostFormValue("granted"),
		Source: r.PostFormValue("source"), Detail: r.PostFormValue("detail"), OccurredAt: r.PostFormValue("occurred_at")}
	in := consent.Input{Channel: f.Channel, Source: f.Source, Detail: f.Detail}
	switch f.Granted {
	case "yes":
		in.Granted = new(bool)
		*in.Granted = true
	case "no":
		in.Granted = new(bool)
	}
	var bad apperr.Validation
	if f.OccurredAt != "" {
		at, err := time.ParseInLocation("2006-01-02T15:04", f.OccurredAt, time.Local)
		if err != nil {
			bad.Add("occurred_at", "Enter the date and time consent was given, or leave it empty for now.")
		} else {
			in.OccurredAt = &at
		}
	}
	var err error = bad.Err()
	if err == nil {
		_, err = s.consent.Record(r.Context(), id, in)
	}
	verr, err := formError(err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if verr == nil && !htmx(r) {
		s.redirect(w, r, localReturn(r.PostFormValue("return"), "/contacts/"+id+"/privacy"), "Consent recorded.")
		return
	}
	v, err := s.privacyView(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if verr != nil {
		v.Form, v.Errors, status = f, verr, invalidStatus(verr)
	} else {
		v.Saved = "Consent recorded."
	}
	s.showPrivacy(w, r, status, v)
}

func (s *Server) exportJSON(w http.ResponseWriter, r *http.Request) {
	x, err := s.gdpr.Export(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := x.JSON()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+exportName(x)+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// exportHTML shows the export as a page, or downloads it with ?download=1.
func (s *Server) exportHTML(w http.ResponseWriter, r *http.Request) {
	x, err := s.gdpr.Export(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := x.HTML()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", gdpr.HTMLPolicy)
	h.Set("Cache-Control", "no-store")
	if r.URL.Query().Get("download") != "" {
		h.Set("Content-Disposition", `attachment; filename="`+exportName(x)+`.html"`)
	}
	w.Write(b)
}

// exportName is the file name of an export: no personal data in it, as
// downloads folders and browser histories keep file names.
func exportName(x gdpr.Export) string {
	return "personal-data-" + x.Person.ID + "-" + x.GeneratedAt.UTC().Format("20060102")
}

// eraseView is the page that confirms an erasure.
type eraseView struct {
	page
	Contact contact.Contact
	Reasons []struct{ Key, Label string }
	Reason  string
	Typed   string
	Errors  *apperr.Validation
}

func (s *Server) eraseConfirm(w http.ResponseWriter, r *http.Request) {
	if !allowed(r, access.Contacts, access.Delete) {
		s.forbidden(w, r)
		return
	}
	c, err := s.contacts.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "contact_erase", eraseView{page: s.page(r, "Erase "+c.DisplayName),
		Contact: c, Reasons: gdpr.Reasons, Reason: "request"})
}

// erase erases the person once the user has typed their name.
func (s *Server) erase(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	if !allowed(r, access.Contacts, access.Delete) {
		// The service records the refusal.
		_, err := s.gdpr.Erase(ctx, r.PathValue("id"), r.PostFormValue("reason"))
		s.fail(w, r, err)
		return
	}
	c, err := s.contacts.ByID(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := eraseView{page: s.page(r, "Erase "+c.DisplayName), Contact: c, Reasons: gdpr.Reasons,
		Reason: r.PostFormValue("reason"), Typed: r.PostFormValue("confirm_name")}
	if !strings.EqualFold(strings.Join(strings.Fields(v.Typed), " "), strings.Join(strings.Fields(c.DisplayName), " ")) {
		v.Errors = &apperr.Validation{}
		v.Errors.Add("confirm_name", "Type the person's name exactly as shown to confirm.")
		s.render(w, r, http.StatusUnprocessableEntity, "contact_erase", v)
		return
	}
	_, err = s.gdpr.Erase(ctx, c.ID, v.Reason)
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		v.Errors = verr
		s.render(w, r, invalidStatus(verr), "contact_erase", v)
		return
	}
	// The message names nobody: it is kept in the session until shown.
	s.redirect(w, r, "/contacts", "The person was erased. Their personal data is gone; the audit log records the erasure.")
}
