package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/importer"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
	"github.com/rapportcrm/rapport/internal/web"
)

// impEnv is a site whose imports run on a real job queue, signed in as
// the owner Olga, with the services to check what the pages did.
type impEnv struct {
	*site
	ctx      context.Context
	olga     user.User
	dataDir  string
	imp      *importer.Service
	queue    *jobs.Queue
	contacts *contact.Service
}

// impOptions shape an impEnv.
type impOptions struct {
	// idle leaves the job queue stopped: imports wait, queued.
	idle bool
	// builtIn leaves the import service to web.New.
	builtIn bool
	// batch is the rows per transaction; default 2, so a small file
	// takes several batches.
	batch int
}

func newImpEnv(t *testing.T, d *db.DB, o impOptions) *impEnv {
	t.Helper()
	cfg := config.Default()
	cfg.BaseURL = "http://127.0.0.1:8080"
	cfg.DataDir = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if o.batch == 0 {
		o.batch = 2
	}
	users := user.NewService(d)
	contacts := contact.NewService(d, users)
	companies := company.NewService(d, users)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var imp *importer.Service
	opts := web.Options{Config: cfg, DB: d, Users: users, Logger: quiet,
		Contacts: contacts, Companies: companies, Activities: activity.NewService(d, contacts, companies),
		Fields: customfield.NewService(d), Views: view.NewService(d)}
	if !o.builtIn {
		imp = importer.New(importer.Options{DB: d, Contacts: contacts, Companies: companies, Users: users,
			Dir: filepath.Join(cfg.DataDir, "imports"), Batch: o.batch})
		ws := river.NewWorkers()
		river.AddWorker(ws, importer.NewWorker(imp))
		river.AddWorker(ws, importer.NewUndoWorker(imp))
		q, err := jobs.New(d, jobs.Options{Workers: ws, Logger: quiet, FetchPollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		imp.UseQueue(q)
		if !o.idle {
			impStart(t, q)
		}
		opts.Jobs, opts.Imports = q, imp
	}
	s, err := web.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	st := &site{t: t, db: d, srv: srv, client: newClient()}
	st.post("/setup", owner).expect(t, 303, "/")
	list, err := users.List(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("users after setup: %v, %v", list, err)
	}
	e := &impEnv{site: st, ctx: fixture.As(list[0]), olga: list[0], dataDir: cfg.DataDir, imp: imp, queue: opts.Jobs, contacts: contacts}
	if imp == nil {
		e.imp = importer.New(importer.Options{DB: d, Contacts: contacts, Companies: companies, Users: users,
			Dir: filepath.Join(cfg.DataDir, "imports")})
	}
	return e
}

func impStart(t *testing.T, q *jobs.Queue) {
	t.Helper()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
}

// signIn returns a client signed in as a new user with role.
func (e *impEnv) signIn(role string) (*http.Client, user.User) {
	e.t.Helper()
	_, u := fixture.User(e.t, e.db, role)
	c := newClient()
	e.do(c, "POST", "/login", url.Values{"email": {u.Email}, "password": {fixture.Password}}, nil).expect(e.t, 303, "/")
	return c, u
}

// upload posts a file as the wizard's form does.
func (e *impEnv) upload(c *http.Client, path, name string, body []byte) response {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		e.t.Fatal(err)
	}
	fw.Write(body)
	mw.Close()
	return e.raw(c, "POST", path, &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
}

func (e *impEnv) raw(c *http.Client, method, path string, body io.Reader, header map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

// uploaded uploads as Olga and returns the new import's id.
func (e *impEnv) uploaded(name, body string) string {
	e.t.Helper()
	r := e.upload(e.client, "/imports?object=contact", name, []byte(body))
	return recID(e.t, r, "/imports/")
}

// wait waits for an import to end.
func (e *impEnv) wait(id string) importer.Import {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		im, err := e.imp.Get(e.ctx, id)
		if err != nil {
			e.t.Fatal(err)
		}
		if im.Finished() {
			return im
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("import %s still %s after 30 s", id, im.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *impEnv) countContacts() int {
	e.t.Helper()
	n, _, err := e.contacts.Count(e.ctx, query.Group{}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

var impSelectRe = regexp.MustCompile(`(?s)<select id="([^"]+)" name="([^"]+)"[^>]*>(.*?)</select>`)
var impSelectedRe = regexp.MustCompile(`<option value="([^"]*)" selected>`)

// impSelected reads each select of a page: its name and selected value.
func impSelected(body string) map[string]string {
	out := map[string]string{}
	for _, m := range impSelectRe.FindAllStringSubmatch(body, -1) {
		name := html.UnescapeString(m[2])
		out[name] = ""
		if s := impSelectedRe.FindStringSubmatch(m[3]); s != nil {
			out[name] = html.UnescapeString(s[1])
		}
	}
	return out
}

// impForm is the mapping form as the page offers it, with action.
func impForm(body, action string) url.Values {
	sel := impSelected(body)
	f := url.Values{"action": {action}, "mode": {"skip"}}
	n := 0
	for name, v := range sel {
		f.Set(name, v)
		if strings.HasPrefix(name, "mapping[") {
			n++
		}
	}
	f.Set("columns", strconv.Itoa(n))
	return f
}

// impGoogle is shaped like a Google Contacts export: one row with a bad
// email, one repeating an earlier email (case aside), a blank line.
const impGoogle = "First Name,Last Name,E-mail 1 - Value,Phone 1 - Value,Organization Name,Organization Title\r\n" +
	"Ada,Lovelace,ada@example.com,+44 20 7946 0958,Analytical Engines,Countess\r\n" +
	"Grace,Hopper,grace@example.com,,US Navy,Rear Admiral\r\n" +
	"Bad,Email,not-an-email,,,\r\n" +
	"\r\n" +
	"Ada,L.,ADA@example.com,,,\r\n" +
	"Zoë,😀 Smile,zoe@example.com,,,\r\n"

// An owner uploads a Google Contacts export, sees the guessed mapping and
// the detected format, imports, reads the counts, downloads the rejected
// row and undoes the import, which leaves alone a contact changed since.
func TestImportWizard(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newImpEnv(t, d, impOptions{})
		e.get("/imports").expect(t, 200, "", "No imports yet", `href="/imports/new?object=contact"`, `href="/imports/new?object=company"`)
		e.get("/contacts").expect(t, 200, "", `href="/imports/new?object=contact"`)
		e.get("/companies").expect(t, 200, "", `href="/imports/new?object=company"`)
		e.get("/imports/new?object=contact").expect(t, 200, "", "Import contacts", `enctype="multipart/form-data"`,
			`action="/imports?object=contact"`, "Up to 1 GB")

		id := e.uploaded("google.csv", impGoogle)
		page := e.get("/imports/" + id)
		page.expect(t, 200, "", "google.csv", "6 columns", "Where each column goes", "Check the whole file (dry run)",
			`name="action" value="run"`, "A row matches an existing contact with the same email",
			// The preview runs the first rows through the rules: the bad
			// email is marked with its reason, on its own line.
			`<tr class="import-row-rejected"><th scope="row">4</th>`, "Rejected:</strong> ", `<td class="import-outcome">created</td>`)
		sel := impSelected(page.body)
		want := map[string]string{"encoding": "utf-8", "delimiter": "comma", "mapping[0]": "first_name", "mapping[1]": "last_name",
			"mapping[2]": "email", "mapping[3]": "phone", "mapping[4]": "company", "mapping[5]": "job_title"}
		for k, v := range want {
			if sel[k] != v {
				t.Errorf("select %s = %q, want %q (all: %v)", k, sel[k], v, sel)
			}
		}
		if !strings.Contains(page.body, `<input type="radio" name="mode" value="skip" checked>`) {
			t.Error("skip is not the mode chosen at first")
		}
		if e.countContacts() != 0 {
			t.Fatal("contacts imported before the run")
		}

		form := impForm(page.body, "run")
		e.post("/imports/"+id, form).expect(t, 303, "/imports/"+id)
		im := e.wait(id)
		if im.Status != importer.Done || im.Created != 3 || im.Skipped != 1 || im.Rejected != 1 {
			t.Fatalf("import %s: %d created, %d skipped, %d rejected; want done, 3, 1, 1", im.Status, im.Created, im.Skipped, im.Rejected)
		}
		done := e.get("/imports/" + id)
		done.expect(t, 200, "", "Imported", `value="100"`, "Created</dt><dd>3</dd>", "Skipped</dt><dd>1</dd>",
			"Rejected</dt><dd>1</dd>", "Download the rejected rows (CSV)", `href="/imports/`+id+`/rejected.csv"`, "Undo this import")
		if done.header.Get("Refresh") != "" {
			t.Error("a finished import's page reloads itself")
		}

		// htmx's poll gets the bar and counts out of band, and a reload once
		// the import is over; a plain request is sent to the page.
		prog := e.do(e.client, "GET", "/imports/"+id+"/progress", nil, map[string]string{"HX-Request": "true"})
		prog.expect(t, 200, "", `id="import-bar"`, `hx-swap-oob="true"`, `value="100"`, `id="import-counts" hx-swap-oob="innerHTML"`)
		if prog.header.Get("HX-Refresh") != "true" {
			t.Error("the poll of a finished import does not reload the page")
		}
		e.get("/imports/"+id+"/progress").expect(t, 303, "/imports/"+id)

		rep := e.get("/imports/" + id + "/rejected.csv")
		rep.expect(t, 200, "")
		if ct := rep.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("report Content-Type %q", ct)
		}
		if cd := rep.header.Get("Content-Disposition"); cd != `attachment; filename="google-rejected.csv"` {
			t.Errorf("report Content-Disposition %q", cd)
		}
		recs, err := csv.NewReader(strings.NewReader(rep.body)).ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("report: %q, %v; want a header and one row", rep.body, err)
		}
		if h := recs[0]; h[0] != "First Name" || h[len(h)-2] != "line" || h[len(h)-1] != "reason" {
			t.Errorf("report header %q", h)
		}
		if row := recs[1]; row[0] != "Bad" || row[2] != "not-an-email" || row[len(row)-2] != "4" || !strings.Contains(strings.ToLower(row[len(row)-1]), "email") {
			t.Errorf("report row %q", row)
		}
		e.get("/imports").expect(t, 200, "", "google.csv", "Done", `href="/imports/`+id+`"`)

		// Someone changes Grace after the import: undo leaves her alone.
		page2, err := e.contacts.List(e.ctx, query.Request{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		grace := ""
		for _, r := range page2.Rows {
			if r.DisplayName == "Grace Hopper" {
				grace = r.ID
			}
		}
		time.Sleep(5 * time.Millisecond)
		if _, err := e.contacts.Update(e.ctx, grace, contact.Input{JobTitle: fixture.Ptr("Admiral")}); err != nil {
			t.Fatal(err)
		}
		e.post("/imports/"+id+"/undo", nil).expect(t, 303, "/imports/"+id)
		e.wait(id)
		undo := e.get("/imports/" + id)
		undo.expect(t, 200, "", "Undone:", "2 records removed", "1 record was left alone", `href="/contacts/`+grace+`"`, "after the import",
			"Undone: 100%", `value="100"`)
		if n := e.countContacts(); n != 1 {
			t.Errorf("%d contacts after undo, want 1 (Grace)", n)
		}
		after := e.get("/imports/" + id)
		after.expect(t, 200, "", "Undone")
		if strings.Contains(after.body, "Undo this import") {
			t.Error("an undone import offers undo again")
		}
		e.post("/imports/"+id+"/undo", nil).expect(t, 303, "/imports/"+id)
		e.get("/imports/"+id).expect(t, 200, "", "already been undone")
	})
}

// A dry run keeps nothing and reports what would happen; "Run the import"
// then imports the same file with the same settings.
func TestImportDryRunThenRun(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		// One batch: a dry run rolls each batch back, so a row matching
		// one created by an earlier batch would count as created.
		e := newImpEnv(t, d, impOptions{batch: 100})
		id := e.uploaded("google.csv", impGoogle)
		form := impForm(e.get("/imports/"+id).body, "dry")
		form.Set("mode", "overwrite")
		e.post("/imports/"+id, form).expect(t, 303, "/imports/"+id)
		im := e.wait(id)
		if !im.DryRun || im.Mode != contact.ImportOverwrite {
			t.Fatalf("dry run = %v, mode %s", im.DryRun, im.Mode)
		}

		page := e.get("/imports/" + id)
		page.expect(t, 200, "", "Checked: nothing was kept", "Would be created</dt><dd>3</dd>", "Would be updated</dt><dd>1</dd>",
			"Rejected</dt><dd>1</dd>",
			`action="/imports/`+id+`/again"`, "Run the import")
		if strings.Contains(page.body, "Undo this import") {
			t.Error("a dry run offers undo")
		}
		if n := e.countContacts(); n != 0 {
			t.Fatalf("%d contacts after a dry run, want 0", n)
		}
		e.post("/imports/"+id+"/undo", nil).expect(t, 303, "/imports/"+id)

		r := e.post("/imports/"+id+"/again", nil)
		real := recID(t, r, "/imports/")
		if real == id {
			t.Fatal("the real run reuses the dry run")
		}
		im = e.wait(real)
		if im.DryRun || im.Created != 3 || im.Updated != 1 || im.Mode != contact.ImportOverwrite {
			t.Errorf("real run: dry %v, %d created, %d updated, mode %s; want 3 created, 1 updated, overwrite", im.DryRun, im.Created, im.Updated, im.Mode)
		}
		if n := e.countContacts(); n != 3 {
			t.Errorf("%d contacts after the run, want 3", n)
		}
		e.get("/imports/"+real).expect(t, 200, "", "Imported", "Created</dt><dd>3</dd>")
	})
}

// A mapping that names nobody, or puts two columns in one field, is
// refused beside the fields with what was chosen kept; so is an unknown
// mode. Reading the file with another delimiter shows its new columns.
func TestImportMappingErrors(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newImpEnv(t, d, impOptions{})
		id := e.uploaded("people.csv", "Vorname,Nachname,Notiz\r\nAda,Lovelace,hi\r\n")
		page := e.get("/imports/" + id)
		page.expect(t, 200, "", "3 columns")

		none := url.Values{"action": {"run"}, "columns": {"3"}, "encoding": {"utf-8"}, "delimiter": {"comma"}, "mode": {"overwrite"},
			"mapping[0]": {""}, "mapping[1]": {""}, "mapping[2]": {""}}
		r := e.post("/imports/"+id, none)
		r.expect(t, 422, "", "The import cannot start yet", "Map at least one column to a name or an email", `id="mapping-error"`,
			`<input type="radio" name="mode" value="overwrite" checked>`)

		twice := url.Values{"action": {"run"}, "columns": {"3"}, "encoding": {"utf-8"}, "delimiter": {"comma"}, "mode": {"fill"},
			"mapping[0]": {"first_name"}, "mapping[1]": {"first_name"}, "mapping[2]": {"job_title"}}
		r = e.post("/imports/"+id, twice)
		r.expect(t, 422, "", `id="mapping[1]-error"`, "both go to First name", `aria-invalid="true" aria-describedby="mapping[1]-error"`,
			`<input type="radio" name="mode" value="fill" checked>`)
		sel := impSelected(r.body)
		if sel["mapping[0]"] != "first_name" || sel["mapping[1]"] != "first_name" || sel["mapping[2]"] != "job_title" {
			t.Errorf("the chosen mapping is not kept: %v", sel)
		}

		bad := url.Values{"action": {"run"}, "columns": {"3"}, "mode": {"explode"}, "mapping[0]": {"first_name"}, "mapping[1]": {"last_name"}}
		e.post("/imports/"+id, bad).expect(t, 422, "", `id="mode-error"`, "Choose what to do with existing records")

		// Semicolons: the file has one column now, so nothing names anyone.
		r = e.post("/imports/"+id, url.Values{"action": {"format"}, "encoding": {"utf-8"}, "delimiter": {"semicolon"}, "mode": {"skip"}})
		r.expect(t, 422, "", "now has 1 column:", "Vorname,Nachname,Notiz")
		if sel := impSelected(r.body); sel["delimiter"] != "semicolon" || len(sel) != 3 {
			t.Errorf("after reading with semicolons: %v, want semicolon chosen and one column", sel)
		}
		// Back to commas: the three columns return.
		e.post("/imports/"+id, url.Values{"action": {"format"}, "encoding": {"windows-1252"}, "delimiter": {"comma"}, "mode": {"skip"},
			"columns": {"3"}}).expect(t, 303, "/imports/"+id)
		again := e.get("/imports/" + id)
		again.expect(t, 200, "", "read again as Windows-1252", "3 columns")
		if sel := impSelected(again.body); sel["encoding"] != "windows-1252" {
			t.Errorf("encoding after the change: %q", sel["encoding"])
		}

		// Enter presses the form's first submit button: it keeps every
		// choice and shows the preview with them, as "Update the preview"
		// does.
		form := again.body[strings.Index(again.body, "data-import-form"):]
		if i := strings.Index(form, `name="action"`); i < 0 || !strings.HasPrefix(form[i:], `name="action" value="save"`) {
			t.Errorf("the mapping form's first button is not the save action: %.120q", form[max(i, 0):])
		}
		again.expect(t, 200, "", "Update the preview")
		save := url.Values{"action": {"save"}, "columns": {"3"}, "encoding": {"windows-1252"}, "delimiter": {"comma"}, "mode": {"overwrite"},
			"mapping[0]": {"last_name"}, "mapping[1]": {"first_name"}, "mapping[2]": {""}}
		e.post("/imports/"+id, save).expect(t, 303, "/imports/"+id)
		saved := e.get("/imports/" + id)
		saved.expect(t, 200, "", "The preview shows the first rows with these columns", `<input type="radio" name="mode" value="overwrite" checked>`)
		if sel := impSelected(saved.body); sel["mapping[0]"] != "last_name" || sel["mapping[1]"] != "first_name" || sel["mapping[2]"] != "" {
			t.Errorf("after saving, the mapping is %v", sel)
		}
		head := saved.body[strings.Index(saved.body, "import-preview-table"):]
		head = head[:strings.Index(head, "</thead>")]
		if !strings.Contains(head, "Last name") || strings.Contains(head, "Notiz") {
			t.Errorf("the preview's columns do not follow the saved mapping: %q", head)
		}

		if im, _ := e.imp.Get(e.ctx, id); im.Status != importer.Uploaded {
			t.Errorf("status %s after refused settings, want uploaded", im.Status)
		}
		if n := e.countContacts(); n != 0 {
			t.Errorf("%d contacts imported by refused settings", n)
		}
	})
}

// Files that cannot be imported are refused with a message beside the
// file field, and nothing is kept.
func TestImportBadUploads(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newImpEnv(t, d, impOptions{})
		png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 1, 2, 3}, 64)...)
		cases := []struct {
			name, path, file string
			body             []byte
			status           int
			msg              string
		}{
			{"empty file", "/imports?object=contact", "empty.csv", nil, 422, "The file is empty."},
			{"not CSV", "/imports?object=contact", "photo.csv", png, 422, "This file is not a CSV file"},
			{"no file chosen", "/imports?object=contact", "", nil, 422, "Choose a file to import."},
			{"vCard as companies", "/imports?object=company", "people.vcf", []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nEND:VCARD\r\n"), 422, "import it as contacts"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.upload(e.client, c.path, c.file, c.body)
				r.expect(t, c.status, "", c.msg, `id="file-error"`, `aria-invalid="true"`, `enctype="multipart/form-data"`)
			})
		}
		// A file with a header and no rows is refused by the service once it
		// reads that far; until then the wizard shows its columns.
		t.Run("header only", func(t *testing.T) {
			r := e.upload(e.client, "/imports?object=contact", "header.csv", []byte("First Name,Last Name,E-mail 1 - Value\r\n"))
			if r.status == 303 {
				id := recID(t, r, "/imports/")
				if _, err := e.imp.Cancel(e.ctx, id); err != nil {
					t.Fatal(err)
				}
				os.Remove(filepath.Join(e.dataDir, "imports", id+".upload"))
				t.Skip("the import service accepts a file with a header and no rows")
			}
			r.expect(t, 422, "", `id="file-error"`, `aria-invalid="true"`)
		})

		// A form that is not an upload, and one without a file part.
		e.post("/imports?object=contact", url.Values{"file": {"x"}}).expect(t, 400, "", "The upload could not be read")
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("note", "no file here")
		mw.Close()
		e.raw(e.client, "POST", "/imports?object=contact", &buf, map[string]string{"Content-Type": mw.FormDataContentType()}).
			expect(t, 422, "", "Choose a file to import.")

		// A body announced as larger than the limit is refused before it is read.
		req, _ := http.NewRequest("POST", e.srv.URL+"/imports?object=contact", io.LimitReader(impZeros{}, 4<<20))
		req.ContentLength = importer.MaxFileSize + 2<<20
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		res, err := e.client.Do(req)
		if err != nil {
			t.Fatalf("large upload: %v", err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		response{res.StatusCode, res.Header, string(b)}.expect(t, 413, "", "larger than 1 GB")

		list, err := e.imp.List(e.ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range list {
			if im.FileName != "header.csv" {
				t.Errorf("import kept: %s", im.FileName)
			}
		}
		files, _ := os.ReadDir(filepath.Join(e.dataDir, "imports"))
		if len(files) != 0 {
			t.Errorf("%d files kept after refused uploads", len(files))
		}
	})
}

