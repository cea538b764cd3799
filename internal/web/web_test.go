package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/api"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
	"github.com/rapportcrm/rapport/internal/web"
)

// site is a running server over a real database and a browser-like client
// that keeps cookies and does not follow redirects.
type site struct {
	t      *testing.T
	db     *db.DB
	srv    *httptest.Server
	client *http.Client
}

func newSite(t *testing.T, d *db.DB, baseURL string) *site {
	t.Helper()
	return &site{t: t, db: d, srv: newTestServer(t, d, baseURL), client: newClient()}
}

// newTestServer runs the whole application handler over d on loopback.
func newTestServer(t testing.TB, d *db.DB, baseURL string) *httptest.Server {
	t.Helper()
	cfg := config.Default()
	cfg.BaseURL = baseURL
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	users := user.NewService(d)
	contacts := contact.NewService(d, users)
	companies := company.NewService(d, users)
	s, err := web.New(web.Options{Config: cfg, DB: d, Users: users,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Contacts: contacts, Companies: companies, Activities: activity.NewService(d, contacts, companies),
		Fields: customfield.NewService(d), Views: view.NewService(d), Audit: audit.NewService(d),
		API: api.New(api.Options{DB: d, Contacts: contacts, Companies: companies,
			Activities: activity.NewService(d, contacts, companies), Fields: customfield.NewService(d),
			Views: view.NewService(d), Audit: audit.NewService(d)})})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (s *site) do(c *http.Client, method, path string, form url.Values, header map[string]string) response {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.srv.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

func (s *site) get(path string) response { return s.do(s.client, "GET", path, nil, nil) }
func (s *site) post(path string, form url.Values) response {
	return s.do(s.client, "POST", path, form, nil)
}

func (r response) expect(t *testing.T, status int, location string, contains ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d; body: %.300s", r.status, status, r.body)
	}
	if location != "" && r.header.Get("Location") != location {
		t.Errorf("Location %q, want %q", r.header.Get("Location"), location)
	}
	for _, c := range contains {
		if !strings.Contains(r.body, c) {
			t.Errorf("body lacks %q; body: %.600s", c, r.body)
		}
	}
}

// signedIn returns a site whose client is signed in as the owner Olga,
// created through /setup.
func signedIn(t *testing.T, d *db.DB) *site {
	t.Helper()
	s := newSite(t, d, "http://127.0.0.1:8080")
	s.post("/setup", owner).expect(t, 303, "/")
	return s
}

var owner = url.Values{"name": {"Olga Owner"}, "email": {"olga@example.com"}, "password": {"a long enough secret"}}

func TestSetup(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d, "http://127.0.0.1:8080")
		s.get("/").expect(t, 303, "/setup")
		s.get("/login").expect(t, 303, "/setup")
		s.get("/setup").expect(t, 200, "", "Create owner account")

		cases := []struct {
			name  string
			form  url.Values
			field string
			msg   string
			keeps string
		}{
			{"bad email", url.Values{"name": {"Olga"}, "email": {"olga@"}, "password": {"a long enough secret"}}, "email", "Enter an email address like name@example.com.", `value="Olga"`},
			{"short password", url.Values{"name": {"Olga"}, "email": {"olga@example.com"}, "password": {"short"}}, "password", "Use at least 10 characters.", `value="olga@example.com"`},
			{"no name", url.Values{"name": {""}, "email": {"olga@example.com"}, "password": {"a long enough secret"}}, "name", "Enter a name.", `value="olga@example.com"`},
			{"script in name", url.Values{"name": {"<script>alert(1)</script>"}, "email": {"x"}, "password": {"a long enough secret"}}, "email", "Enter an email", `&lt;script&gt;alert(1)&lt;/script&gt;`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := s.post("/setup", c.form)
				r.expect(t, 422, "", c.msg, c.keeps, `id="`+c.field+`-error"`)
				if strings.Contains(r.body, "<script>alert") {
					t.Error("user input rendered as live HTML")
				}
			})
		}
		if n, _ := user.NewService(d).Count(context.Background()); n != 0 {
			t.Fatalf("%d users after invalid setups, want 0", n)
		}

		s.post("/setup", owner).expect(t, 303, "/")
		s.get("/").expect(t, 200, "", "Good to see you, Olga Owner", "Your owner account is ready", "Getting started",
			`href="/imports/new?object=contact"`, `href="/settings/users"`)

		// The flash is shown once.
		if r := s.get("/"); strings.Contains(r.body, "Your owner account is ready") {
			t.Error("flash shown twice")
		}
		// Setup is gone for everyone once an owner exists.
		s.get("/setup").expect(t, 404, "", "Page not found")
		anon := newClient()
		s.do(anon, "GET", "/setup", nil, nil).expect(t, 404, "")
		s.do(anon, "POST", "/setup", url.Values{"name": {"Eve"}, "email": {"eve@example.com"}, "password": {"another secret!"}}, nil).expect(t, 404, "")
		s.do(anon, "GET", "/", nil, nil).expect(t, 303, "/login")
		if n, _ := user.NewService(d).Count(context.Background()); n != 1 {
			t.Errorf("%d users, want 1", n)
		}
	})
}

