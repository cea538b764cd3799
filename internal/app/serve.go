package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/api"
	"github.com/rapportcrm/rapport/internal/apikey"
	"github.com/rapportcrm/rapport/internal/auth"
	"github.com/rapportcrm/rapport/internal/backup"
	"github.com/rapportcrm/rapport/internal/bulk"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/demo"
	"github.com/rapportcrm/rapport/internal/importer"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/mail"
	"github.com/rapportcrm/rapport/internal/ratelimit"
	"github.com/rapportcrm/rapport/internal/task"
	"github.com/rapportcrm/rapport/internal/web"
	"github.com/rapportcrm/rapport/internal/webhook"
)

// ShutdownTimeout bounds a graceful stop: in-flight requests and running
// jobs get this long to finish after SIGTERM.
const ShutdownTimeout = 10 * time.Second

// serverGCPercent is the heap growth that starts a collection in a server
// process, unless GOGC says otherwise. A request allocates a few hundred
// kilobytes that are garbage when it ends, over a live heap of tens of
// megabytes: at Go's default of 100, a list page under load spent 12-15% of
// its CPU in the collector; at 200 the list pages cost 10-17% less CPU
// (internal/web/list_bench_test.go) for a heap that peaks at about three
// times the live one instead of twice.
const serverGCPercent = 200

// tuneGC sets serverGCPercent unless the environment sets GOGC.
func tuneGC(env Env) {
	if env.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
}

