package api

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

// TestOpenAPIDocument fetches the document as a client would, without a
// session, and validates it against the OpenAPI 3.1 specification.
func TestOpenAPIDocument(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		res, err := http.Get(e.srv.URL + SpecPath)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/vnd.oai.openapi+json") {
			t.Fatalf("GET %s: %d %s", SpecPath, res.StatusCode, res.Header.Get("Content-Type"))
		}
		doc, err := libopenapi.NewDocument(b)
		if err != nil {
			t.Fatal(err)
		}
		if v := doc.GetVersion(); v != "3.1.0" {
			t.Errorf("OpenAPI version %q, want 3.1.0", v)
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			t.Fatalf("validator: %v", errs)
		}
		if ok, verrs := v.ValidateDocument(); !ok {
			for _, e := range verrs {
				t.Errorf("invalid OpenAPI 3.1 document: %s", describe(e))
			}
		}
		model, err := doc.BuildV3Model()
		if err != nil {
			t.Fatalf("build model: %v", err)
		}
		if n := model.Model.Paths.PathItems.Len(); n < 10 {
			t.Errorf("the document describes %d paths", n)
		}
		// The document checks itself: a broken one must fail.
		var m map[string]any
		json.Unmarshal(b, &m)
		m["info"] = map[string]any{"title": 7}
		bb, _ := json.Marshal(m)
		broken, err := libopenapi.NewDocument(bb)
		if err != nil {
			t.Fatal(err)
		}
		bv, errs := validator.NewValidator(broken)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if ok, _ := bv.ValidateDocument(); ok {
			t.Error("a document whose info has no version and a numeric title passed validation")
		}
	})
}

// operations lists "METHOD path" for every operation in the document.
func operations(o *huma.OpenAPI) []string {
	var out []string
	for path, item := range o.Paths {
		for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put,
			"PATCH": item.Patch, "DELETE": item.Delete, "HEAD": item.Head, "OPTIONS": item.Options} {
			if op != nil {
				out = append(out, method+" "+path)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestEveryRouteDescribed compares the routes registered on the API's
// mux with the operations of the document, both ways.
func TestEveryRouteDescribed(t *testing.T) {
	a := New(Options{})
	var routes []string
	for _, r := range a.Routes() {
		if r != "GET "+SpecPath {
			routes = append(routes, r)
		}
	}
	slices.Sort(routes)
	ops := operations(a.OpenAPI())
	for _, r := range routes {
		if !slices.Contains(ops, r) {
			t.Errorf("route %s is not in the OpenAPI document", r)
		}
	}
	for _, op := range ops {
		if !slices.Contains(routes, op) {
			t.Errorf("operation %s has no route", op)
		}
	}
	if len(routes) < 28 {
		t.Errorf("only %d routes: %v", len(routes), routes)
	}
	for path, item := range a.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op == nil {
				continue
			}
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 || op.Responses["401"] == nil || op.Responses["403"] == nil {
				t.Errorf("%s %s lacks an id, summary, tag or the 401/403 answers", op.Method, path)
			}
		}
	}
}

// TestEverySpecPathAnswers sends a request to every operation of the
// document and checks the API routes it (anything but the mux's own 404
// or 405), and that the answer matches the document.
func TestEverySpecPathAnswers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o := e.owned()
		for _, op := range operations(e.api.OpenAPI()) {
			method, path, _ := strings.Cut(op, " ")
			path = strings.ReplaceAll(path, "{id}", id.New())
			var body any
			if method == "POST" || method == "PUT" || method == "PATCH" {
				body = map[string]any{}
			}
			r := o.do(t, method, path, body)
			if r.status == http.StatusMethodNotAllowed || isNoRoute(t, r) {
				t.Errorf("%s: the mux has no route (%d %s)", op, r.status, r.body)
			}
		}
		// The probe can tell: a path and a method the API lacks.
		if r, _ := o.send(t, "GET", "/api/v1/no-such-things", nil); !isNoRoute(t, r) {
			t.Errorf("GET /api/v1/no-such-things: %d %s, want the no-route 404", r.status, r.body)
		}
		r, _ := e.anonymous().send(t, "PUT", "/api/v1/contacts", map[string]any{})
		if r.status != 401 {
			t.Errorf("PUT /api/v1/contacts without a session: %d, want 401 before routing", r.status)
		}
		r, _ = o.send(t, "PUT", "/api/v1/contacts", map[string]any{})
		r.expect(t, http.StatusMethodNotAllowed)
		if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
			t.Errorf("405 Allow %q, want GET and POST", allow)
		}
	})
}

