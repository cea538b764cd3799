package web

import (
	"context"
	"html/template"
	"net/http"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/bulk"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/revision"
)

// listRoutes registers the pages of: Contact and company lists: filters, sorting, columns, saved views and bulk actions.
func (s *Server) listRoutes(page func(pattern string, h http.HandlerFunc)) {
	o := bulk.Options{DB: s.db, Contacts: s.contacts, Companies: s.companies, Users: s.users}
	if s.jobs != nil {
		o.Queue = s.jobs
	}
	l := &lists{s: s, bulk: bulk.NewService(o)}
	p := func(pattern string, h http.HandlerFunc) { page(pattern, s.requireUser(h)) }
	for _, k := range []*listKind{l.contactKind(), l.companyKind()} {
		p("GET "+k.Path, func(w http.ResponseWriter, r *http.Request) { l.list(w, r, k) })
		p("GET "+k.Path+"/count", func(w http.ResponseWriter, r *http.Request) { l.count(w, r, k) })
		p("POST "+k.Path+"/bulk", func(w http.ResponseWriter, r *http.Request) { l.bulkAction(w, r, k) })
	}
	p("POST /views", l.saveView)
	p("POST /views/{id}/delete", l.deleteView)
	p("GET /bulk/{id}", l.progress)
	l.exportRoutes(p)
}

// lists serves the list pages; it holds the bulk service, which the
// server's options do not carry.
type lists struct {
	s    *Server
	bulk *bulk.Service
	// tagList keeps the tag names the pages offer, drawn as a datalist,
	// while no tag changes.
	tagList revision.Cache[template.HTML]
}

// listKind is what differs between the contact and the company list.
type listKind struct {
	Object   string // "contact", as views, custom fields and bulk name it
	Path     string // "/contacts"
	Title    string // "Contacts"
	One      string // "contact"
	Many     string // "contacts"
	Page     string // the page template
	perm     string
	defaults []string // default columns, in order
	schema   func(ctx context.Context) (*query.Schema, error)
	// fetch reads one page; each row's cells follow cols.
	fetch func(ctx context.Context, req query.Request, cols []listColumn, fx *listCellFormat) (listRows, error)
	count func(ctx context.Context, f query.Group, limit int) (int, bool, error)
	// listOnly lists without bulk actions, export or import (deals);
	// newPath is its new-record page when that is not Path + "/new".
	listOnly bool
	newPath  string
}

// NewPath is the address of the kind's new-record form.
func (k *listKind) NewPath() string {
	if k.newPath != "" {
		return k.newPath
	}
	return k.Path + "/new"
}

// Importable reports whether the import wizard takes this kind.
func (k *listKind) Importable() bool { return !k.listOnly }

// HasDuplicates reports whether the kind has a duplicates page.
func (k *listKind) HasDuplicates() bool { return !k.listOnly }

// listRows is one fetched page.
type listRows struct {
	Rows    []listRow
	Cursors query.Cursors
	Sort    query.Sort
}

// listRowsOf draws a page of records as rows with one cell per column, all
// cells in one allocation.
func listRowsOf[R any](records []R, cols []listColumn, fx *listCellFormat,
	cell func(R, listColumn, *listCellFormat) listCell, head func(R) listRow) []listRow {
	rows := make([]listRow, len(records))
	cells := make([]listCell, len(records)*len(cols))
	for i, x := range records {
		rows[i] = head(x)
		rows[i].Cells = cells[i*len(cols) : (i+1)*len(cols) : (i+1)*len(cols)]
		for j, col := range cols {
			rows[i].Cells[j] = cell(x, col, fx)
		}
	}
	return rows
}

func (l *lists) contactKind() *listKind {
	c := l.s.contacts
	return &listKind{Object: "contact", Path: "/contacts", Title: "Contacts", One: "contact", Many: "contacts",
		Page: "contacts", perm: access.Contacts,
		defaults: []string{"name", "email", "phone", "company", "lifecycle_stage", "owner", "tag", "updated_at"},
		schema:   c.Schema, count: c.Count,
		fetch: func(ctx context.Context, req query.Request, cols []listColumn, fx *listCellFormat) (listRows, error) {
			p, err := c.List(ctx, req)
			if err != nil {
				return listRows{}, err
			}
			rows := listRowsOf(p.Rows, cols, fx, listContactCell, func(x contact.Row) listRow {
				return listRow{ID: x.ID, Name: x.DisplayName, URL: "/contacts/" + x.ID}
			})
			return listRows{Rows: rows, Cursors: p.Cursors, Sort: p.Sort}, nil
		}}
}

func (l *lists) companyKind() *listKind {
	c := l.s.companies
	return &listKind{Object: "company", Path: "/companies", Title: "Companies", One: "company", Many: "companies",
		Page: "companies", perm: access.Companies,
		defaults: []string{"name", "domain", "industry", "size", "city", "owner", "tag"},
		schema:   c.Schema, count: c.Count,
		fetch: func(ctx context.Context, req query.Request, cols []listColumn, fx *listCellFormat) (listRows, error) {
			p, err := c.List(ctx, req)
			if err != nil {
				return listRows{}, err
			}
			rows := listRowsOf(p.Rows, cols, fx, listCompanyCell, func(x company.Row) listRow {
				return listRow{ID: x.ID, Name: x.Name, URL: "/companies/" + x.ID}
			})
			return listRows{Rows: rows, Cursors: p.Cursors, Sort: p.Sort}, nil
		}}
}

// kindOf returns the kind of an object name.
func (l *lists) kindOf(object string) *listKind {
	if object == "company" {
		return l.companyKind()
	}
	if object == "deal" {
		return l.dealKind()
	}
	return l.contactKind()
}

// listOptionLabel is how a select field's option reads in menus and cells.
func listOptionLabel(fieldKey, option string, users map[string]string) string {
	switch fieldKey {
	case "lifecycle_stage":
		return contact.StageLabel(option)
	case "owner":
		if n, ok := users[option]; ok {
			return n
		}
	}
	return option
}
