package web

import (
	"errors"
	"net/http"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
)

type settingsSecurityView struct {
	page
	Required bool
	// MyMFA is whether the admin looking has two-factor sign-in on.
	MyMFA bool
	// On and Total count active users with two-factor sign-in, and all;
	// Total is 0 for those who may not list users.
	On, Total int
	CanEdit   bool
	Errors    *apperr.Validation
}

func (s *Server) settingsSecurityView(r *http.Request) (settingsSecurityView, error) {
	in, _ := currentSession(r)
	v := settingsSecurityView{page: s.page(r, "Security settings"), Required: in.RequireMFA, MyMFA: in.MFA,
		CanEdit: allowed(r, access.Settings, access.Update)}
	var err error
	v.On, v.Total, err = s.users.MFAAdoption(r.Context())
	if errors.Is(err, apperr.ErrForbidden) {
		err = nil
	}
	return v, err
}

func (s *Server) settingsSecurity(w http.ResponseWriter, r *http.Request) {
	v, err := s.settingsSecurityView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings_security", v)
}

func (s *Server) settingsSecuritySave(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	on := r.PostFormValue("require_mfa") == "on"
	err := s.users.SetMFARequired(r.Context(), on)
	if v := apperr.AsValidation(err); v != nil {
		view, verr := s.settingsSecurityView(r)
		if verr != nil {
			s.fail(w, r, verr)
			return
		}
		view.Required, view.Errors = on, v
		s.render(w, r, http.StatusUnprocessableEntity, "settings_security", view)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "Two-factor sign-in is now optional."
	if on {
		msg = "Two-factor sign-in is now required: everyone without it is asked to set it up at their next page."
	}
	s.redirect(w, r, "/settings/security", msg)
}