func runServe(ctx context.Context, args []string, env Env) int {
	tuneGC(env)
	var withDemo bool
	cfg, code := parseFlags("serve", args, env, func(fs *flag.FlagSet) {
		fs.BoolVar(&withDemo, "demo", false, "on first start of an empty database, fill it with demo data")
	})
	if code >= 0 {
		return code
	}
	start := time.Now()
	logger := newLogger(cfg, env.Stderr)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport serve: cannot listen on %s: %v\n", cfg.Addr, errors.Unwrap(err))
		return exitError
	}
	d, applied, ok := openDB(ctx, "serve", cfg, env)
	if !ok {
		ln.Close()
		return exitError
	}
	defer d.Close()
	for _, m := range applied {
		logger.Info("migration applied", "name", m)
	}
	if withDemo {
		if code := serveDemo(ctx, d, env); code != exitOK {
			ln.Close()
			return code
		}
	}

	svc := newServices(d)
	svc.backups = backup.NewService(backup.Options{DB: d, Source: cfg.Source, DataDir: cfg.DataDir, Logger: logger})
	svc.imports = importer.New(importer.Options{DB: d, Contacts: svc.contacts, Companies: svc.companies, Users: svc.users,
		Activities: svc.activities, Dir: filepath.Join(cfg.DataDir, "imports")})
	queue, err := jobs.New(d, jobs.Options{
		Workers:  workers(d, svc, logger),
		Periodic: periodicJobs(),
		Logger:   logger,
		Queues:   map[string]int{webhook.Queue: webhook.QueueWorkers},
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport serve: job queue: %v\n", err)
		return exitError
	}
	svc.imports.UseQueue(queue)
	svc.tasks.UseQueue(queue)
	svc.webhooks.UseQueue(queue)
	if err := svc.configureMail(cfg, queue); err != nil {
		fmt.Fprintf(env.Stderr, "rapport serve: --smtp: %v\n", err)
		return exitError
	}
	reg := prometheus.NewRegistry()
	apiKeys := apikey.NewService(d, svc.users)
	srv, err := web.New(web.Options{
		Config: cfg, DB: d, Users: svc.users, Logger: logger,
		Registry: reg, JobCounts: queue.Counts, Jobs: queue,
		Contacts: svc.contacts, Companies: svc.companies, Activities: svc.activities,
		Fields: svc.fields, Views: svc.views, Backups: svc.backups, Audit: svc.audit,
		Consent: svc.consent, GDPR: svc.gdpr, Imports: svc.imports,
		Tasks: svc.tasks, Notifications: svc.notify,
		Orders: svc.orders, Forecast: svc.forecast,
		APIKeys: apiKeys,
		API: api.New(api.Options{Keys: apiKeys, DB: d, Users: svc.users, Contacts: svc.contacts, Companies: svc.companies,
			Activities: svc.activities, Fields: svc.fields, Views: svc.views, Audit: svc.audit,
			Consent: svc.consent, GDPR: svc.gdpr, Logger: logger,
			Tasks: svc.tasks, Notifications: svc.notify, Orders: svc.orders, Forecast: svc.forecast, Deals: svc.deals,
			Webhooks: svc.webhooks}),
		Deals:    svc.deals,
		Webhooks: svc.webhooks,
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport serve: %v\n", err)
		return exitError
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := queue.Start(ctx); err != nil {
		fmt.Fprintf(env.Stderr, "rapport serve: start jobs: %v\n", err)
		return exitError
	}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()

	url := cfg.BaseURL
	if _, port, _ := net.SplitHostPort(cfg.Addr); port == "0" {
		url = "http://" + ln.Addr().String()
	}
	logger.Info("rapport is running", "url", url, "db", cfg.Source.String(),
		"version", Version, "startup", time.Since(start).Round(time.Millisecond).String())
	fmt.Fprintf(env.Stdout, "Rapport is running at %s\n", url)

	select {
	case err := <-served:
		logger.Error("http server stopped", "err", err)
		shutdown(logger, httpSrv, queue)
		return exitError
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", ShutdownTimeout.String())
	if !shutdown(logger, httpSrv, queue) {
		return exitError
	}
	logger.Info("stopped")
	return exitOK
}

// shutdown finishes in-flight requests and running jobs within
// ShutdownTimeout, both at once.
func shutdown(logger *slog.Logger, srv *http.Server, queue *jobs.Queue) bool {
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	var httpErr, jobErr error
	wg.Add(2)
	go func() { defer wg.Done(); httpErr = srv.Shutdown(ctx) }()
	go func() {
		defer wg.Done()
		// The queue takes up to 2 s more after its deadline to cancel
		// running jobs (they are retried later), so it gets 2 s less.
		jctx, jcancel := context.WithTimeout(ctx, ShutdownTimeout-2*time.Second)
		defer jcancel()
		jobErr = queue.Stop(jctx)
	}()
	wg.Wait()
	if httpErr != nil {
		logger.Error("http shutdown", "err", httpErr)
	}
	if jobErr != nil {
		logger.Error("job queue shutdown", "err", jobErr)
	}
	return httpErr == nil && jobErr == nil
}

// cleanupArgs is the periodic clean-up of expired sessions and throttles.
type cleanupArgs struct{}

func (cleanupArgs) Kind() string { return "maintenance.cleanup" }

type cleanupWorker struct {
	river.WorkerDefaults[cleanupArgs]
	db      *db.DB
	imports *importer.Service
	logger  *slog.Logger
}

func (w *cleanupWorker) Work(ctx context.Context, job *river.Job[cleanupArgs]) error {
	sessions, throttles, err := auth.Cleanup(ctx, w.db)
	if err != nil {
		return err
	}
	uploads := 0
	if w.imports != nil {
		if uploads, err = w.imports.Cleanup(ctx); err != nil {
			return err
		}
	}
	idem, err := api.CleanupIdempotency(ctx, w.db, time.Now())
	if err != nil {
		return err
	}
	buckets, err := ratelimit.Cleanup(ctx, w.db, time.Now())
	if err != nil {
		return err
	}
	if sessions+throttles+int64(uploads)+idem+buckets > 0 {
		w.logger.Info("cleanup", "expired_sessions", sessions, "ended_throttles", throttles, "stale_uploads", uploads,
			"old_idempotency_keys", idem, "full_rate_limit_buckets", buckets)
	}
	return nil
}

// workers registers every job kind the process runs.
func workers(d *db.DB, svc *services, logger *slog.Logger) *river.Workers {
	ws := river.NewWorkers()
	river.AddWorker(ws, &cleanupWorker{db: d, imports: svc.imports, logger: logger})
	river.AddWorker(ws, bulk.NewWorker(svc.bulk, 0))
	river.AddWorker(ws, mail.NewWorker(svc.mail))
	river.AddWorker(ws, backup.NewWorker(svc.backups))
	river.AddWorker(ws, importer.NewWorker(svc.imports))
	river.AddWorker(ws, importer.NewUndoWorker(svc.imports))
	river.AddWorker(ws, task.NewReminderWorker(svc.tasks))
	river.AddWorker(ws, task.NewDigestWorker(svc.tasks))
	river.AddWorker(ws, webhook.NewDispatchWorker(svc.webhooks))
	river.AddWorker(ws, webhook.NewDeliverWorker(svc.webhooks))
	return ws
}

func periodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(15*time.Minute),
			func() (river.JobArgs, *river.InsertOpts) { return cleanupArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
		backup.PeriodicJob(),
		task.DigestJob(),
		webhook.DispatchJob(0),
	}
}

// serveDemo fills an empty database with the default demo data set before
// the server starts; a database that has records already is left alone.
func serveDemo(ctx context.Context, d *db.DB, env Env) int {
	var n int
	if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts`).Scan(&n); err != nil {
		fmt.Fprintf(env.Stderr, "rapport serve: %v\n", err)
		return exitError
	}
	if n > 0 {
		fmt.Fprintln(env.Stdout, "The database already has contacts; --demo adds nothing.")
		return exitOK
	}
	return fillDemo(ctx, d, demo.DefaultContacts, 1, env)
}
