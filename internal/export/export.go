// Package export moves data out of Rapport, and back in:
//
//   - a list export writes the contacts or companies a list view shows (its
//     filter, sort and columns) as CSV, or contacts as vCards, streamed row
//     by row so a million rows take no more memory than ten;
//   - Dump writes everything (users, teams, roles, custom fields, tags,
//     companies, contacts, activities, timelines, consent, saved views,
//     settings) as JSON lines in a zip, and Load reads such a zip into an
//     empty database, keeping every id.
//
// Every export needs the export right and is recorded in the audit log with
// its filter, columns, format and row count.
package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/query"
)

// Objects a list export reads: the names custom fields and saved views use.
const (
	ObjectContact = customfield.ObjectContact
	ObjectCompany = customfield.ObjectCompany
)

// Formats of a list export.
const (
	CSV   = "csv"
	VCard = "vcard"
)

// VCardVersions are the vCard versions an export writes; the first is the
// default, the one phones and address books (iOS and macOS among them)
// read most widely.
var VCardVersions = []string{"3.0", "4.0"}

// Service exports lists and whole databases.
type Service struct {
	db        *db.DB
	contacts  *contact.Service
	companies *company.Service
}

// NewService returns the export service over the contact and company
// services, whose streams apply the visibility scope.
func NewService(d *db.DB, contacts *contact.Service, companies *company.Service) *Service {
	return &Service{db: d, contacts: contacts, companies: companies}
}

// ListRequest asks for a list export.
type ListRequest struct {
	// Object is ObjectContact or ObjectCompany.
	Object string
	// Query holds the list's filter and sort; its cursor and limit are
	// ignored: an export holds every matching row.
	Query query.Request
	// Columns are field keys in order; none means DefaultColumns. vCards
	// hold every field and ignore them.
	Columns []string
	// Format is CSV (the default) or VCard (contacts only).
	Format string
	// BOM starts a CSV with a UTF-8 byte order mark, which Excel needs to
	// read the file as UTF-8.
	BOM bool
	// VCardVersion is one of VCardVersions; "" means the first.
	VCardVersion string
}

// ListExport is a checked list export, ready to stream: every error a
// person can fix (a bad filter, an unknown column, a missing right) is
// reported by PrepareList, before anything is written.
type ListExport struct {
	s    *Service
	r    ListRequest
	cols []Column
	defs []customfield.Field
}