func isNoRoute(t *testing.T, r result) bool {
	t.Helper()
	return r.status == 404 && strings.HasPrefix(r.problem(t).Detail, "There is no API endpoint")
}

// TestEveryOperationComplete walks every operation of the document, so
// that routes added later are held to the same rules: a success response
// with a schema (204 aside), problem+json error responses whose schema is
// the Problem with its errors list, and a request body schema for POST,
// PUT and PATCH. Error statuses that apply: 401 and 403 always, 404 when
// the path names a record, 422 when there is a body or parameters to get
// wrong.
func TestEveryOperationComplete(t *testing.T) {
	a := New(Options{})
	o := a.OpenAPI()
	reg := o.Components.Schemas
	problem := reg.Map()["Problem"]
	if problem == nil || problem.Properties["errors"] == nil || problem.Properties["errors"].Items == nil {
		t.Fatalf("the Problem schema has no errors list: %+v", problem)
	}
	for _, op := range allOperations(o) {
		name := op.Method + " " + op.Path
		ok2xx := false
		for code, res := range op.Responses {
			if code == "204" && strings.HasPrefix(code, "2") {
				ok2xx = true
				continue
			}
			if strings.HasPrefix(code, "2") {
				if res.Content == nil || len(res.Content) == 0 {
					t.Errorf("%s: %s response has no content", name, code)
					continue
				}
				for ct, mt := range res.Content {
					if mt.Schema == nil {
						t.Errorf("%s: %s %s response has no schema", name, code, ct)
					}
				}
				ok2xx = true
			}
			if code[0] == '4' || code[0] == '5' {
				mt := res.Content["application/problem+json"]
				if mt == nil || mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/Problem" {
					t.Errorf("%s: %s response is not the problem+json Problem", name, code)
				}
			}
		}
		if !ok2xx {
			t.Errorf("%s: no success response", name)
		}
		want := []string{"401", "403", "429"}
		if strings.Contains(op.Path, "{") {
			want = append(want, "404")
		}
		switch op.Method {
		case "POST", "PUT", "PATCH":
			want = append(want, "400", "422")
			if op.RequestBody == nil || op.RequestBody.Content["application/json"] == nil ||
				op.RequestBody.Content["application/json"].Schema == nil {
				t.Errorf("%s: no request body schema", name)
			}
		}
		for _, code := range want {
			if op.Responses[code] == nil {
				t.Errorf("%s: the %s answer is not documented", name, code)
			}
		}
	}
}

// allOperations lists the document's operations.
func allOperations(o *huma.OpenAPI) []*huma.Operation {
	var out []*huma.Operation
	for _, item := range o.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete, item.Head, item.Options} {
			if op != nil {
				out = append(out, op)
			}
		}
	}
	slices.SortFunc(out, func(a, b *huma.Operation) int { return strings.Compare(a.Path+a.Method, b.Path+b.Method) })
	return out
}

