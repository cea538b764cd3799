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
		if r, _ := o.send(t, "GET", "/api/v1/deals", nil); !isNoRoute(t, r) {
			t.Errorf("GET /api/v1/deals: %d %s, want the no-route 404", r.status, r.body)
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
