package web

import (
	"errors"
	"net/http"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
)

// fail answers a page request whose service call failed with anything but
// a validation error (forms handle those themselves): a record the user may
// not see is a 404, like one that does not exist.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if _, aerr := audit.Refused(r.Context(), s.db.W, err, r.Method, r.URL.Path); aerr != nil {
		s.log(r).Error("audit: record refusal", "err", aerr)
	}
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		s.notFound(w, r)
	case errors.Is(err, apperr.ErrForbidden):
		s.forbidden(w, r)
	case errors.Is(err, apperr.ErrConflict):
		s.errorPage(w, r, http.StatusConflict, "Conflict", "Someone else changed this at the same time. Reload the page and try again.")
	default:
		if v := apperr.AsValidation(err); v != nil {
			msg := "Please check the input."
			if len(v.Fields) > 0 {
				msg = v.Fields[0].Message
			}
			s.errorPage(w, r, http.StatusUnprocessableEntity, "That did not work", msg)
			return
		}
		s.serverError(w, r, err)
	}
}
