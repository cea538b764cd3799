package api

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/rapportcrm/rapport/internal/export"
	"github.com/rapportcrm/rapport/internal/query"
)

// exportTimeout is how long one export may take to send.
const exportTimeout = 30 * time.Minute

// ExportParams are the query parameters of a list export: the list's
// filter and sort as for a list, and the file's format and columns.
type ExportParams struct {
	Format  string `query:"format" enum:"csv,vcard" default:"csv" doc:"csv, or vcard (contacts only): one vCard per contact with every email, phone and the address."`
	Columns string `query:"columns" example:"name,email,lifecycle_stage,cf.plan" doc:"CSV columns: field keys, comma-separated, in order. Left out: the list page's default columns."`
	BOM     bool   `query:"bom" doc:"Start the CSV with a UTF-8 byte order mark, which Excel needs to read UTF-8."`
	Version string `query:"version" enum:"3.0,4.0" default:"3.0" doc:"vCard version: 3.0 (read most widely) or 4.0."`
	Sort    string `query:"sort" example:"-updated_at" doc:"Field key to sort by, with - in front for descending: name, -updated_at, cf.plan."`
	Filter  string `query:"filter" example:"{\"match\":\"all\",\"conditions\":[{\"field\":\"lifecycle_stage\",\"op\":\"is\",\"value\":\"customer\"}]}" doc:"A filter group as JSON, as for the list."`

	values url.Values
}

// Resolve keeps the whole query string for the shorthand filters.
func (p *ExportParams) Resolve(ctx huma.Context) []error {
	u := ctx.URL()
	p.values = u.Query()
	return nil
}

type listExportOut struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition" doc:"attachment, with a file name such as contacts-2024-05-31.csv."`
	Body               func(huma.Context)
}

func (a *API) exportRoutes() {
	x := export.NewService(a.o.DB, a.o.Contacts, a.o.Companies)
	for _, k := range []struct {
		object, path, tag, one, many string
		types                        []string
	}{
		{export.ObjectContact, "/contacts/export", "Contacts", "contact", "contacts", []string{"text/csv", "text/vcard"}},
		{export.ObjectCompany, "/companies/export", "Companies", "company", "companies", []string{"text/csv"}},
	} {
		content := map[string]*huma.MediaType{}
		for _, t := range k.types {
			content[t] = &huma.MediaType{Schema: &huma.Schema{Type: huma.TypeString}}
		}
		register(a, huma.Operation{OperationID: "export-" + k.many, Method: http.MethodGet, Path: Prefix + k.path,
			Tags: []string{k.tag}, Summary: "Export " + k.many,
			Description: "Every " + k.one + " the filter matches, in the sort order, " +
				"streamed as CSV (a header row of column labels; dates as YYYY-MM-DD; several emails joined by \", \"; " +
				"cells that would start a spreadsheet formula prefixed with ') or as vCards. Needs the export right; " +
				"every export is recorded in the audit log.",
			Parameters: []*huma.Param{shorthandParam(map[string]any{"lifecycle_stage": "lead"})},
			Responses:  map[string]*huma.Response{"200": {Description: "The file.", Content: content}},
			Errors:     []int{http.StatusUnprocessableEntity}},
			func(ctx context.Context, in *ExportParams) (*listExportOut, error) {
				return a.exportList(ctx, x, k.object, in)
			})
	}
}

// exportParams are the parameters of ExportParams besides the list's.
var exportParams = []string{"format", "columns", "bom", "version"}

func (a *API) exportList(ctx context.Context, x *export.Service, object string, in *ExportParams) (*listExportOut, error) {
	schema, err := x.Schema(ctx, object)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	vals := url.Values{}
	for k, v := range in.values {
		if !slices.Contains(exportParams, k) {
			vals[k] = v
		}
	}
	req, remap, err := listRequest(schema, ListParams{values: vals})
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	var cols []string
	if c := strings.TrimSpace(in.Columns); c != "" {
		cols = strings.Split(c, ",")
	}
	job, err := x.PrepareList(ctx, export.ListRequest{Object: object, Query: query.Request{Filter: req.Filter, Sort: req.Sort},
		Columns: cols, Format: in.Format, BOM: in.BOM, VCardVersion: in.Version})
	if err != nil {
		return nil, a.fail(ctx, remap(err))
	}
	return &listExportOut{ContentType: job.ContentType(),
		ContentDisposition: `attachment; filename="` + job.Filename(time.Now()) + `"`,
		Body: func(hc huma.Context) {
			if _, w := humago.Unwrap(hc); w != nil {
				http.NewResponseController(w).SetWriteDeadline(time.Now().Add(exportTimeout))
			}
			hc.SetStatus(http.StatusOK)
			if _, err := job.Write(hc.Context(), hc.BodyWriter()); err != nil {
				// The status is sent: the log (and the audit entry marked
				// failed) is what is left.
				a.logger.ErrorContext(ctx, "api: export", "object", object, "err", err)
			}
		}}, nil
}
