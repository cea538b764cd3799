package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/bulk"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
	"github.com/rapportcrm/rapport/internal/web"
)

// listEnv is a site signed in as the owner Olga, with a job queue that
// works bulk jobs, and the services to seed it.
type listEnv struct {
	*site
	ctx       context.Context // acting as Olga
	olga      user.User
	contacts  *contact.Service
	companies *company.Service
	fields    *customfield.Service
}

func newListEnv(t *testing.T, d *db.DB) *listEnv {
	t.Helper()
	cfg := config.Default()
	cfg.BaseURL = "http://127.0.0.1:8080"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	users := user.NewService(d)
	contacts := contact.NewService(d, users)
	companies := company.NewService(d, users)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ws := river.NewWorkers()
	river.AddWorker(ws, bulk.NewWorker(bulk.NewService(bulk.Options{DB: d, Contacts: contacts, Companies: companies, Users: users}), 0))
	q, err := jobs.New(d, jobs.Options{Workers: ws, Logger: quiet, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	s, err := web.New(web.Options{Config: cfg, DB: d, Users: users, Logger: quiet, Jobs: q,
		Contacts: contacts, Companies: companies, Activities: activity.NewService(d, contacts, companies),
		Fields: customfield.NewService(d), Views: view.NewService(d)})
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
	return &listEnv{site: st, ctx: fixture.As(list[0]), olga: list[0], contacts: contacts, companies: companies,
		fields: customfield.NewService(d)}
}

// person creates a contact through the service.
func (e *listEnv) person(in contact.Input) contact.Contact {
	e.t.Helper()
	c, err := e.contacts.Create(e.ctx, in)
	if err != nil {
		e.t.Fatalf("create contact: %v", err)
	}
	return c
}

// signIn returns a client signed in as a new user with role.
func (e *listEnv) signIn(role string) (*listClient, user.User) {
	e.t.Helper()
	_, u := fixture.User(e.t, e.db, role)
	c := newClient()
	e.do(c, "POST", "/login", url.Values{"email": {u.Email}, "password": {fixture.Password}}, nil).expect(e.t, 303, "/")
	return &listClient{e: e, c: c}, u
}

// listClient is another signed-in browser on the same site.
type listClient struct {
	e *listEnv
	c *http.Client
}

func (c *listClient) get(path string) response { return c.e.do(c.c, "GET", path, nil, nil) }

func (c *listClient) post(path string, form url.Values) response {
	return c.e.do(c.c, "POST", path, form, nil)
}

// hx sends an htmx GET.
func (e *listEnv) hx(path string) response {
	return e.do(e.client, "GET", path, nil, map[string]string{"HX-Request": "true"})
}

// listFilterURL is path with filter f as the URL holds it.
func listFilterURL(path string, f query.Group, extra ...string) string {
	b, _ := json.Marshal(f)
	v := url.Values{"filter": {string(b)}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return path + "?" + v.Encode()
}

func lcond(field string, op query.Op, vals ...string) query.Condition {
	c := query.Condition{Field: field, Op: op}
	if len(vals) == 1 {
		c.Value = vals[0]
	} else {
		c.Values = vals
	}
	return c
}

func lwhere(conds ...query.Condition) query.Group { return query.Group{Conditions: conds} }

var listLinkPattern = regexp.MustCompile(`<a class="list-name" href="/(?:contacts|companies)/([0-9a-f-]{36})">([^<]*)</a>`)

// listRowNames returns the names of the rows of a list page, in order.
func listRowNames(body string) []string {
	var out []string
	for _, m := range listLinkPattern.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[2]))
	}
	return out
}

