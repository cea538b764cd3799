package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/importer"
)

// uploadSlack is what a multipart body may hold beyond the file itself:
// its part headers and boundaries.
const uploadSlack = 1 << 20

// uploadTime is how long one upload may take: a file at the size limit
// over a slow line. The server's own read timeout is for forms.
const uploadTime = time.Hour

// previewRows is how many rows of the file the mapping step shows.
const previewRows = 10

func (s *Server) importRoutes(page func(pattern string, h http.HandlerFunc)) {
	if s.imports == nil {
		return
	}
	p := func(pattern string, h http.HandlerFunc) { page(pattern, s.requireUser(h)) }
	p("GET /imports", s.importList)
	p("GET /imports/new", s.importNew)
	p("POST /imports", s.importUpload)
	p("GET /imports/{id}", s.importShow)
	p("POST /imports/{id}", s.importConfigure)
	p("GET /imports/{id}/progress", s.importProgress)
	p("POST /imports/{id}/cancel", s.importCancel)
	p("POST /imports/{id}/again", s.importAgain)
	p("POST /imports/{id}/undo", s.importUndo)
	p("GET /imports/{id}/rejected.csv", s.importRejected)
}

// importPerm is the right an import of object needs: creating its records.
func importPerm(object string) string {
	if object == importer.Companies {
		return access.Companies
	}
	return access.Contacts
}

// importObjectLabel names what an import brings in, in the plural.
func importObjectLabel(object string) string {
	if object == importer.Companies {
		return "companies"
	}
	return "contacts"
}

// importStatusLabel says where an import is, in words.
func importStatusLabel(im importer.Import) string {
	switch im.Status {
	case importer.Uploaded:
		return "Waiting for its mapping"
	case importer.Queued:
		return "Waiting to start"
	case importer.Running:
		if im.DryRun {
			return "Checking"
		}
		return "Importing"
	case importer.Done:
		if im.DryRun {
			return "Checked (dry run)"
		}
		return "Done"
	case importer.Failed:
		return "Stopped by an error"
	case importer.Canceled:
		return "Canceled"
	case importer.Undoing:
		return "Undoing"
	case importer.Undone:
		return "Undone"
	}
	return string(im.Status)
}

// importRow is one import in the list.
type importRow struct {
	importer.Import
	StatusLabel string
	ObjectLabel string
	N           importCounts
}

// importCounts are an import's counts, for templates.
type importCounts struct {
	Rows, Created, Updated, Skipped, Rejected int
	// While undoing: records removed, restored and left alone.
	Removed, Restored, Left int
}

func importCountsOf(im importer.Import) importCounts {
	if im.Status == importer.Undoing {
		return importCounts{Rows: int(im.Undo.Done), Removed: int(im.Undo.Removed), Restored: int(im.Undo.Restored),
			Left: int(im.Undo.LeftAlone)}
	}
	return importCounts{Rows: int(im.RowsDone), Created: int(im.Created), Updated: int(im.Updated), Skipped: int(im.Skipped),
		Rejected: int(im.Rejected)}
}

type importListView struct {
	page
	Imports          []importRow
	CanImportContact bool
	CanImportCompany bool
}

