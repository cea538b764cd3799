package web

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/export"
)

// listExportTimeout is how long one export may take to send: a million
// rows need longer than the server's usual write timeout.
const listExportTimeout = 30 * time.Minute

// exportRoutes registers the list exports: the list's filter, sort and
// columns as CSV (contacts and companies) or vCard (contacts).
//
//	GET /contacts/export.csv?filter=...&sort=...&cols=...[&bom=1]
//	GET /contacts/export.vcf?filter=...&sort=...[&version=4.0]
//	GET /companies/export.csv?...
func (l *lists) exportRoutes(p func(pattern string, h http.HandlerFunc)) {
	x := export.NewService(l.s.db, l.s.contacts, l.s.companies)
	for _, k := range []*listKind{l.contactKind(), l.companyKind()} {
		p("GET "+k.Path+"/export.csv", func(w http.ResponseWriter, r *http.Request) { l.export(w, r, x, k, export.CSV) })
	}
	k := l.contactKind()
	p("GET "+k.Path+"/export.vcf", func(w http.ResponseWriter, r *http.Request) { l.export(w, r, x, k, export.VCard) })
}

// export streams the list of kind k in format as a download. Everything a
// person can get wrong is answered before the first byte: a role without
// the export right gets 403 (and the attempt is in the audit log), a bad
// filter or column 422.
func (l *lists) export(w http.ResponseWriter, r *http.Request, x *export.Service, k *listKind, format string) {
	ctx := r.Context()
	schema, err := k.schema(ctx)
	if err != nil {
		l.s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	// bom and version are no field keys; they must not be read as filters.
	bom, version := q.Get("bom") == "1", strings.TrimSpace(q.Get("version"))
	q.Del("bom")
	q.Del("version")
	st, err := readListState(q, schema, k)
	if err != nil {
		l.s.fail(w, r, err)
		return
	}
	job, err := x.PrepareList(ctx, export.ListRequest{Object: k.Object, Query: st.request(), Columns: st.Cols,
		Format: format, BOM: bom, VCardVersion: version})
	if err != nil {
		l.s.fail(w, r, err)
		return
	}
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(listExportTimeout))
	h := w.Header()
	h.Set("Content-Type", job.ContentType())
	h.Set("Content-Disposition", `attachment; filename="`+job.Filename(time.Now())+`"`)
	h.Set("Cache-Control", "no-store")
	if _, err := job.Write(ctx, w); err != nil {
		// The headers are gone: the log line (and the audit entry marked
		// failed) is what is left to do.
		l.s.log(r).Error("list export", "object", k.Object, "err", err)
	}
}

// CanExport reports whether the signed-in user may export this list.
func (v *listView) CanExport() bool {
	return v.User != nil && !v.Kind.listOnly && access.Allowed(v.User.Actor(), v.Kind.perm, access.Export)
}

// ExportURL is the address of this list's export in format ("csv" or
// "vcf"): the list's filter, sort and columns, every page; excel asks for
// the byte order mark Excel needs to read UTF-8.
func (v *listView) ExportURL(ext string, excel bool) string {
	if !v.exportRead {
		// Encoding the filter is most of the work: once per page.
		st := v.State.firstPage()
		st.Limit, st.View = 0, ""
		v.exportQuery, v.exportRead = st.request().Values(), true
	}
	q := maps.Clone(v.exportQuery)
	if q == nil {
		q = url.Values{}
	}
	if ext == "csv" && len(v.State.Cols) > 0 {
		q.Set(listParamCols, strings.Join(v.State.Cols, listColSep))
	}
	if excel {
		q.Set("bom", "1")
	}
	return v.Kind.Path + "/export." + ext + encodeQuery(q)
}

// encodeQuery is "?"+q.Encode(), or "" for no parameters.
func encodeQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}
