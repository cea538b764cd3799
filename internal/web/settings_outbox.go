package web

import (
	"net/http"

	"github.com/rapportcrm/rapport/internal/mail"
)

// Settings → Outbox: every email Rapport sent or keeps, newest first. The
// outbox only reads here, so it needs no more than the database; the mail
// service checks that the reader is an owner or admin.

type outboxView struct {
	page
	Messages []mail.Stored
	// Older is the link to the next, older page; "" on the last one.
	Older string
	// First is false on every page but the newest.
	First      bool
	Delivering bool
}

func (s *Server) outboxList(w http.ResponseWriter, r *http.Request) {
	before := r.URL.Query().Get("before")
	p, err := mail.New(s.db).List(r.Context(), before)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := outboxView{page: s.page(r, "Outbox"), Messages: p.Messages, First: before == "", Delivering: s.cfg.SMTP != ""}
	if p.Older != "" {
		v.Older = "/settings/outbox?before=" + p.Older
	}
	s.render(w, r, http.StatusOK, "settings_outbox", v)
}

type outboxMessageView struct {
	page
	Message mail.Stored
}

func (s *Server) outboxShow(w http.ResponseWriter, r *http.Request) {
	m, err := mail.New(s.db).ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings_outbox_message", outboxMessageView{page: s.page(r, m.Subject), Message: m})
}
