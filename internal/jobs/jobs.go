// Package jobs is Rapport's durable job queue: River on SQLite
// (riversqlite, sharing the single writer connection) or on PostgreSQL
// (riverpgxv5 over the pgx pool).
//
// Jobs are enqueued inside the caller's transaction, so a job exists if and
// only if the change that asked for it committed. A worker that has a
// database effect writes it keyed on the job ID and marks the job completed
// in the same transaction (CompleteTx): a crash at any point then leaves
// either both or neither, and the job's effect happens exactly once.
//
// Retries and their backoff are River's: a failed job is retried with
// river.DefaultClientRetryPolicy (attempt⁴ seconds, ±10 % jitter) up to
// river.MaxAttemptsDefault (25) attempts, unless its worker overrides
// NextRetry or its args set MaxAttempts.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/rapportcrm/rapport/internal/db"
)

// Defaults for Options fields left zero.
const (
	// DefaultMaxWorkers is how many jobs one process runs at once.
	DefaultMaxWorkers = 10
	// DefaultJobTimeout is how long a job may run before its context is
	// cancelled. A worker that needs longer overrides Timeout.
	DefaultJobTimeout = time.Minute
	// DefaultRescueAfter is how long a job may stay "running" before the
	// leader decides its process died and schedules it again. River's own
	// default is an hour, far too long to wait after a crash.
	DefaultRescueAfter = 2 * time.Minute
)

// Options configures a Queue.
type Options struct {
	// Workers holds the registered workers. Nil makes an insert-only queue
	// that can Enqueue but not Start (for commands such as import).
	Workers *river.Workers
	// Periodic lists jobs inserted on a schedule. Only the elected leader
	// among the processes sharing the database inserts them.
	Periodic []*river.PeriodicJob
	// MaxWorkers is how many jobs this process runs at once; default
	// DefaultMaxWorkers.
	MaxWorkers int
	// Logger receives River's logs; default slog.Default().
	Logger *slog.Logger
	// JobTimeout cancels a job's context after this long; default
	// DefaultJobTimeout. -1 means no timeout.
	JobTimeout time.Duration
	// RescueAfter is how long a job may be running before it is taken as
	// stuck (its process died) and retried; default DefaultRescueAfter. It
	// must exceed JobTimeout. After a crash, rescue also waits for the dead
	// leader's lease to expire (about 15 s).
	RescueAfter time.Duration
	// FetchPollInterval is the fallback interval between polls for new jobs
	// (River's default is 1 s); tests shorten it.
	FetchPollInterval time.Duration
	// Queues are further queues beside the default one, each with how
	// many of its jobs this process runs at once, so that one kind of job
	// (webhook deliveries waiting on slow receivers) cannot take every
	// worker from the others. A job inserted into a queue no process
	// works is never run.
	Queues map[string]int
}

// Queue is a River client on the engine of the database it was made for.
// Exactly one of sqlite and pg is set.
type Queue struct {
	d      *db.DB
	sqlite *river.Client[*sql.Tx]
	pg     *river.Client[pgx.Tx]
	// workers is false for an insert-only queue.
	workers bool
}

// New makes a queue on d. It does not start working jobs; call Start. River's
// tables must exist (d.Migrate creates them).
func New(d *db.DB, opts Options) (*Queue, error) {
	cfg, err := config(opts)
	if err != nil {
		return nil, err
	}
	q := &Queue{d: d, workers: opts.Workers != nil}
	switch d.Engine {
	case db.SQLite:
		// River shares the single writer: a second connection would only
		// meet SQLITE_BUSY, and passing the caller's tx keeps it inside the
		// caller's transaction.
		q.sqlite, err = river.NewClient(riversqlite.New(d.W), cfg)
	case db.Postgres:
		q.pg, err = river.NewClient(riverpgxv5.New(d.Pool), cfg)
	default:
		return nil, fmt.Errorf("jobs: unknown engine %q", d.Engine)
	}
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return q, nil
}

