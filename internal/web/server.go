// Package web is Rapport's HTTP front door: the router, middleware,
// sign-in, page rendering and the operational endpoints. Handlers decode
// input, call one service method and render; rules live in the services.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apikey"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/auth"
	"github.com/rapportcrm/rapport/internal/backup"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/consent"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/forecast"
	"github.com/rapportcrm/rapport/internal/gdpr"
	"github.com/rapportcrm/rapport/internal/importer"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/notify"
	"github.com/rapportcrm/rapport/internal/order"
	"github.com/rapportcrm/rapport/internal/task"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
	"github.com/rapportcrm/rapport/internal/webhook"
)

// Session lifetimes: a session ends after IdleTimeout without a request
// and in any case SessionLifetime after sign-in.
const (
	IdleTimeout     = auth.IdleTimeout
	SessionLifetime = 7 * 24 * time.Hour
)

// Login throttling: per account and per client address, in 15-minute windows.
const (
	accountFailures = 5
	addressFailures = 30
	throttleWindow  = 15 * time.Minute
)

// Options are the server's dependencies.
type Options struct {
	Config   config.Config
	DB       *db.DB
	Users    *user.Service
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// JobCounts reports jobs by state for /metrics; nil leaves them out.
	JobCounts func(context.Context) (map[string]int, error)
	// Jobs enqueues background work (bulk actions); nil runs nothing.
	Jobs       *jobs.Queue
	Contacts   *contact.Service
	Companies  *company.Service
	Activities *activity.Service
	Fields     *customfield.Service
	Views      *view.Service
	Audit      *audit.Service
	// Backups serves Settings → Backups; nil leaves the page out.
	Backups *backup.Service
	// Consent and GDPR serve a contact's consent, data export and
	// erasure; nil builds them over DB and Contacts.
	Consent *consent.Service
	GDPR    *gdpr.Service
	// Imports serves the import wizard; nil builds one over DB, Contacts,
	// Companies, Users and Jobs, keeping files in <data-dir>/imports.
	Imports *importer.Service
	// API serves /api/v1 and /api/openapi.json; nil leaves them out.
	API http.Handler
	// Tasks and Notifications serve "My tasks" and the bell; nil builds
	// them over DB. BellEvery is how often pages poll the unread count
	// (DefaultBellEvery when 0).
	Tasks         *task.Service
	Notifications *notify.Service
	BellEvery     time.Duration
	// Orders serves products, orders and deal products; Forecast the
	// forecast page. nil builds them over DB.
	Orders   *order.Service
	Forecast *forecast.Service
	// Deals serves the board, deal pages and Settings → Pipelines; nil
	// builds one over DB, Users, Contacts and Companies.
	Deals *deal.Service
	// APIKeys serves Settings → API keys; nil builds one over DB.
	APIKeys *apikey.Service
	// Webhooks serves Settings → Webhooks; nil builds one over DB (which
	// sends nothing until given a job queue).
	Webhooks *webhook.Service
}

// Server holds what handlers share.
type Server struct {
	cfg      config.Config
	db       *db.DB
	users    *user.Service
	logger   *slog.Logger
	sessions *scs.SessionManager
	accounts *auth.Throttle
	address  *auth.Throttle
	r        *renderer
	static   *staticFiles
	metrics  *metrics
	// passkeys runs passkey ceremonies; nil when the base URL does not
	// allow them, and passkeysOff says why.
	passkeys    *user.Passkeys
	passkeysOff string

	jobs       *jobs.Queue
	contacts   *contact.Service
	companies  *company.Service
	activities *activity.Service
	fields     *customfield.Service
	views      *view.Service
	audit      *audit.Service
	backups    *backup.Service
	consent    *consent.Service
	gdpr       *gdpr.Service
	imports    *importer.Service
	api        http.Handler
	tasks      *task.Service
	notify     *notify.Service
	bellEvery  time.Duration
	orders     *order.Service
	forecast   *forecast.Service
	deals      *deal.Service
	apikeys    *apikey.Service
	webhooks   *webhook.Service
}

