package web

import (
	"net/http"
	"time"

	"github.com/rapportcrm/rapport/internal/notify"
)

// The bell in the header and the notifications page.

// DefaultBellEvery is how often an open page asks for the unread count.
const DefaultBellEvery = 30 * time.Second

func (s *Server) notificationRoutes(p func(pattern string, h http.HandlerFunc)) {
	p("GET /notifications", s.notificationsPage)
	p("GET /notifications/bell", s.bell)
	p("POST /notifications/read-all", s.notificationsReadAll)
	p("POST /notifications/{id}/read", s.notificationRead)
}

type bellView struct {
	Unread int
	// Every is the polling interval in seconds.
	Every int
}

// bell answers the header's bell with the unread count; the fragment asks
// again after the polling interval, so the count follows without reload.
func (s *Server) bell(w http.ResponseWriter, r *http.Request) {
	n, err := s.notify.Unread(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	every := int(s.bellEvery / time.Second)
	if every < 1 {
		every = 1
	}
	s.taskFragment(w, r, http.StatusOK, "bell-live", bellView{Unread: n, Every: every})
}

type notificationsView struct {
	page
	Page notify.Page
}

func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request) {
	p, err := s.notify.List(r.Context(), r.URL.Query().Get("before"), 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "notifications", notificationsView{page: s.page(r, "Notifications"), Page: p})
}

func (s *Server) notificationRead(w http.ResponseWriter, r *http.Request) {
	n, err := s.notify.MarkRead(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if r.PostFormValue("open") == "1" && n.Link != "" {
		http.Redirect(w, r, safeNext(n.Link), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
}

func (s *Server) notificationsReadAll(w http.ResponseWriter, r *http.Request) {
	if _, err := s.notify.MarkAllRead(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.sessions.Put(r.Context(), "flash", "All notifications are marked read.")
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
}
