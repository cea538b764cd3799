// Package api is Rapport's REST API: /api/v1 over the same services the web
// pages use ("one rule, two doors"), described by an OpenAPI 3.1 document at
// /api/openapi.json that huma generates from the Go types in this package.
// Errors are RFC 9457 problem details (see problem.go).
package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apikey"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/consent"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/forecast"
	"github.com/rapportcrm/rapport/internal/gdpr"
	"github.com/rapportcrm/rapport/internal/notify"
	"github.com/rapportcrm/rapport/internal/order"
	"github.com/rapportcrm/rapport/internal/ratelimit"
	"github.com/rapportcrm/rapport/internal/task"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
	"github.com/rapportcrm/rapport/internal/webhook"
)

// Paths of the API.
const (
	Prefix   = "/api/v1"
	SpecPath = "/api/openapi.json"
)

// Version is the version of the API description (info.version).
const Version = "1.0.0"

// Options are the API's dependencies: the domain services it is a door to.
type Options struct {
	// DB is read for the tag list only (tag.List takes a querier).
	DB         *db.DB
	Contacts   *contact.Service
	Companies  *company.Service
	Activities *activity.Service
	Fields     *customfield.Service
	Views      *view.Service
	Audit      *audit.Service
	Logger     *slog.Logger

	// Users serves roles and teams; nil builds one over DB.
	Users *user.Service

	// Consent and GDPR serve a contact's consent, data export and
	// erasure; nil builds them over DB and Contacts.
	Consent *consent.Service
	GDPR    *gdpr.Service

	// Tasks and Notifications serve /tasks and /notifications; nil builds
	// them over DB.
	Tasks         *task.Service
	Notifications *notify.Service
	// Orders serves products, orders and deal products; Forecast the
	// forecast and funnel. nil builds them over DB.
	Orders   *order.Service
	Forecast *forecast.Service
	// Deals serves pipelines, stages and deals; nil builds one over DB.
	Deals *deal.Service

	// Keys checks bearer API keys and serves /api-keys; Limiter keeps the
	// rate limits. nil builds them over DB.
	Keys    *apikey.Service
	Limiter *ratelimit.Limiter

	// Webhooks serves /webhooks; nil builds one over DB (which sends
	// nothing until given a job queue).
	Webhooks *webhook.Service
}

// API is the http.Handler for /api/. The web server mounts it behind the
// session middleware, so a signed-in user's actor is in the request context.
type API struct {
	o      Options
	mux    *recordingMux
	huma   huma.API
	spec   func() ([]byte, error)
	logger *slog.Logger
	quotas quotaCache
}

// New builds the API and registers every operation.
func New(o Options) *API {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Users == nil && o.DB != nil {
		o.Users = user.NewService(o.DB)
	}
	if o.Consent == nil && o.DB != nil {
		o.Consent = consent.NewService(o.DB, o.Contacts)
	}
	if o.GDPR == nil && o.DB != nil {
		o.GDPR = gdpr.New(o.DB, o.Contacts)
		o.GDPR.Register(IdempotencyPrivacyPart())
	}
	if o.Tasks == nil && o.DB != nil {
		o.Tasks = task.NewService(o.DB, o.Users)
	}
	if o.Notifications == nil && o.DB != nil {
		o.Notifications = notify.New(o.DB)
	}
	if o.Orders == nil && o.DB != nil {
		o.Orders = order.NewService(o.DB, o.Users)
	}
	if o.Forecast == nil && o.DB != nil {
		o.Forecast = forecast.NewService(o.DB)
	}
	if o.Deals == nil && o.DB != nil {
		o.Deals = deal.NewService(o.DB, o.Users, o.Contacts, o.Companies)
	}
	if o.Keys == nil && o.DB != nil {
		o.Keys = apikey.NewService(o.DB, o.Users)
	}
	if o.Limiter == nil && o.DB != nil {
		o.Limiter = ratelimit.New(o.DB)
	}
	if o.Webhooks == nil && o.DB != nil {
		o.Webhooks = webhook.New(webhook.Options{DB: o.DB})
	}
	a := &API{o: o, mux: &recordingMux{ServeMux: http.NewServeMux()}, logger: o.Logger}
	a.huma = humago.New(a.mux, humaConfig())
	a.contactRoutes()
	a.companyRoutes()
	a.activityRoutes()
	a.fieldRoutes()
	a.tagRoutes()
	a.viewRoutes()
	a.gdprRoutes()
	a.roleRoutes()
	a.auditRoutes()
	a.exportRoutes()
	a.taskRoutes()
	a.notificationRoutes()
	a.orderRoutes()
	a.forecastRoutes()
	a.dealRoutes()
	a.apiKeyRoutes()
	a.bulkRoutes()
	a.webhookRoutes()
	a.spec = sync.OnceValues(func() ([]byte, error) { return json.Marshal(a.huma.OpenAPI()) })
	a.mux.HandleFunc("GET "+SpecPath, a.serveSpec)
	return a
}