// PrepareList checks that the actor in ctx may export r.Object and that r
// is valid. A bad filter, sort or column is an *apperr.Validation naming
// "filter...", "sort", "columns", "format" or "version".
func (s *Service) PrepareList(ctx context.Context, r ListRequest) (*ListExport, error) {
	perm := access.Contacts
	switch r.Object {
	case ObjectContact:
	case ObjectCompany:
		perm = access.Companies
	default:
		return nil, fmt.Errorf("export: unknown object %q", r.Object)
	}
	if _, err := access.Check(ctx, perm, access.Read); err != nil {
		return nil, err
	}
	if _, err := access.Check(ctx, perm, access.Export); err != nil {
		return nil, err
	}
	var v apperr.Validation
	switch r.Format {
	case "":
		r.Format = CSV
	case CSV:
	case VCard:
		if r.Object != ObjectContact {
			v.Add("format", "Companies export to CSV only.")
		}
	default:
		v.Add("format", "Choose csv or vcard.")
	}
	switch {
	case r.VCardVersion == "":
		r.VCardVersion = VCardVersions[0]
	case !validVersion(r.VCardVersion):
		v.Add("version", "Choose vCard version "+strings.Join(VCardVersions, ", ")+".")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	schema, err := s.Schema(ctx, r.Object)
	if err != nil {
		return nil, err
	}
	defs, err := customfield.ListFor(ctx, s.db.R, r.Object)
	if err != nil {
		return nil, err
	}
	r.Query.Cursor, r.Query.Limit = "", 0
	if _, err := query.Paginate(query.Options{Engine: s.db.Engine, Schema: schema}, r.Query); err != nil {
		return nil, err
	}
	x := &ListExport{s: s, r: r, defs: defs}
	if r.Format == CSV {
		if x.cols, err = pickColumns(availableColumns(schema, defs), r.Columns, r.Object); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func validVersion(v string) bool {
	for _, x := range VCardVersions {
		if x == v {
			return true
		}
	}
	return false
}

// Schema returns the list fields of object, custom fields included.
func (s *Service) Schema(ctx context.Context, object string) (*query.Schema, error) {
	if object == ObjectCompany {
		return s.companies.Schema(ctx)
	}
	return s.contacts.Schema(ctx)
}

// ContentType is the media type of the file.
func (x *ListExport) ContentType() string {
	if x.r.Format == VCard {
		return "text/vcard; charset=utf-8"
	}
	return "text/csv; charset=utf-8"
}

// Filename is a name for the file, e.g. "contacts-2024-05-31.csv".
func (x *ListExport) Filename(now time.Time) string {
	name := "contacts"
	if x.r.Object == ObjectCompany {
		name = "companies"
	}
	ext := ".csv"
	if x.r.Format == VCard {
		ext = ".vcf"
	}
	return name + "-" + now.UTC().Format("2006-01-02") + ext
}

// Columns are the keys of the columns a CSV export writes, in order.
func (x *ListExport) Columns() []string {
	out := make([]string, len(x.cols))
	for i, c := range x.cols {
		out[i] = c.Key
	}
	return out
}

// Write streams the export to w and records it in the audit log with its
// filter, sort, columns, format and row count; an export cut short by an
// error is recorded as failed with the rows written so far. It returns the
// number of rows (records) written.
func (x *ListExport) Write(ctx context.Context, w io.Writer) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	var n int
	var err error
	if x.r.Format == VCard {
		n, err = x.writeVCards(ctx, bw)
	} else {
		n, err = x.writeCSV(ctx, bw)
	}
	if err == nil {
		err = bw.Flush()
	}
	details := map[string]any{"format": x.r.Format, "rows": n, "sort": x.r.Query.Sort.String()}
	if !x.r.Query.Filter.IsZero() {
		details["filter"] = x.r.Query.Filter
	}
	if x.r.Format == CSV {
		details["columns"] = x.Columns()
	} else {
		details["version"] = x.r.VCardVersion
	}
	e := audit.Entry{Action: x.r.Object + ".exported", ObjectType: auditObject(x.r.Object), Details: details}
	if err != nil {
		e.Outcome = audit.Failed
		details["error"] = err.Error()
	}
	if aerr := audit.Record(ctx, x.s.db.W, e); aerr != nil {
		return n, errors.Join(err, aerr)
	}
	return n, err
}

// auditObject names what a list export is about in the audit log: the
// list, not one record.
func auditObject(object string) string {
	if object == ObjectCompany {
		return access.Companies
	}
	return access.Contacts
}

// writeCSV writes a header row of column labels and one row per record.
func (x *ListExport) writeCSV(ctx context.Context, w *bufio.Writer) (int, error) {
	if x.r.BOM {
		w.WriteString("\uFEFF")
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	rec := make([]string, len(x.cols))
	for i, c := range x.cols {
		rec[i] = safe(cell{text: c.Label})
	}
	if err := cw.Write(rec); err != nil {
		return 0, err
	}
	n := 0
	emit := func() error {
		n++
		if err := cw.Write(rec); err != nil {
			return err
		}
		if n%1000 == 0 {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
			return ctx.Err()
		}
		return nil
	}
	var err error
	if x.r.Object == ObjectCompany {
		err = x.s.companies.Stream(ctx, x.r.Query, func(r company.ExportRow) error {
			for i := range x.cols {
				rec[i] = safe(companyCell(&r, &x.cols[i]))
			}
			return emit()
		})
	} else {
		err = x.s.contacts.Stream(ctx, x.r.Query, x.streamOptions(), func(r contact.ExportRow) error {
			for i := range x.cols {
				rec[i] = safe(contactCell(&r, &x.cols[i]))
			}
			return emit()
		})
	}
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return n, err
}

// streamOptions reads what the columns need: the lists of emails, phones
// and tags, and the custom values.
func (x *ListExport) streamOptions() contact.StreamOptions {
	var o contact.StreamOptions
	for _, c := range x.cols {
		switch {
		case c.Key == "email" || c.Key == "phone" || c.Key == "tag":
			o.Lists = true
		case c.def != nil:
			o.Custom = true
		}
	}
	return o
}

// safe keeps a spreadsheet from running a cell as a formula: text that
// starts like one gets a leading apostrophe, which spreadsheets show as
// text. Plain numbers (a negative amount) are left alone.
func safe(c cell) string {
	if c.number || c.text == "" {
		return c.text
	}
	switch c.text[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + c.text
	}
	return c.text
}