func (s *Server) importList(w http.ResponseWriter, r *http.Request) {
	list, err := s.imports.List(r.Context(), 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := importListView{page: s.page(r, "Imports"), CanImportContact: allowed(r, access.Contacts, access.Create),
		CanImportCompany: allowed(r, access.Companies, access.Create)}
	for _, im := range list {
		v.Imports = append(v.Imports, importRow{Import: im, StatusLabel: importStatusLabel(im), ObjectLabel: importObjectLabel(im.Object),
			N: importCountsOf(im)})
	}
	s.render(w, r, http.StatusOK, "imports", v)
}

type importNewView struct {
	page
	Object      string
	ObjectLabel string
	MaxSize     string
	MaxBytes    int64
	Error       string
}

// importObject reads the object an import is for from the query; anything
// but companies means contacts.
func importObject(r *http.Request) string {
	if r.URL.Query().Get("object") == importer.Companies {
		return importer.Companies
	}
	return importer.Contacts
}

func (s *Server) importNew(w http.ResponseWriter, r *http.Request) {
	object := importObject(r)
	if _, err := access.Check(r.Context(), importPerm(object), access.Create); err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderImportNew(w, r, http.StatusOK, object, "")
}

func (s *Server) renderImportNew(w http.ResponseWriter, r *http.Request, status int, object, msg string) {
	label := importObjectLabel(object)
	s.render(w, r, status, "import_new", importNewView{page: s.page(r, "Import "+label), Object: object,
		ObjectLabel: label, MaxSize: importMaxSize(), MaxBytes: importer.MaxFileSize, Error: msg})
}

// importMaxSize states the file size limit.
func importMaxSize() string {
	if importer.MaxFileSize >= 1<<30 && importer.MaxFileSize%(1<<30) == 0 {
		return fmt.Sprintf("%d GB", importer.MaxFileSize>>30)
	}
	return fmt.Sprintf("%d MB", importer.MaxFileSize>>20)
}

// importUpload serves POST /imports?object=…: the file is streamed from the
// request into the import service, never held in memory.
func (s *Server) importUpload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	object := importObject(r)
	// Refuse before reading a byte of what may be a very large body.
	if _, err := access.Check(ctx, importPerm(object), access.Create); err != nil {
		s.fail(w, r, err)
		return
	}
	tooBig := func() {
		s.renderImportNew(w, r, http.StatusRequestEntityTooLarge, object,
			fmt.Sprintf("The file is larger than %s, the most one import takes. Split it into smaller files.", importMaxSize()))
	}
	if r.ContentLength > importer.MaxFileSize+uploadSlack {
		tooBig()
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(uploadTime))
	_ = rc.SetWriteDeadline(time.Now().Add(uploadTime + time.Minute))
	r.Body = http.MaxBytesReader(w, r.Body, importer.MaxFileSize+uploadSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		s.renderImportNew(w, r, http.StatusBadRequest, object, "The upload could not be read. Choose the file again and send it.")
		return
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			s.renderImportNew(w, r, http.StatusUnprocessableEntity, object, "Choose a file to import.")
			return
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooBig()
			return
		}
		if err != nil {
			s.renderImportNew(w, r, http.StatusBadRequest, object, "The upload was cut off. Choose the file again and send it.")
			return
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		if part.FileName() == "" {
			s.renderImportNew(w, r, http.StatusUnprocessableEntity, object, "Choose a file to import.")
			return
		}
		im, err := s.imports.Upload(ctx, object, part.FileName(), part)
		part.Close()
		switch {
		case errors.As(err, &mbe):
			tooBig()
		case err != nil && apperr.AsValidation(err) != nil:
			v := apperr.AsValidation(err)
			status := http.StatusUnprocessableEntity
			if strings.Contains(v.For("file"), "larger than") {
				status = http.StatusRequestEntityTooLarge
			}
			s.renderImportNew(w, r, status, object, v.Fields[0].Message)
		case err != nil:
			s.fail(w, r, err)
		default:
			http.Redirect(w, r, "/imports/"+im.ID, http.StatusSeeOther)
		}
		return
	}
}

// importChoice is one option of a select.
type importChoice struct {
	Value, Label string
	Selected     bool
}

// importModeChoice is one of the radios for existing records.
type importModeChoice struct {
	Value, Label, Hint string
	Checked            bool
}

// importFieldChoice is one field a column can go to.
type importFieldChoice struct {
	Key, Label string
	Selected   bool
}

// importColumn is one line of the mapping table.
type importColumn struct {
	Index   int
	Header  string
	Samples []string
	Fields  []importFieldChoice
	Mapped  string
	Error   string
}

// importPreviewRow is one row of the file as it would map, and what the
// import would do with it.
type importPreviewRow struct {
	Line     int
	Values   []string
	Outcome  string
	Problems []string
}

// importLive is the progress or outcome of a started import.
type importLive struct {
	ID       string
	Finished bool
	DryRun   bool
	// Undo shows an undo's progress instead of the import's.
	Undo          bool
	Percent       int
	RowsPerSecond int
	N             importCounts
	StatusLabel   string
	Error         string
}