func listRowIDs(body string) []string {
	var out []string
	for _, m := range listLinkPattern.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// link returns the href of the link marked rel, "" if none.
func listLink(body, rel string) string {
	m := regexp.MustCompile(`rel="` + rel + `" href="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func listSame(got []string, want ...string) bool {
	return strings.Join(got, "|") == strings.Join(want, "|")
}

func TestListDefaultPage(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newListEnv(t, d)
		e.do(newClient(), "GET", "/contacts", nil, nil).expect(t, 303, "/login?next=%2Fcontacts")
		e.get("/contacts").expect(t, 200, "", "No contacts yet", `href="/contacts/new"`, "Add your first contact", `href="/imports/new?object=contact"`, "Import contacts from a file", `href="/contacts/duplicates"`)
		e.get("/companies").expect(t, 200, "", "No companies yet", `href="/companies/new"`, "Add your first company", "Import companies from a file")

		acme, err := e.companies.Create(e.ctx, company.Input{Name: fixture.Ptr("Acme"), Domain: fixture.Ptr("acme.example"),
			Industry: fixture.Ptr("Anvils"), Size: fixture.Ptr("11-50"), OwnerID: fixture.Ptr(e.olga.ID), Tags: &[]string{"key"}})
		if err != nil {
			t.Fatal(err)
		}
		e.person(contact.Input{FirstName: fixture.Ptr("Ada"), LastName: fixture.Ptr("Lovelace"),
			Emails: &[]contact.Email{{Address: "ada@example.com"}}, CompanyIDs: &[]string{acme.ID},
			Stage: fixture.Ptr("customer"), OwnerID: fixture.Ptr(e.olga.ID), Tags: &[]string{"vip"}})
		e.person(contact.Input{FirstName: fixture.Ptr("<b>Bold</b>")})

		r := e.get("/contacts")
		r.expect(t, 200, "", "Ada Lovelace", "ada@example.com", `href="/companies/`+acme.ID+`"`, "Customer",
			"Olga Owner", `<span class="list-tag">vip</span>`, "&lt;b&gt;Bold&lt;/b&gt;",
			`hx-get="/contacts/count"`, `hx-trigger="load"`, `name="id" value=`, `data-label="Email"`)
		if strings.Contains(r.body, "<b>Bold</b>") {
			t.Error("a contact's name rendered as HTML")
		}
		var heads []string
		for _, m := range regexp.MustCompile(`<th scope="col"[^>]*>(?:<a [^>]*>)?([^<]+)`).FindAllStringSubmatch(r.body, -1) {
			heads = append(heads, m[1])
		}
		if want := "Name|Email|Phone|Company|Lifecycle stage|Owner|Tags|Updated"; strings.Join(heads, "|") != want {
			t.Errorf("contact columns %q, want %q", strings.Join(heads, "|"), want)
		}
		if !strings.Contains(r.body, `aria-sort="descending"><a href="/contacts?sort=updated_at"`) {
			t.Error("the Updated column is not marked as the descending sort with a link to reverse it")
		}
		if got := listRowNames(r.body); !listSame(got, "<b>Bold</b>", "Ada Lovelace") {
			t.Errorf("rows %q, want newest first", got)
		}

		c := e.get("/companies")
		c.expect(t, 200, "", "Acme", "acme.example", "Anvils", "11-50", `aria-sort="ascending"`)
		heads = nil
		for _, m := range regexp.MustCompile(`<th scope="col"[^>]*>(?:<a [^>]*>)?([^<]+)`).FindAllStringSubmatch(c.body, -1) {
			heads = append(heads, m[1])
		}
		if want := "Name|Domain|Industry|Size|City|Owner|Tags"; strings.Join(heads, "|") != want {
			t.Errorf("company columns %q, want %q", strings.Join(heads, "|"), want)
		}

		// htmx gets the content only; the history restore gets the page.
		frag := e.hx("/contacts")
		frag.expect(t, 200, "", "Ada Lovelace")
		if strings.Contains(frag.body, "<html") {
			t.Error("htmx request got the layout")
		}
		restore := e.do(e.client, "GET", "/contacts", nil, map[string]string{"HX-Request": "true", "HX-History-Restore-Request": "true"})
		restore.expect(t, 200, "", "<html", "Ada Lovelace")

		// The column chooser: pick and order columns, kept in the URL.
		cc := e.get("/contacts?cc=apply&col=email&col=name&col=job_title")
		cc.expect(t, 303, "/contacts?cols=email%2Cname%2Cjob_title")
		moved := e.get("/contacts?cols=email%2Cname&cc=down:email&col=email&col=name")
		moved.expect(t, 200, "", "Job title")
		heads = nil
		for _, m := range regexp.MustCompile(`<th scope="col"[^>]*>(?:<a [^>]*>)?([^<]+)`).FindAllStringSubmatch(moved.body, -1) {
			heads = append(heads, m[1])
		}
		if strings.Join(heads, "|") != "Name|Email" {
			t.Errorf("after moving email down: columns %q, want Name|Email", heads)
		}
		e.get("/contacts?cols=nonsense%2Cjob_title").expect(t, 200, "", `data-label="Job title"`)
	})
}

// Next and previous links walk 120 contacts, each exactly once, in pages
// of 50, both ways.
func TestListPaging(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newListEnv(t, d)
		for i := range 120 {
			e.person(contact.Input{FirstName: fixture.Ptr(fmt.Sprintf("P%03d", i)), Stage: fixture.Ptr([]string{"lead", "customer"}[i%2])})
		}
		for _, sort := range []string{"", "name", "-lifecycle_stage"} {
			t.Run("sort="+sort, func(t *testing.T) {
				path := "/contacts?sort=" + sort
				seen := map[string]int{}
				var pages []string
				var sizes []int
				for path != "" {
					r := e.get(path)
					r.expect(t, 200, "")
					ids := listRowIDs(r.body)
					for _, id := range ids {
						seen[id]++
					}
					sizes = append(sizes, len(ids))
					pages = append(pages, path)
					if strings.Contains(r.body, "OFFSET") {
						t.Error("OFFSET in a page")
					}
					path = listLink(r.body, "next")
				}
				if fmt.Sprint(sizes) != "[50 50 20]" || len(seen) != 120 {
					t.Fatalf("pages of %v, %d distinct contacts; want [50 50 20] and 120", sizes, len(seen))
				}
				for id, n := range seen {
					if n != 1 {
						t.Errorf("%s shown %d times", id, n)
					}
				}
				// Back from the last page.
				back := map[string]int{}
				path = pages[len(pages)-1]
				for range 3 {
					r := e.get(path)
					for _, id := range listRowIDs(r.body) {
						back[id]++
					}
					path = listLink(r.body, "prev")
					if path == "" {
						break
					}
				}
				if len(back) != 120 {
					t.Errorf("walking back saw %d contacts, want 120", len(back))
				}
				if path != "" {
					t.Errorf("the first page reached backwards still has a previous link %q", path)
				}
			})
		}
	})
}

func TestListCount(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newListEnv(t, d)
		e.seats(t)
		e.hx("/contacts/count").expect(t, 200, "", `<span id="list-count" class="list-count" data-count="4">4 contacts</span>`)
		e.hx(listFilterURL("/contacts/count", lwhere(lcond("name", query.Is, "Ada")))).expect(t, 200, "", ">1 contact<")
		e.get("/contacts/count").expect(t, 200, "", "4 contacts", "<html", "Back to the list")

		// Past the cap the first answer comes at once and asks for the rest.
		now := db.T(time.Now().UTC())
		q := `WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 10001)
			INSERT INTO contacts (id, display_name, sort_name, created_at, updated_at)
			SELECT printf('00000000-0000-7000-8000-%012d', n), 'Bulk', 'bulk', $1, $1 FROM s`
		if d.Engine == db.Postgres {
			q = `INSERT INTO contacts (id, display_name, sort_name, created_at, updated_at)
				SELECT ('00000000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid, 'Bulk', 'bulk', $1, $1
				FROM generate_series(1, 10001) n`
		}
		if _, err := d.W.Exec(q, now); err != nil {
			t.Fatal(err)
		}
		r := e.hx("/contacts/count")
		r.expect(t, 200, "", "More than 10,000 contacts", `hx-get="/contacts/count?exact=1"`, `hx-trigger="load"`, `hx-target="this"`)
		e.hx("/contacts/count?exact=1").expect(t, 200, "", "10,005 contacts")
		f := listFilterURL("/contacts/count", lwhere(lcond("name", query.Is, "bulk")))
		e.hx(f).expect(t, 200, "", "More than 10,000 contacts", "exact=1")
		e.hx(f+"&exact=1").expect(t, 200, "", "10,001 contacts")
		// The list page itself never counts: its first paint has a placeholder.
		e.get("/contacts").expect(t, 200, "", `hx-get="/contacts/count"`, "Count the matches")
	})
}
