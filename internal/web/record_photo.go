package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
)

// A contact's picture: shown in the record's header, uploaded or removed
// from the contact's page.

func (s *Server) photoRoutes(p func(pattern string, h http.HandlerFunc)) {
	p("GET /contacts/{id}/photo", s.contactPhoto)
	p("POST /contacts/{id}/photo", s.contactPhotoUpload)
	p("POST /contacts/{id}/photo/delete", s.contactPhotoRemove)
}

func (s *Server) contactPhoto(w http.ResponseWriter, r *http.Request) {
	ph, err := s.contacts.Photo(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ph.MediaType)
	h.Set("Content-Length", strconv.Itoa(len(ph.Data)))
	// The page asks for it with ?v=<time of the last change>: a new
	// picture gets a new address, so this one can be kept a while.
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write(ph.Data)
}

func (s *Server) contactPhotoUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, contact.MaxPhotoBytes+64<<10)
	data, err := readPhoto(r)
	if err == nil {
		err = s.contacts.SetPhoto(r.Context(), id, contact.Photo{Data: data})
	}
	if v := apperr.AsValidation(err); v != nil {
		s.photoError(w, r, id, v.For("photo"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/contacts/"+id, "The picture was saved.")
}

// readPhoto reads the uploaded file, saying in a validation error what
// is wrong with the upload itself.
func readPhoto(r *http.Request) ([]byte, error) {
	var v apperr.Validation
	f, _, err := r.FormFile("photo")
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		v.Add("photo", "The picture is larger than 2 MB; use a smaller one.")
		return nil, v.Err()
	case err != nil:
		v.Add("photo", "Choose a picture to upload.")
		return nil, v.Err()
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, contact.MaxPhotoBytes+1))
	if err != nil {
		return nil, err
	}
	return data, nil
}

func (s *Server) contactPhotoRemove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.contacts.RemovePhoto(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/contacts/"+id, "The picture was removed.")
}

// photoError shows the contact's page again with the message beside the
// picture field.
func (s *Server) photoError(w http.ResponseWriter, r *http.Request, id, msg string) {
	v, err := s.recordView(r, recordRef{kind: "contact", id: id})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Log = newPanel(v.Base, "")
	v.PhotoError = msg
	s.render(w, r, http.StatusUnprocessableEntity, "contact", v)
}

func init() {
	registerSentence("contact.photo_changed", func(t eventText) string { return t.Actor + " changed the picture of " + t.This })
	registerSentence("contact.photo_removed", func(t eventText) string { return t.Actor + " removed the picture of " + t.This })
}