type impZeros struct{}

func (impZeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A viewer may not import; a member imports, and nobody else but admins
// sees that import. The server builds its own import service, keeping
// files in the data folder.
func TestImportPermissions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newImpEnv(t, d, impOptions{builtIn: true})
		viewer, _ := e.signIn("viewer")
		page := e.do(viewer, "GET", "/imports", nil, nil)
		page.expect(t, 200, "", "No imports yet", "Your role does not allow importing")
		if strings.Contains(page.body, "/imports/new") {
			t.Error("a viewer is offered to import")
		}
		if strings.Contains(e.do(viewer, "GET", "/contacts", nil, nil).body, "/imports/new") {
			t.Error("a viewer's contact list offers to import")
		}
		e.do(viewer, "GET", "/imports/new?object=contact", nil, nil).expect(t, 403, "", "Not allowed")
		e.do(viewer, "GET", "/imports/new?object=company", nil, nil).expect(t, 403, "")
		e.upload(viewer, "/imports?object=contact", "google.csv", []byte(impGoogle)).expect(t, 403, "")

		member, _ := e.signIn("member")
		r := e.upload(member, "/imports?object=contact", "mine.csv", []byte(impGoogle))
		id := recID(t, r, "/imports/")
		if _, err := os.Stat(filepath.Join(e.dataDir, "imports", id+".upload")); err != nil {
			t.Errorf("the upload is not in the data folder: %v", err)
		}
		e.do(member, "GET", "/imports/"+id, nil, nil).expect(t, 200, "", "mine.csv")
		e.do(member, "GET", "/imports", nil, nil).expect(t, 200, "", "mine.csv")
		other, _ := e.signIn("member")
		e.do(other, "GET", "/imports/"+id, nil, nil).expect(t, 404, "")
		e.do(other, "POST", "/imports/"+id, url.Values{"action": {"run"}}, nil).expect(t, 404, "")
		e.do(other, "GET", "/imports/"+id+"/rejected.csv", nil, nil).expect(t, 404, "")
		e.do(other, "POST", "/imports/"+id+"/undo", nil, nil).expect(t, 404, "")
		if strings.Contains(e.do(other, "GET", "/imports", nil, nil).body, "mine.csv") {
			t.Error("another member sees the import in their list")
		}
		e.do(viewer, "GET", "/imports/"+id, nil, nil).expect(t, 404, "")
		e.get("/imports/"+id).expect(t, 200, "", "mine.csv")

		// Without a running job queue the import cannot start, and says so.
		form := impForm(e.do(member, "GET", "/imports/"+id, nil, nil).body, "run")
		e.do(member, "POST", "/imports/"+id, form, nil).expect(t, 503, "", "Imports are not running")
	})
}