func sessionCookie(s *site) string {
	u, _ := url.Parse(s.srv.URL)
	for _, c := range s.client.Jar.Cookies(u) {
		if c.Name == "rapport_session" {
			return c.Value
		}
	}
	return ""
}

func TestLoginAndLogout(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d, "http://127.0.0.1:8080")
		s.post("/setup", owner).expect(t, 303, "/")
		s.post("/logout", nil).expect(t, 303, "/login")
		s.get("/").expect(t, 303, "/login")
		s.get("/contacts").expect(t, 303, "/login?next=%2Fcontacts")

		before := s.get("/login")
		before.expect(t, 200, "", "Sign in to Rapport")
		tokenBefore := sessionCookie(s)

		cases := []struct {
			name   string
			form   url.Values
			status int
			msg    string
		}{
			{"empty", url.Values{"email": {""}, "password": {""}}, 422, "Enter your email address."},
			{"wrong password", url.Values{"email": {"olga@example.com"}, "password": {"not the secret"}}, 401, "Email or password is incorrect."},
			{"unknown email", url.Values{"email": {"nobody@example.com"}, "password": {"a long enough secret"}}, 401, "Email or password is incorrect."},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				s.post("/login", c.form).expect(t, c.status, "", c.msg, `value="`+c.form.Get("email")+`"`)
			})
		}

		s.post("/login", url.Values{"email": {"OLGA@example.com"}, "password": {"a long enough secret"}, "next": {"/contacts"}}).
			expect(t, 303, "/contacts")
		if after := sessionCookie(s); after == "" || after == tokenBefore {
			t.Errorf("session token not rotated at login: before %q, after %q", tokenBefore, after)
		}
		s.get("/contacts").expect(t, 200, "", "Contacts", "Not built yet")
		// An open redirect through next is refused.
		s.post("/logout", nil)
		s.post("/login", url.Values{"email": {"olga@example.com"}, "password": {"a long enough secret"}, "next": {"//evil.example"}}).
			expect(t, 303, "/")

		// Logging out deletes the session on the server, not just the cookie.
		stolen := sessionCookie(s)
		s.post("/logout", nil).expect(t, 303, "/login")
		thief := newClient()
		u, _ := url.Parse(s.srv.URL)
		thief.Jar.SetCookies(u, []*http.Cookie{{Name: "rapport_session", Value: stolen}})
		s.do(thief, "GET", "/", nil, nil).expect(t, 303, "/login")
	})
}

func TestLoginThrottled(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d, "http://127.0.0.1:8080")
		s.post("/setup", owner)
		s.post("/logout", nil)
		bad := url.Values{"email": {"olga@example.com"}, "password": {"guess guess guess"}}
		for i := 0; i < 5; i++ {
			s.post("/login", bad).expect(t, 401, "")
		}
		// Locked now, even with the right password, from any client.
		r := s.do(newClient(), "POST", "/login", owner, nil)
		r.expect(t, 429, "", "Too many failed sign-ins. Try again in 15 minutes.")
		if r.header.Get("Retry-After") == "" {
			t.Error("no Retry-After header")
		}
		// Another account from the same address is not locked yet.
		s.post("/login", url.Values{"email": {"other@example.com"}, "password": {"guess guess"}}).expect(t, 401, "")
		// The lock lives in the database, so a second process sees it.
		s2 := newSite(t, d, "http://127.0.0.1:8080")
		s2.post("/login", owner).expect(t, 429, "")
	})
}

func TestCrossOriginPostRefused(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d, "http://127.0.0.1:8080")
		cross := map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
		s.do(s.client, "POST", "/setup", owner, cross).expect(t, 403, "", "came from another site")
		s.do(s.client, "POST", "/setup", owner, map[string]string{"Origin": "http://evil.example"}).expect(t, 403, "")
		if n, _ := user.NewService(d).Count(context.Background()); n != 0 {
			t.Fatalf("cross-origin setup created %d users", n)
		}
		// The same request from the site itself goes through.
		s.do(s.client, "POST", "/setup", owner, map[string]string{"Sec-Fetch-Site": "same-origin"}).expect(t, 303, "/")
		s.do(s.client, "POST", "/logout", nil, cross).expect(t, 403, "")
		s.get("/").expect(t, 200, "", "Good to see you")
	})
}

