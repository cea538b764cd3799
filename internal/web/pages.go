package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/user"
)

// page is what the layout needs; every view struct embeds it.
type page struct {
	Title     string
	User      *user.User
	Nav       []navItem
	Flash     string
	RequestID string
}

// navItem is one entry of the main navigation. Ready is false for sections
// that are not built yet: they are shown, marked "soon".
type navItem struct {
	Label       string
	Path        string
	Ready       bool
	Active      bool
	Description string
}

var navItems = []navItem{
	{Label: "Contacts", Path: "/contacts", Ready: true, Description: "People and their timeline: notes, calls, meetings, emails and everything else that happened with them."},
	{Label: "Companies", Path: "/companies", Ready: true, Description: "Organisations, their people and the combined timeline of everyone who works there."},
	{Label: "Deals", Path: "/deals", Ready: true, Description: "Deals in several pipelines on a kanban board, with forecasts."},
	{Label: "Tasks", Path: "/tasks", Ready: true, Description: "Tasks and reminders, synced to phones over CalDAV."},
	{Label: "Marketing", Path: "/marketing", Description: "Segments, consent, web forms, email campaigns and drip sequences."},
	{Label: "Service", Path: "/service", Description: "Tickets with SLAs, a public knowledge base and live chat."},
	{Label: "Reports", Path: "/reports", Description: "Dashboards, lifetime value, churn risk and lead scores."},
	{Label: "Settings", Path: "/settings", Ready: true, Description: "Users, teams, roles, custom fields and integrations."},
}

// navAlso names the pages outside an item's path that belong to its
// section: orders are part of Sales, under Deals.
var navAlso = map[string][]string{"/deals": {"/orders"}}

// page fills the layout's fields for r.
func (s *Server) page(r *http.Request, title string) page {
	p := page{Title: title, RequestID: info(r).id}
	if u, ok := currentUser(r); ok {
		p.User = &u
		for _, n := range navItems {
			n.Active = r.URL.Path == n.Path || strings.HasPrefix(r.URL.Path, n.Path+"/")
			for _, also := range navAlso[n.Path] {
				n.Active = n.Active || r.URL.Path == also || strings.HasPrefix(r.URL.Path, also+"/")
			}
			p.Nav = append(p.Nav, n)
		}
	}
	p.Flash = s.sessions.PopString(r.Context(), "flash")
	return p
}

type homeView struct {
	page
	// CanInvite is whether the user may invite people (Settings → Users).
	CanInvite bool
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	if _, ok := currentUser(r); !ok {
		if !s.sentToSetup(w, r) {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
		}
		return
	}
	s.render(w, r, http.StatusOK, "home", homeView{s.page(r, "Home"), allowed(r, access.Users, access.Create)})
}

type soonView struct {
	page
	Section     string
	Description string
}

// soon renders the placeholder of a section that is not built yet.
func (s *Server) soon(n navItem) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusOK, "soon", soonView{s.page(r, n.Label), n.Label, n.Description})
	}
}

type errorView struct {
	page
	Status  int
	Heading string
	Message string
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	p := page{Title: heading, RequestID: info(r).id}
	if u, ok := currentUser(r); ok {
		p.User = &u
		p.Nav = navItems
	}
	s.render(w, r, status, "error", errorView{page: p, Status: status, Heading: heading, Message: message})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusNotFound, "Page not found", "There is nothing at this address. It may have moved, or the link may be mistyped.")
}

func (s *Server) forbidden(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusForbidden, "Not allowed", "Your role does not allow this. Ask an admin if you need it.")
}

func (s *Server) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	s.log(r).Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
	s.errorPage(w, r, http.StatusForbidden, "Request refused", "This request came from another site, so it was refused to protect your account. Go back to Rapport and try again from there.")
}

// serverError logs err and shows the 500 page with the request's reference.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, http.ErrAbortHandler) {
		panic(err)
	}
	if r.Context().Err() != nil {
		// The client went away; nobody will read an error page.
		return
	}
	s.log(r).Error("server error", "method", r.Method, "path", r.URL.Path, "err", err)
	s.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The error has been logged. Please try again in a moment.")
}