// New builds the server and parses every template; a broken template fails here.
func New(o Options) (*Server, error) {
	static, err := newStaticFiles()
	if err != nil {
		return nil, err
	}
	r, err := newRenderer(static)
	if err != nil {
		return nil, err
	}
	sm := scs.New()
	sm.Store = auth.NewSessionStore(o.DB)
	sm.IdleTimeout = IdleTimeout
	sm.Lifetime = SessionLifetime
	sm.Cookie.Name = "rapport_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = o.Config.Secure()
	sm.Cookie.Path = "/"
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Consent == nil && o.Contacts != nil {
		o.Consent = consent.NewService(o.DB, o.Contacts)
	}
	if o.GDPR == nil && o.Contacts != nil {
		o.GDPR = gdpr.New(o.DB, o.Contacts)
	}
	if o.Imports == nil && o.Contacts != nil && o.Companies != nil {
		o.Imports = importer.New(importer.Options{DB: o.DB, Contacts: o.Contacts, Companies: o.Companies,
			Users: o.Users, Activities: o.Activities, Queue: o.Jobs, Dir: filepath.Join(o.Config.DataDir, "imports")})
	}
	if o.Tasks == nil && o.DB != nil {
		o.Tasks = task.NewService(o.DB, o.Users)
	}
	if o.Notifications == nil && o.DB != nil {
		o.Notifications = notify.New(o.DB)
	}
	if o.APIKeys == nil && o.DB != nil {
		o.APIKeys = apikey.NewService(o.DB, o.Users)
	}
	if o.Webhooks == nil && o.DB != nil {
		o.Webhooks = webhook.New(webhook.Options{DB: o.DB})
	}
	if o.BellEvery == 0 {
		o.BellEvery = DefaultBellEvery
	}
	if o.Orders == nil && o.DB != nil {
		o.Orders = order.NewService(o.DB, o.Users)
	}
	if o.Forecast == nil && o.DB != nil {
		o.Forecast = forecast.NewService(o.DB)
	}
	if o.Deals == nil && o.Contacts != nil && o.Companies != nil {
		o.Deals = deal.NewService(o.DB, o.Users, o.Contacts, o.Companies)
	}
	s := &Server{
		cfg:      o.Config,
		db:       o.DB,
		users:    o.Users,
		logger:   o.Logger,
		sessions: sm,
		accounts: auth.NewThrottle(o.DB, accountFailures, throttleWindow),
		address:  auth.NewThrottle(o.DB, addressFailures, throttleWindow),
		r:        r,
		static:   static,
		metrics:  newMetrics(o.Registry, o.JobCounts),

		jobs:       o.Jobs,
		contacts:   o.Contacts,
		companies:  o.Companies,
		activities: o.Activities,
		fields:     o.Fields,
		views:      o.Views,
		audit:      o.Audit,
		backups:    o.Backups,
		consent:    o.Consent,
		gdpr:       o.GDPR,
		imports:    o.Imports,
		api:        o.API,
		tasks:      o.Tasks,
		notify:     o.Notifications,
		bellEvery:  o.BellEvery,
		orders:     o.Orders,
		forecast:   o.Forecast,
		deals:      o.Deals,
		apikeys:    o.APIKeys,
		webhooks:   o.Webhooks,
	}
	s.passkeys, s.passkeysOff = newPasskeys(o.Users, o.Config.BaseURL)
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.serverError(w, r, err)
	}
	return s, nil
}

// Handler returns the whole site: every route is listed here.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()

	// Operations: no session.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.Handle("GET /static/{hash}/{path...}", s.static)

	// Pages: with the session and the signed-in user, if any.
	page := func(pattern string, h http.HandlerFunc) {
		// Each section registers its pages through this one function.
		mux.Handle(pattern, s.sessions.LoadAndSave(s.loadUser(h)))
	}
	page("GET /{$}", s.home)
	page("GET /setup", s.setupForm)
	page("POST /setup", s.setup)
	page("GET /login", s.loginForm)
	page("POST /login", s.login)
	page("POST /logout", s.logout)
	s.listRoutes(page)
	s.recordRoutes(page)
	s.searchRoutes(page)
	s.backupRoutes(page)
	s.accountRoutes(page)
	s.userRoutes(page)
	s.teamRoutes(page)
	s.gdprRoutes(page)
	s.auditRoutes(page)
	s.importRoutes(page)
	s.taskRoutes(page)
	s.orderRoutes(page)
	s.dealRoutes(page)
	s.apiKeyRoutes(page)
	s.apiDocsRoutes(page)
	s.webhookRoutes(page)
	if s.api != nil {
		mux.Handle("/api/", s.sessions.LoadAndSave(s.loadUser(s.api)))
	}
	for _, n := range navItems {
		if !n.Ready {
			page("GET "+n.Path, s.requireUser(s.soon(n)))
		}
	}
	page("/", s.notFound)

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	// instrument must see the request the mux sets Pattern on: nothing
	// between them may replace the request.
	return s.recoverPanics(s.requestID(s.accessLog(s.metrics.instrument(securityHeaders(csrf.Handler(mux))))))
}