// While an import waits or runs its page shows a progress bar that htmx
// polls, and a Cancel button.
func TestImportProgressAndCancel(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newImpEnv(t, d, impOptions{idle: true})
		id := e.uploaded("google.csv", impGoogle)
		e.post("/imports/"+id, impForm(e.get("/imports/"+id).body, "run")).expect(t, 303, "/imports/"+id)
		page := e.get("/imports/" + id)
		page.expect(t, 200, "", "Importing", `<progress id="import-bar" class="import-bar" max="100" value="0"`,
			`hx-get="/imports/`+id+`/progress" hx-trigger="every 1s"`, `aria-live="polite"`, "Waiting to start: 0% · 0 rows",
			`action="/imports/`+id+`/cancel"`)
		if page.header.Get("Refresh") == "" {
			t.Error("without JavaScript the progress page does not reload itself")
		}
		prog := e.do(e.client, "GET", "/imports/"+id+"/progress", nil, map[string]string{"HX-Request": "true"})
		prog.expect(t, 200, "", `id="import-status" hx-swap-oob="innerHTML"`, "Waiting to start")
		if prog.header.Get("HX-Refresh") != "" {
			t.Error("the poll of a waiting import reloads the page")
		}
		// Its settings are fixed now.
		e.post("/imports/"+id, impForm(page.body, "run")).expect(t, 303, "/imports/"+id)

		e.post("/imports/"+id+"/cancel", nil).expect(t, 303, "/imports/"+id)
		done := e.get("/imports/" + id)
		done.expect(t, 200, "", "The import was canceled", "Canceled")
		if strings.Contains(done.body, `hx-trigger="every 1s"`) || strings.Contains(done.body, "Undo this import") {
			t.Error("a canceled import that imported nothing still polls or offers undo")
		}
		if im, _ := e.imp.Get(e.ctx, id); im.Status != importer.Canceled {
			t.Errorf("status %s, want canceled", im.Status)
		}
	})
}

// The list shows each import's status and counts, newest first.
func TestImportListShowsCounts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newImpEnv(t, d, impOptions{})
		var ids []string
		for i := range 2 {
			ids = append(ids, e.uploaded(fmt.Sprintf("file-%d.csv", i), impGoogle))
		}
		e.post("/imports/"+ids[1], impForm(e.get("/imports/"+ids[1]).body, "run")).expect(t, 303, "/imports/"+ids[1])
		e.wait(ids[1])
		list := e.get("/imports")
		list.expect(t, 200, "", "file-0.csv", "Waiting for its mapping", "file-1.csv", "Done", `data-label="Created">3</td>`)
		if strings.Index(list.body, "file-1.csv") > strings.Index(list.body, "file-0.csv") {
			t.Error("the list is not newest first")
		}
	})
}
