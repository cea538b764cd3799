package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
)

// env is the API over a real database behind a tiny middleware that puts
// the actor named by the X-Test-Actor header into the context, as the
// web server's session middleware does. Every exchange is checked against
// the OpenAPI document.
type env struct {
	t     *testing.T
	d     *db.DB
	api   *API
	srv   *httptest.Server
	ctx   context.Context // acts as the owner, for setting up data through the services
	owner user.User

	mu     sync.Mutex // guards actors, read by the server's goroutines
	actors map[string]access.Actor

	contacts  *contact.Service
	companies *company.Service
	fields    *customfield.Service
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	users := user.NewService(d)
	e := &env{t: t, d: d, actors: map[string]access.Actor{},
		contacts: contact.NewService(d, users), companies: company.NewService(d, users),
		fields: customfield.NewService(d)}
	e.api = New(Options{DB: d, Contacts: e.contacts, Companies: e.companies,
		Activities: activity.NewService(d, e.contacts, e.companies), Fields: e.fields, Views: view.NewService(d), Audit: audit.NewService(d)})
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		a, ok := e.actors[r.Header.Get("X-Test-Actor")]
		e.mu.Unlock()
		if ok {
			r = r.WithContext(access.WithActor(r.Context(), a))
		}
		e.api.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.ctx, e.owner = fixture.User(t, d, "owner")
	return e
}

// client sends requests as one user (or as nobody).
type client struct {
	e     *env
	token string
	// header is sent with every request (Authorization, Idempotency-Key).
	header map[string]string
}

func (e *env) as(u user.User) *client {
	e.mu.Lock()
	e.actors[u.ID] = u.Actor()
	e.mu.Unlock()
	return &client{e: e, token: u.ID}
}

func (e *env) owned() *client { return e.as(e.owner) }

// user adds a user with role and returns a client acting as them.
func (e *env) user(role string) *client {
	_, u := fixture.User(e.t, e.d, role)
	return e.as(u)
}

func (e *env) anonymous() *client { return &client{e: e} }

// result is an answer with its body read.
type result struct {
	status int
	header http.Header
	body   []byte
}

// do sends body (a string is sent as it is, anything else as JSON) and
// validates the exchange against the OpenAPI document.
func (c *client) do(t *testing.T, method, path string, body any) result {
	t.Helper()
	r, req := c.send(t, method, path, body)
	checkExchange(t, req, r)
	return r
}

// send sends body without checking the exchange against the document; it
// returns a copy of the request for checking.
func (c *client) send(t *testing.T, method, path string, body any) (result, *http.Request) {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req := c.request(t, method, path, raw)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return result{status: res.StatusCode, header: res.Header, body: out}, c.request(t, method, path, raw)
}

func (c *client) request(t *testing.T, method, path string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	// The document requires the session cookie; the actor travels in the
	// test header.
	req.AddCookie(&http.Cookie{Name: "rapport_session", Value: "test"})
	if c.token != "" {
		req.Header.Set("X-Test-Actor", c.token)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	return req
}

func (c *client) get(t *testing.T, path string) result { t.Helper(); return c.do(t, "GET", path, nil) }
func (c *client) post(t *testing.T, path string, body any) result {
	t.Helper()
	return c.do(t, "POST", path, body)
}
func (c *client) patch(t *testing.T, path string, body any) result {
	t.Helper()
	return c.do(t, "PATCH", path, body)
}
func (c *client) delete(t *testing.T, path string) result {
	t.Helper()
	return c.do(t, "DELETE", path, nil)
}

// expect checks the status; for errors it also checks the problem shape
// and that every field in fields is named in it.
func (r result) expect(t *testing.T, status int, fields ...string) result {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %.600s", r.status, status, r.body)
	}
	if status < 400 {
		return r
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	p := r.problem(t)
	if p.Status != status || p.Title != http.StatusText(status) || p.Detail == "" || p.Type == "" || p.Errors == nil {
		t.Errorf("problem %+v does not have type, title, status %d, detail and errors", p, status)
	}
	for _, f := range fields {
		if msg := p.message(f); msg == "" {
			t.Errorf("problem does not name field %q: %s", f, r.body)
		}
	}
	return r
}

func (r result) problem(t *testing.T) Problem {
	t.Helper()
	var p Problem
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("not a problem: %v: %s", err, r.body)
	}
	return p
}

func (p Problem) message(field string) string {
	for _, f := range p.Errors {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

func (r result) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, r.body)
	}
}

// checkResponse validates the response alone against the OpenAPI document.
func checkResponse(t *testing.T, req *http.Request, r result) {
	t.Helper()
	res := &http.Response{StatusCode: r.status, Header: r.header, Body: io.NopCloser(bytes.NewReader(r.body)),
		Request: req}
	if ok, errs := specValidator(t).ValidateHttpResponse(req, res); !ok {
		for _, e := range errs {
			t.Errorf("%s %s (%d) does not match the OpenAPI document: %s", req.Method, req.URL.Path, r.status, describe(e))
		}
	}
}

// checkExchange validates the response against the OpenAPI document, and
// the request too when it succeeded (requests that are meant to break
// the rules are refused by the spec as well as by the API).
func checkExchange(t *testing.T, req *http.Request, r result) {
	t.Helper()
	res := &http.Response{StatusCode: r.status, Header: r.header, Body: io.NopCloser(bytes.NewReader(r.body)),
		Request: req}
	v := specValidator(t)
	var ok bool
	var errs []*verrors.ValidationError
	if r.status < 400 {
		ok, errs = v.ValidateHttpRequestResponse(req, res)
	} else {
		ok, errs = v.ValidateHttpResponse(req, res)
	}
	if !ok {
		for _, e := range errs {
			t.Errorf("%s %s (%d) does not match the OpenAPI document: %s", req.Method, req.URL.Path, r.status, describe(e))
		}
	}
}

var (
	validatorOnce sync.Once
	theValidator  validator.Validator
	validatorErrs []error
)

// specValidator validates exchanges against the API's document. The
// document depends only on the Go types, so one serves every test.
func specValidator(t *testing.T) validator.Validator {
	t.Helper()
	validatorOnce.Do(func() {
		b, err := New(Options{}).spec()
		if err != nil {
			validatorErrs = []error{err}
			return
		}
		doc, err := libopenapi.NewDocument(b)
		if err != nil {
			validatorErrs = []error{err}
			return
		}
		theValidator, validatorErrs = validator.NewValidator(doc, config.WithFormatAssertions())
	})
	if len(validatorErrs) > 0 {
		t.Fatalf("build the OpenAPI validator: %v", validatorErrs)
	}
	return theValidator
}

func describe(e *verrors.ValidationError) string {
	var b strings.Builder
	b.WriteString(e.Message + ": " + e.Reason)
	for _, f := range e.SchemaValidationErrors {
		b.WriteString("; " + f.FieldPath + ": " + f.Reason)
	}
	return b.String()
}