type importView struct {
	page
	Import importer.Import
	// Step is "mapping" (uploaded), "live" (queued or running) or "result".
	Step        string
	ObjectLabel string
	One         string
	StatusLabel string
	SizeLabel   string
	MatchHint   string
	// The mapping step.
	Encodings  []importChoice
	Delimiters []importChoice
	Modes      []importModeChoice
	Columns    []importColumn
	// HasSamples is set when the columns show their first values.
	HasSamples bool
	// Many names the fields that take several columns.
	Many []string
	// PreviewHeader names the mapped fields the preview shows, in order.
	PreviewHeader []string
	Preview       []importPreviewRow
	// Reread is set when reading the file again changed its columns.
	Reread bool
	Errors *apperr.Validation
	// A started or finished import.
	Live     importLive
	CanUndo  bool
	CanAgain bool
	Undo     *importUndoView
}

// importUndoView is what undoing did.
type importUndoView struct {
	Removed, Restored, Left int
	// LeftAlone are the first records left alone (Left counts them all).
	LeftAlone []importLeftAlone
}

type importLeftAlone struct {
	Link, Reason string
}

func (s *Server) importShow(w http.ResponseWriter, r *http.Request) {
	im, err := s.imports.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !im.Finished() && im.Status != importer.Uploaded {
		// Without JavaScript the page reloads itself to show progress.
		w.Header().Set("Refresh", "2")
	}
	s.renderImport(w, r, http.StatusOK, importView{Import: im})
}