// TestExamples checks that the main operations (contacts, companies,
// activities, deals, tasks, orders) show an example request body and an
// example answer, and that every example in the document is valid
// against its own schema.
func TestExamples(t *testing.T) {
	o := New(Options{}).OpenAPI()
	reg := o.Components.Schemas
	main := []string{"Contacts", "Companies", "Activities", "Deals", "Tasks", "Orders"}
	valid := func(name string, s *huma.Schema, ex any, mode huma.ValidateMode) {
		b, err := json.Marshal(ex)
		if err != nil {
			t.Errorf("%s: example does not marshal: %v", name, err)
			return
		}
		var v any
		json.Unmarshal(b, &v)
		res := &huma.ValidateResult{}
		huma.Validate(reg, s, huma.NewPathBuffer([]byte{}, 0), mode, v, res)
		for _, err := range res.Errors {
			t.Errorf("%s: example %s is invalid: %v", name, b, err)
		}
	}
	checked := 0
	for _, op := range allOperations(o) {
		name := op.Method + " " + op.Path
		isMain := slices.ContainsFunc(op.Tags, func(tag string) bool { return slices.Contains(main, tag) })
		if op.RequestBody != nil {
			mt := op.RequestBody.Content["application/json"]
			switch {
			case mt == nil || mt.Example == nil:
				if isMain {
					t.Errorf("%s: no request example", name)
				}
			default:
				valid(name+" request", mt.Schema, mt.Example, huma.ModeWriteToServer)
				checked++
			}
		}
		for code, res := range op.Responses {
			if !strings.HasPrefix(code, "2") || len(res.Content) == 0 {
				continue
			}
			for ct, mt := range res.Content {
				if mt.Example == nil {
					if isMain {
						t.Errorf("%s: no example of the %s %s answer", name, code, ct)
					}
					continue
				}
				if ct == "application/json" {
					valid(name+" "+code, mt.Schema, mt.Example, huma.ModeReadFromServer)
					checked++
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d examples checked", checked)
	}
	// The check can fail: an example that breaks its schema is caught.
	s := reg.Map()["Problem"]
	res := &huma.ValidateResult{}
	huma.Validate(reg, s, huma.NewPathBuffer([]byte{}, 0), huma.ModeReadFromServer, map[string]any{"status": "x"}, res)
	if len(res.Errors) == 0 {
		t.Error("a broken Problem example passed")
	}
}

// TestScenarioMatchesDocument runs a representative scenario — the main
// objects' create, read, change and list, the bulk call, and the error
// answers 401, 404, 409 and 422 — and validates every real response
// against the document with libopenapi-validator. A response changed to
// break its schema must be caught.
func TestScenarioMatchesDocument(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o := e.owned()
		v := specValidator(t)
		validated := map[int]bool{}
		step := func(c *client, method, path string, body any, want int) result {
			t.Helper()
			r, req := c.send(t, method, path, body)
			if r.status != want {
				t.Fatalf("%s %s: %d, want %d: %.300s", method, path, r.status, want, r.body)
			}
			res := &http.Response{StatusCode: r.status, Header: r.header, Body: io.NopCloser(strings.NewReader(string(r.body))), Request: req}
			if ok, errs := v.ValidateHttpResponse(req, res); !ok {
				for _, err := range errs {
					t.Errorf("%s %s (%d): %s", method, path, r.status, describe(err))
				}
			}
			validated[r.status] = true
			return r
		}
		var c Contact
		step(o, "POST", "/api/v1/contacts", map[string]any{"first_name": "Ada", "emails": []any{map[string]any{"address": "ada@example.com"}}}, 201).decode(t, &c)
		step(o, "GET", "/api/v1/contacts/"+c.ID, nil, 200)
		step(o, "PATCH", "/api/v1/contacts/"+c.ID, map[string]any{"job_title": "Analyst"}, 200)
		step(o, "GET", "/api/v1/contacts?limit=5", nil, 200)
		step(o, "POST", "/api/v1/contacts", map[string]any{"first_name": "Twin", "emails": []any{map[string]any{"address": "ada@example.com"}}}, 409)
		step(o, "POST", "/api/v1/contacts", map[string]any{"first_name": 5}, 422)
		step(o, "GET", "/api/v1/contacts/"+id.New(), nil, 404)
		step(e.anonymous(), "GET", "/api/v1/contacts", nil, 401)
		var co Company
		step(o, "POST", "/api/v1/companies", map[string]any{"name": "Acme"}, 201).decode(t, &co)
		step(o, "GET", "/api/v1/companies/"+co.ID, nil, 200)
		step(o, "POST", "/api/v1/activities", map[string]any{"kind": "note", "contact_id": c.ID, "body": "Hello"}, 201)
		step(o, "GET", "/api/v1/contacts/"+c.ID+"/timeline", nil, 200)
		step(o, "POST", "/api/v1/tasks", map[string]any{"title": "Call Ada", "contact_id": c.ID}, 201)
		step(o, "GET", "/api/v1/tasks", nil, 200)
		step(o, "POST", "/api/v1/deals", map[string]any{"name": "Acme renewal", "currency": "EUR", "amount": 100000, "company_id": co.ID}, 201)
		step(o, "GET", "/api/v1/deals", nil, 200)
		step(o, "POST", "/api/v1/contacts/batch", map[string]any{"items": []any{
			map[string]any{"op": "create", "data": map[string]any{"first_name": "Grace"}},
			map[string]any{"op": "update", "id": id.New(), "data": map[string]any{"first_name": "Nobody"}},
		}}, 200)
		for _, s := range []int{200, 201, 401, 404, 409, 422} {
			if !validated[s] {
				t.Errorf("no %d answer was validated", s)
			}
		}
		// The validator can fail: a contact whose emails are a string.
		r, req := o.send(t, "GET", "/api/v1/contacts/"+c.ID, nil)
		var m map[string]any
		r.decode(t, &m)
		m["emails"] = "ada@example.com"
		b, _ := json.Marshal(m)
		res := &http.Response{StatusCode: 200, Header: r.header, Body: io.NopCloser(strings.NewReader(string(b))), Request: req}
		if ok, _ := v.ValidateHttpResponse(req, res); ok {
			t.Error("a contact with emails as a string passed response validation")
		}
	})
}
