package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/activity"
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

// TestThroughTheWebServer runs the API as `rapport serve` does: mounted by
// the web server, signed in with a real session cookie from /setup.
func TestThroughTheWebServer(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		cfg := config.Default()
		cfg.BaseURL = "http://127.0.0.1:8080"
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		users := user.NewService(d)
		contacts, companies := contact.NewService(d, users), company.NewService(d, users)
		activities, fields, views := activity.NewService(d, contacts, companies), customfield.NewService(d), view.NewService(d)
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		s, err := web.New(web.Options{Config: cfg, DB: d, Users: users, Logger: logger,
			Contacts: contacts, Companies: companies, Activities: activities, Fields: fields, Views: views,
			API: New(Options{DB: d, Contacts: contacts, Companies: companies, Activities: activities,
				Fields: fields, Views: views, Logger: logger})})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s.Handler())
		t.Cleanup(srv.Close)
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		anon := &http.Client{}

		send := func(c *http.Client, method, path, body string) result {
			t.Helper()
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			r := result{status: res.StatusCode, header: res.Header, body: b}
			if strings.HasPrefix(path, Prefix) {
				req, _ = http.NewRequest(method, srv.URL+path, strings.NewReader(body))
				req.Header = res.Request.Header.Clone()
				checkExchange(t, req, r)
			}
			return r
		}

		// Before anyone signs in: the document is public, the API is not.
		if r := send(anon, "GET", SpecPath, ""); r.status != 200 {
			t.Errorf("GET %s without a session: %d", SpecPath, r.status)
		}
		send(anon, "GET", "/api/v1/contacts", "").expect(t, 401)

		form := url.Values{"name": {"Olga Owner"}, "email": {"olga@example.com"}, "password": {"a long enough secret"}}
		res, err := browser.PostForm(srv.URL+"/setup", form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 303 {
			t.Fatalf("POST /setup: %d", res.StatusCode)
		}

		var c Contact
		send(browser, "POST", "/api/v1/contacts", `{"first_name": "Ada", "emails": [{"address": "ada@example.com"}]}`).
			expect(t, 201).decode(t, &c)
		if c.CreatedBy == "" {
			t.Error("created_by is empty: the session's user did not reach the service")
		}
		var page ContactPage
		send(browser, "GET", "/api/v1/contacts", "").expect(t, 200).decode(t, &page)
		if len(page.Data) != 1 || page.Data[0].ID != c.ID {
			t.Errorf("list %+v", page)
		}
		send(browser, "POST", "/api/v1/contacts", `{"first_name": "Ada", "emails": [{"address": "ADA@example.com"}]}`).
			expect(t, 409, "emails[0]")
		send(browser, "GET", "/api/v1/contacts/"+c.ID+"/timeline", "").expect(t, 200)

		// The same requests without the cookie, and after signing out.
		send(anon, "GET", "/api/v1/contacts/"+c.ID, "").expect(t, 401)
		send(anon, "DELETE", "/api/v1/contacts/"+c.ID, "").expect(t, 401)
		if r, _ := browser.PostForm(srv.URL+"/logout", nil); r != nil {
			r.Body.Close()
		}
		send(browser, "GET", "/api/v1/contacts", "").expect(t, 401)

		// Paths the API does not have answer in its format, not as pages.
		r := send(anon, "GET", "/api/v2/contacts", "")
		var p Problem
		if json.Unmarshal(r.body, &p); r.status != 404 || p.Status != 404 || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET /api/v2/contacts: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
		}
	})
}