// renderImport renders the page of v.Import, with v's messages, undo
// outcome and note.
func (s *Server) renderImport(w http.ResponseWriter, r *http.Request, status int, v importView) {
	im := v.Import
	v.page = s.page(r, "Import of "+im.FileName)
	v.ObjectLabel, v.StatusLabel, v.Live = importObjectLabel(im.Object), importStatusLabel(im), importLiveOf(im)
	v.SizeLabel = importSize(im.FileSize)
	v.One, v.MatchHint = "contact", "A row matches an existing contact with the same email, or else the same phone number."
	if im.Object == importer.Companies {
		v.One, v.MatchHint = "company", "A row matches an existing company with the same domain, or else the same name."
	}
	switch {
	case im.Status == importer.Uploaded:
		v.Step = "mapping"
	case im.Finished():
		v.Step = "result"
	default:
		v.Step = "live"
	}
	if im.Status == importer.Uploaded {
		if err := s.importMapping(r.Context(), &v); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	v.CanUndo = !im.DryRun && (im.Status == importer.Done || im.Status == importer.Canceled || im.Status == importer.Failed) && im.RowsDone > 0
	if im.Status == importer.Undone && v.Undo == nil {
		u, err := s.importUndone(r.Context(), im)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Undo = u
	}
	v.CanAgain = im.DryRun && im.Status == importer.Done
	s.render(w, r, status, "import", v)
}

func importLiveOf(im importer.Import) importLive {
	if im.Status == importer.Undoing {
		return importLive{ID: im.ID, Undo: true, Percent: im.Undo.Percent(), N: importCountsOf(im),
			StatusLabel: importStatusLabel(im)}
	}
	percent := im.Percent()
	if im.Status == importer.Undone {
		// The bar tells how far the undo went, as it did while it ran.
		percent = im.Undo.Percent()
	}
	return importLive{ID: im.ID, Finished: im.Finished(), DryRun: im.DryRun, Percent: percent,
		RowsPerSecond: int(im.RowsPerSecond() + 0.5), N: importCountsOf(im), StatusLabel: importStatusLabel(im), Error: im.Error}
}

// importSize writes a file size for people: "812 bytes", "4.2 MB".
func importSize(n int64) string {
	switch {
	case n < 1<<10:
		return count(int(n), "byte", "bytes")
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GB", float64(n)/(1<<30))
}

// importEncodings are the encodings a CSV file can be read as.
var importEncodings = []importChoice{
	{Value: "utf-8", Label: "UTF-8"},
	{Value: "utf-8-bom", Label: "UTF-8 with byte order mark"},
	{Value: "utf-16le", Label: "UTF-16 (little-endian)"},
	{Value: "utf-16be", Label: "UTF-16 (big-endian)"},
	{Value: "windows-1252", Label: "Windows-1252 / Latin-1 (Western European)"},
}

// importDelimiters are the delimiters a CSV file can be read with, by the
// name the form sends.
var importDelimiters = []struct{ Name, Char, Label string }{
	{"comma", ",", "Comma ( , )"},
	{"semicolon", ";", "Semicolon ( ; )"},
	{"tab", "\t", "Tab"},
}

func importDelimiterChar(name string) string {
	for _, d := range importDelimiters {
		if d.Name == name {
			return d.Char
		}
	}
	return ""
}

// importModes are the choices for rows that match an existing record.
func importModes(object string, mode contact.ImportMode) []importModeChoice {
	what := "contact"
	if object == importer.Companies {
		what = "company"
	}
	out := []importModeChoice{
		{Value: string(contact.ImportSkip), Label: "Skip", Hint: "Leave the existing " + what + " as it is; only new ones are added."},
		{Value: string(contact.ImportFill), Label: "Fill empty fields", Hint: "Add the file's values where the existing " + what + " has none; nothing is replaced."},
		{Value: string(contact.ImportOverwrite), Label: "Overwrite", Hint: "Replace the existing " + what + "'s fields with the file's values, where the file has one."},
	}
	for i := range out {
		out[i].Checked = out[i].Value == string(mode)
	}
	return out
}

// importMapping fills the mapping step of v.
func (s *Server) importMapping(ctx context.Context, v *importView) error {
	im := v.Import
	v.Modes = importModes(im.Object, im.Mode)
	if im.Format != importer.CSV {
		return nil
	}
	for _, e := range importEncodings {
		e.Selected = e.Value == im.Encoding
		v.Encodings = append(v.Encodings, e)
	}
	if !importKnownEncoding(im.Encoding) {
		v.Encodings = append(v.Encodings, importChoice{Value: im.Encoding, Label: im.Encoding, Selected: true})
	}
	for _, d := range importDelimiters {
		v.Delimiters = append(v.Delimiters, importChoice{Value: d.Name, Label: d.Label, Selected: d.Char == im.Delimiter})
	}
	var defs []customfield.Field
	if s.fields != nil {
		var err error
		if defs, err = s.fields.List(ctx, im.Object); err != nil {
			return err
		}
	}
	fields := importer.Fields(im.Object, defs)
	for _, f := range fields {
		if f.Many {
			v.Many = append(v.Many, strings.ToLower(f.Label))
		}
	}
	rows, err := s.imports.Preview(ctx, im.ID, previewRows)
	if err != nil && apperr.AsValidation(err) == nil {
		return err
	}
	sample := make([][]string, len(rows))
	for i, r := range rows {
		sample[i] = r.Fields
	}
	actor, _ := access.ActorFrom(ctx)
	canAddFields := access.Allowed(actor, access.CustomFields, access.Create)
	var previewCols []int
	for i, h := range im.Header {
		mapped := ""
		if i < len(im.Mapping) {
			mapped = im.Mapping[i]
		}
		c := importColumn{Index: i, Header: h, Mapped: mapped, Error: v.Errors.For(fmt.Sprintf("mapping[%d]", i))}
		known := mapped == ""
		for _, f := range fields {
			sel := importSameField(f, mapped)
			known = known || sel
			c.Fields = append(c.Fields, importFieldChoice{Key: f.Key, Label: f.Label, Selected: sel})
		}
		if canAddFields {
			label := "New custom field"
			if strings.TrimSpace(h) != "" {
				label += " “" + strings.TrimSpace(h) + "”"
			}
			c.Fields = append(c.Fields, importFieldChoice{Key: importer.NewField, Label: label, Selected: mapped == importer.NewField})
			known = known || mapped == importer.NewField
		}
		if !known {
			// Keep a field that no longer exists, so the message beside
			// it makes sense.
			c.Fields = append(c.Fields, importFieldChoice{Key: mapped, Label: "Unknown field " + mapped, Selected: true})
		}
		for _, row := range sample {
			if i < len(row) && strings.TrimSpace(row[i]) != "" && len(c.Samples) < 3 {
				c.Samples = append(c.Samples, row[i])
			}
		}
		if mapped != "" {
			previewCols = append(previewCols, i)
			v.PreviewHeader = append(v.PreviewHeader, importFieldLabel(fields, mapped, h))
		}
		v.Columns = append(v.Columns, c)
		v.HasSamples = v.HasSamples || len(c.Samples) > 0
	}
	for n, row := range sample {
		pr := importPreviewRow{Line: rows[n].Line, Outcome: rows[n].Outcome}
		for _, p := range rows[n].Problems {
			pr.Problems = append(pr.Problems, importer.Reason(p))
		}
		for _, i := range previewCols {
			val := ""
			if i < len(row) {
				val = row[i]
			}
			pr.Values = append(pr.Values, val)
		}
		v.Preview = append(v.Preview, pr)
	}
	return nil
}

func importKnownEncoding(enc string) bool {
	for _, e := range importEncodings {
		if e.Value == enc {
			return true
		}
	}
	return false
}

// importSameField reports whether mapped names field f: fields that take
// several columns are also named with a number ("email_2").
func importSameField(f importer.Field, mapped string) bool {
	if mapped == f.Key {
		return true
	}
	if !f.Many {
		return false
	}
	rest, ok := strings.CutPrefix(mapped, f.Key+"_")
	if !ok {
		return false
	}
	_, err := strconv.Atoi(rest)
	return err == nil
}

func importFieldLabel(fields []importer.Field, mapped, header string) string {
	for _, f := range fields {
		if importSameField(f, mapped) {
			return f.Label
		}
	}
	return header
}

// importConfigure serves POST /imports/{id}: the mapping step's form.
// Its action is "format" (read the file again with another encoding or
// delimiter), "save" (keep the choices and show the preview again, what
// Enter does), "dry" (check the whole file) or "run".
func (s *Server) importConfigure(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.parseForm(w, r) {
		return
	}
	id := r.PathValue("id")
	action := r.PostFormValue("action")
	in := importer.Settings{Encoding: r.PostFormValue("encoding"), Delimiter: importDelimiterChar(r.PostFormValue("delimiter")),
		Mode: contact.ImportMode(r.PostFormValue("mode"))}
	if action != "format" {
		n, _ := strconv.Atoi(r.PostFormValue("columns"))
		if n > 0 && n <= 10000 {
			in.Mapping = make([]string, n)
			for i := range in.Mapping {
				in.Mapping[i] = strings.TrimSpace(r.PostFormValue(fmt.Sprintf("mapping[%d]", i)))
			}
		}
	}
	before, err := s.imports.Get(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	im, err := s.imports.Configure(ctx, id, in)
	if v := apperr.AsValidation(err); v != nil {
		if msg := v.For("status"); msg != "" {
			s.redirect(w, r, "/imports/"+id, msg)
			return
		}
		// What the user chose stays chosen, beside the messages.
		im.Mode = in.Mode
		if !in.Mode.Valid() {
			im.Mode = before.Mode
		}
		if in.Mapping != nil && len(in.Mapping) == len(im.Header) {
			im.Mapping = in.Mapping
		}
		s.renderImport(w, r, http.StatusUnprocessableEntity, importView{Import: im, Errors: v,
			Reread: len(im.Header) != len(before.Header)})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch action {
	case "dry", "run":
		if _, err := s.imports.Start(ctx, id, action == "dry"); err != nil {
			s.startFailed(w, r, id, err)
			return
		}
		http.Redirect(w, r, "/imports/"+id, http.StatusSeeOther)
	default:
		msg := "Saved. The preview shows the first rows with these columns."
		if action == "format" {
			msg = "The file was read again as " + importEncodingLabel(im.Encoding) + ", " + importDelimiterLabel(im.Delimiter) + "."
		}
		s.redirect(w, r, "/imports/"+id, msg)
	}
}

func importEncodingLabel(enc string) string {
	for _, e := range importEncodings {
		if e.Value == enc {
			return e.Label
		}
	}
	return enc
}

func importDelimiterLabel(c string) string {
	for _, d := range importDelimiters {
		if d.Char == c {
			return strings.ToLower(d.Name) + "-separated"
		}
	}
	return fmt.Sprintf("separated by %q", c)
}

// startFailed answers a Start the service refused.
func (s *Server) startFailed(w http.ResponseWriter, r *http.Request, id string, err error) {
	if errors.Is(err, importer.ErrNoQueue) {
		s.errorPage(w, r, http.StatusServiceUnavailable, "Imports are not running",
			"Imports run in the background, and background work is not running on this server. Try again after a restart.")
		return
	}
	if v := apperr.AsValidation(err); v != nil {
		if msg := v.For("status"); msg != "" {
			s.redirect(w, r, "/imports/"+id, msg)
			return
		}
		im, gerr := s.imports.Get(r.Context(), id)
		if gerr != nil {
			s.fail(w, r, gerr)
			return
		}
		s.renderImport(w, r, http.StatusUnprocessableEntity, importView{Import: im, Errors: v})
		return
	}
	s.fail(w, r, err)
}

// importProgress serves the live part of a started import to htmx, which
// polls it every second. Once the import ends the page is reloaded to
// show the outcome.
func (s *Server) importProgress(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if r.Header.Get("HX-Request") != "true" {
		http.Redirect(w, r, "/imports/"+id, http.StatusSeeOther)
		return
	}
	im, err := s.imports.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if im.Finished() || im.Status == importer.Uploaded {
		w.Header().Set("HX-Refresh", "true")
	}
	v := importView{Import: im, Live: importLiveOf(im)}
	t := s.r.pages["import"]
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := t.ExecuteTemplate(w, "import-live-oob", v); err != nil {
		s.log(r).Error("render import progress", "err", err)
	}
}

func (s *Server) importCancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	im, err := s.imports.Cancel(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "The import was canceled. What it imported so far stays; undo it to remove that too."
	if im.DryRun {
		msg = "The check was canceled."
	}
	if im.Status != importer.Canceled {
		msg = ""
	}
	s.redirect(w, r, "/imports/"+id, msg)
}

// importAgain serves "Run the import" after a dry run: the same file with
// the same settings, for real.
func (s *Server) importAgain(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	im, err := s.imports.Again(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.imports.Start(ctx, im.ID, false); err != nil {
		s.startFailed(w, r, im.ID, err)
		return
	}
	http.Redirect(w, r, "/imports/"+im.ID, http.StatusSeeOther)
}

func (s *Server) importUndo(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	_, err := s.imports.Undo(r.Context(), id)
	if v := apperr.AsValidation(err); v != nil && v.For("status") != "" {
		s.redirect(w, r, "/imports/"+id, v.For("status"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The page shows the undo's progress, then what it did.
	http.Redirect(w, r, "/imports/"+id, http.StatusSeeOther)
}

// undoneShown bounds the records an undone import's page lists as left alone.
const undoneShown = 100

// importUndone is what undoing im did, with the first records it left alone.
func (s *Server) importUndone(ctx context.Context, im importer.Import) (*importUndoView, error) {
	u := &importUndoView{Removed: int(im.Undo.Removed), Restored: int(im.Undo.Restored), Left: int(im.Undo.LeftAlone)}
	list, err := s.imports.LeftAloneList(ctx, im.ID, undoneShown)
	if err != nil {
		return nil, err
	}
	base := "/contacts/"
	if im.Object == importer.Companies {
		base = "/companies/"
	}
	for _, la := range list {
		u.LeftAlone = append(u.LeftAlone, importLeftAlone{Link: base + la.RecordID, Reason: la.Reason})
	}
	return u, nil
}

// importRejected serves the rejected rows as CSV: the file's columns, the
// line and the reason, ready to fix and import again.
func (s *Server) importRejected(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	im, err := s.imports.Get(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := strings.TrimSuffix(im.FileName, ".csv")
	name = strings.TrimSuffix(name, ".vcf")
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, importDownloadName(name+"-rejected.csv")))
	w.Header().Set("Cache-Control", "no-store")
	if _, err := s.imports.ErrorReport(ctx, im.ID, w); err != nil {
		// The header is gone already; the log says what broke.
		s.log(r).Error("import error report", "import", im.ID, "err", err)
	}
}

// importDownloadName keeps a file name safe inside a quoted header value.
func importDownloadName(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			return '_'
		}
		return r
	}, name)
}