func config(opts Options) (*river.Config, error) {
	cfg := &river.Config{
		Logger:               opts.Logger,
		JobTimeout:           cmp.Or(opts.JobTimeout, DefaultJobTimeout),
		RescueStuckJobsAfter: cmp.Or(opts.RescueAfter, DefaultRescueAfter),
		// Named explicitly so that nobody wonders: River's exponential
		// backoff, overridable per worker with NextRetry.
		RetryPolicy: &river.DefaultClientRetryPolicy{},
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.JobTimeout > 0 && cfg.RescueStuckJobsAfter <= cfg.JobTimeout {
		return nil, fmt.Errorf("jobs: RescueAfter (%s) must be longer than JobTimeout (%s), or running jobs get rescued and run twice",
			cfg.RescueStuckJobsAfter, cfg.JobTimeout)
	}
	if p := opts.FetchPollInterval; p > 0 {
		cfg.FetchPollInterval = p
		if p < river.FetchCooldownDefault {
			cfg.FetchCooldown = p
		}
	}
	if opts.Workers == nil {
		if len(opts.Periodic) > 0 {
			return nil, errors.New("jobs: periodic jobs need workers")
		}
		return cfg, nil
	}
	cfg.Workers = opts.Workers
	cfg.PeriodicJobs = opts.Periodic
	cfg.Queues = map[string]river.QueueConfig{
		river.QueueDefault: {MaxWorkers: cmp.Or(opts.MaxWorkers, DefaultMaxWorkers)},
	}
	for name, n := range opts.Queues {
		if name == river.QueueDefault || n < 1 {
			return nil, fmt.Errorf("jobs: queue %q with %d workers", name, n)
		}
		cfg.Queues[name] = river.QueueConfig{MaxWorkers: n}
	}
	return cfg, nil
}

// Start starts fetching and working jobs, and takes part in the election of
// the leader that inserts periodic jobs and rescues stuck ones. Cancelling
// ctx stops the queue abruptly, cancelling running jobs; for a graceful end
// call Stop instead.
func (q *Queue) Start(ctx context.Context) error {
	if !q.workers {
		return errors.New("jobs: an insert-only queue (no Workers) cannot start")
	}
	var err error
	if q.sqlite != nil {
		err = q.sqlite.Start(ctx)
	} else {
		err = q.pg.Start(ctx)
	}
	if err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop stops fetching new jobs and waits for running ones to finish. When
// ctx ends first, it cancels the running jobs' contexts, waits a moment for
// them to return and reports that jobs were cancelled; a cancelled job is
// retried later like any failed one. Stop on a queue that never started
// returns nil.
func (q *Queue) Stop(ctx context.Context) error {
	stop, cancel := q.pg.Stop, q.pg.StopAndCancel
	if q.sqlite != nil {
		stop, cancel = q.sqlite.Stop, q.sqlite.StopAndCancel
	}
	err := stop(ctx)
	if err == nil || ctx.Err() == nil {
		return err
	}
	hctx, done := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
	defer done()
	if cerr := cancel(hctx); cerr != nil {
		return fmt.Errorf("jobs: running jobs did not return after being cancelled: %w", cerr)
	}
	return fmt.Errorf("jobs: running jobs cancelled at stop: %w", err)
}

// cancelGrace is how long Stop waits for jobs to return once their contexts
// are cancelled.
const cancelGrace = 2 * time.Second

// Enqueue inserts a job inside tx, so the job exists only if tx commits.
// Unless the queue is insert-only, args must have a registered worker. On
// SQLite the open tx holds the only writer and River waits for it too: keep
// the transaction short (River loses leadership after about 5 s).
func (q *Queue) Enqueue(ctx context.Context, tx *db.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if tx == nil || tx.Tx == nil {
		return errors.New("jobs: enqueue needs a transaction")
	}
	if tx.Engine != q.d.Engine {
		return fmt.Errorf("jobs: enqueue: transaction on %s, queue on %s", tx.Engine, q.d.Engine)
	}
	var err error
	if q.sqlite != nil {
		_, err = q.sqlite.InsertTx(ctx, tx.Tx, args, opts)
	} else {
		_, err = q.pg.InsertTx(ctx, tx.PgxTx(), args, opts)
	}
	if err != nil {
		return fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// CompleteTx marks job completed inside tx, the worker's own transaction
// that writes the job's effect, so the effect and the completion commit or
// vanish together. Call it from a worker run by a Queue, pass job.JobRow, and
// return nil after tx commits. Without it a crash between the commit and
// River's own completion runs the job again.
func CompleteTx(ctx context.Context, tx *db.Tx, job *rivertype.JobRow) error {
	j := &river.Job[rowArgs]{JobRow: job}
	var err error
	switch tx.Engine {
	case db.SQLite:
		if _, cerr := river.ClientFromContextSafely[*sql.Tx](ctx); cerr != nil {
			return fmt.Errorf("jobs: complete job %d: %w", job.ID, cerr)
		}
		_, err = river.JobCompleteTx[*riversqlite.Driver](ctx, tx.Tx, j)
	case db.Postgres:
		if _, cerr := river.ClientFromContextSafely[pgx.Tx](ctx); cerr != nil {
			return fmt.Errorf("jobs: complete job %d: %w", job.ID, cerr)
		}
		_, err = river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx.PgxTx(), j)
	default:
		return fmt.Errorf("jobs: unknown engine %q", tx.Engine)
	}
	if err != nil {
		return fmt.Errorf("jobs: complete job %d: %w", job.ID, err)
	}
	return nil
}

// rowArgs lets CompleteTx accept a bare JobRow: River decodes the completed
// row's args into it and nobody reads them.
type rowArgs struct{}

func (rowArgs) Kind() string { return "" }

// Counts returns the number of jobs in each state (available, running,
// retryable, completed, discarded, ...), every known state present even when
// zero, for metrics. It reads with plain SQL and does not touch the writer.
func (q *Queue) Counts(ctx context.Context) (map[string]int, error) {
	counts := make(map[string]int)
	for _, s := range rivertype.JobStates() {
		counts[string(s)] = 0
	}
	rows, err := q.d.R.QueryContext(ctx, `SELECT state, count(*) FROM river_job GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("jobs: count: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("jobs: count: %w", err)
		}
		counts[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: count: %w", err)
	}
	return counts, nil
}