// humaConfig is huma's configuration: OpenAPI 3.1, JSON only, and none of
// huma's own routes (spec, docs, schemas): /api/openapi.json is served by
// serveSpec and /api/docs comes later.
func humaConfig() huma.Config {
	c := huma.DefaultConfig("Rapport API", Version)
	c.OpenAPIPath, c.DocsPath, c.SchemasPath = "", "", ""
	// The default create hook adds $schema links to every response body.
	c.CreateHooks = nil
	c.Formats = map[string]huma.Format{"application/json": jsonFormat, "json": jsonFormat}
	c.Info.Description = "The REST API of Rapport, a CRM. Every request acts as a signed-in user " +
		"and sees what that user may see. Errors are RFC 9457 problem details " +
		"(application/problem+json) whose `errors` list names every bad field. " +
		"Lists are keyset-paginated: pass `next_cursor` back as `cursor`."
	c.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"session": {Type: "apiKey", In: "cookie", Name: "rapport_session",
			Description: "The session cookie of a user signed in to the web app."},
		"bearer": {Type: "http", Scheme: "bearer", BearerFormat: "rk_live_…",
			Description: "An API key created in Settings → API keys, sent as `Authorization: Bearer rk_live_…`. " +
				"It acts as the user who created it, narrowed to its scopes (object:read, object:write)."},
	}
	c.Security = []map[string][]string{{"bearer": {}}, {"session": {}}}
	return c
}

// jsonFormat is huma's JSON format with HTML escaping left on: user text
// such as "<script>" goes out as "\u003cscript\u003e", inert even in a
// client that sniffs.
var jsonFormat = huma.Format{
	Marshal:   func(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) },
	Unmarshal: json.Unmarshal,
}

// ServeHTTP authenticates and rate-limits /api/ requests (gate), routes
// them, and runs POSTs with an Idempotency-Key once (idempotent). Requests the
// mux has no route for get a problem+json 404 or 405.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		var ok bool
		if r, ok = a.gate(w, r); !ok {
			return
		}
	}
	if _, pattern := a.mux.Handler(r); pattern == "" {
		// Let the mux decide between 404 and 405 (it sets Allow), then
		// answer in the API's error format.
		probe := &statusRecorder{header: http.Header{}}
		a.mux.ServeHTTP(probe, r)
		if allow := probe.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		if probe.status == http.StatusMethodNotAllowed && strings.HasPrefix(r.URL.Path, Prefix+"/audit") && a.o.DB != nil {
			// Nothing changes the audit log; an attempt is worth knowing about.
			if err := audit.Record(r.Context(), a.o.DB.W, audit.Entry{Action: "audit.change_refused", Outcome: audit.Denied,
				ObjectType: "route", ObjectID: r.Method + " " + r.URL.Path}); err != nil {
				a.logger.ErrorContext(r.Context(), "api: audit", "err", err)
			}
		}
		writeProblem(w, noRoute(probe.status, r))
		return
	}
	if r.Method == http.MethodPost && r.Header.Get(IdempotencyHeader) != "" && strings.HasPrefix(r.URL.Path, Prefix+"/") {
		a.idempotent(w, r, a.mux)
		return
	}
	a.mux.ServeHTTP(w, r)
}

// routeKey carries "METHOD /path" of an API request, for the audit log.
type routeKey struct{}

func (a *API) serveSpec(w http.ResponseWriter, r *http.Request) {
	b, err := a.spec()
	if err != nil {
		a.logger.ErrorContext(r.Context(), "api: openapi document", "err", err)
		writeProblem(w, newProblem(http.StatusInternalServerError, "The API description could not be built."))
		return
	}
	w.Header().Set("Content-Type", "application/vnd.oai.openapi+json;version=3.1")
	w.Write(b)
}

// Routes lists the patterns registered on the API's mux, in order.
func (a *API) Routes() []string { return append([]string(nil), a.mux.patterns...) }

// OpenAPI returns the API description.
func (a *API) OpenAPI() *huma.OpenAPI { return a.huma.OpenAPI() }

// recordingMux is a ServeMux that remembers its patterns, so a test can
// check that every route is described in the OpenAPI document.
type recordingMux struct {
	*http.ServeMux
	patterns []string
}

func (m *recordingMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

// statusRecorder keeps the status and headers of the mux's own 404/405
// answer and drops its text body.
type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return len(b), nil
}
func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}

// register adds an operation with the errors every /api/v1 operation may
// answer (401, 403, 500; with a body also 400, 413, 415 and 422) besides
// its own.
func register[I, O any](a *API, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	op.Errors = append([]int{http.StatusUnauthorized, http.StatusForbidden}, op.Errors...)
	switch op.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		op.Errors = append(op.Errors, http.StatusBadRequest, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity)
	}
	limited(&op)
	if op.MaxBodyBytes == 0 {
		op.MaxBodyBytes = maxBody
	}
	huma.Register(a.huma, op, h)
	o := a.huma.OpenAPI()
	if item := o.Paths[op.Path]; item != nil {
		for _, registered := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if registered != nil && registered.Method == op.Method {
				describeOperation(o, registered)
			}
		}
	}
}

// maxBody is the largest request body read. It is above the services'
// own limits (a note holds 100,000 characters) so that an oversized field
// gets a message naming it rather than a bare 413.
const maxBody = 4 << 20