func TestSecurityHeadersAndCookies(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	for _, base := range []string{"http://127.0.0.1:8080", "https://crm.example.com"} {
		t.Run(base, func(t *testing.T) {
			s := newSite(t, d, base)
			r := s.get("/login")
			for k, want := range map[string]string{
				"Content-Security-Policy": "script-src 'self'",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "same-origin",
				"X-Request-Id":            "",
			} {
				if got := r.header.Get(k); got == "" || !strings.Contains(got, want) {
					t.Errorf("%s = %q, want it to contain %q", k, got, want)
				}
			}
			if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP %q", csp)
			}
			if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " onclick=") {
				t.Error("page has inline script")
			}
		})
	}
	// The session cookie is HttpOnly and SameSite=Lax, and Secure under https.
	for _, c := range []struct {
		base   string
		secure bool
	}{{"http://127.0.0.1:8080", false}, {"https://crm.example.com", true}} {
		d := dbtest.Open(t, db.SQLite)
		s := newSite(t, d, c.base)
		req, _ := http.NewRequest("POST", s.srv.URL+"/setup", strings.NewReader(owner.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		set := res.Header.Get("Set-Cookie")
		if !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Lax") || strings.Contains(set, "Secure") != c.secure {
			t.Errorf("%s: Set-Cookie %q, want HttpOnly, SameSite=Lax, Secure=%v", c.base, set, c.secure)
		}
	}
}

func TestReadyz(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d, "http://127.0.0.1:8080")
		s.get("/healthz").expect(t, 200, "", "ok")
		s.get("/readyz").expect(t, 200, "", "ready")
		d.Close()
		s.get("/readyz").expect(t, 503, "", "database unreachable")
		s.get("/healthz").expect(t, 200, "")
	})
	for _, e := range dbtest.Engines() {
		t.Run(string(e)+"/pending", func(t *testing.T) {
			d := dbtest.OpenUnmigrated(t, dbtest.Source(t, e))
			s := newSite(t, d, "http://127.0.0.1:8080")
			s.get("/readyz").expect(t, 503, "", "migrations pending")
		})
	}
}

func TestPagesAndMetrics(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	s := newSite(t, d, "http://127.0.0.1:8080")
	s.get("/no/such/page").expect(t, 404, "", "Page not found")
	s.post("/setup", owner)
	home := s.get("/")
	home.expect(t, 200, "", `href="#main"`, "Skip to content", `aria-label="Main"`, "Sign out", "soon")
	for _, section := range []string{"Contacts", "Companies", "Deals", "Tasks", "Marketing", "Service", "Reports", "Settings"} {
		if !strings.Contains(home.body, section) {
			t.Errorf("navigation lacks %s", section)
		}
	}
	// htmx requests get the fragment only.
	frag := s.do(s.client, "GET", "/marketing", nil, map[string]string{"HX-Request": "true"})
	frag.expect(t, 200, "", "Not built yet")
	if strings.Contains(frag.body, "<html") {
		t.Error("htmx request got the whole layout")
	}
	// Static files are served under their content hash, cached for good.
	i := strings.Index(home.body, "/static/")
	j := strings.Index(home.body[i:], `"`)
	st := s.get(home.body[i : i+j])
	st.expect(t, 200, "")
	if cc := st.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("static Cache-Control %q", cc)
	}
	s.get("/static/0000000000/css/app.css").expect(t, 200, "")
	s.get("/static/x/..%2F..%2Fgo.mod").expect(t, 404, "")
	s.get("/static/x/css/missing.css").expect(t, 404, "")

	m := s.get("/metrics")
	m.expect(t, 200, "", `rapport_http_requests_total{code="200",method="GET",route="GET /{$}"}`,
		`rapport_http_requests_total{code="404",method="GET",route="/"}`, "rapport_http_request_duration_seconds_bucket")
}

// The home page sends only those who may invite people to Settings → Users.
func TestHomeInviteLinkFollowsRole(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		s.get("/").expect(t, 200, "", "Getting started", `href="/settings/users"`)
		member := signedInAs(t, s, "member")
		r := s.do(member, "GET", "/", nil, nil)
		r.expect(t, 200, "", "Getting started", `href="/contacts/new"`)
		if strings.Contains(r.body, `href="/settings/users"`) {
			t.Error("a member's home page links to Settings → Users")
		}
	})
}
