package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/jobs"
)

// effectArgs asks effectWorker to write Note as the job's effect.
type effectArgs struct {
	Note string `json:"note"`
}

func (effectArgs) Kind() string { return "test_effect" }

// effectWorker writes one job_effects row per job and completes the job in
// the same transaction, the way product workers are meant to.
type effectWorker struct {
	river.WorkerDefaults[effectArgs]
	d *db.DB
}

func (w *effectWorker) Work(ctx context.Context, job *river.Job[effectArgs]) error {
	return writeEffect(ctx, w.d, job.JobRow, job.Args.Note)
}

// writeEffect records note as job's effect and completes job, both in one
// short transaction.
func writeEffect(ctx context.Context, d *db.DB, job *rivertype.JobRow, note string) error {
	return d.WithTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO job_effects (job_id, note) VALUES ($1, $2) ON CONFLICT (job_id) DO NOTHING`, job.ID, note)
		if err != nil {
			return err
		}
		return jobs.CompleteTx(ctx, tx, job)
	})
}

// testLogger shows River's warnings and errors beside the test output.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// createEffects makes the table the test workers write to: the test's own
// table, not a product migration.
func createEffects(t *testing.T, d *db.DB) {
	t.Helper()
	mustExec(t, d, `CREATE TABLE job_effects (job_id bigint PRIMARY KEY, note text NOT NULL)`)
}

func mustExec(t *testing.T, d *db.DB, query string, args ...any) {
	t.Helper()
	if _, err := d.W.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// start makes a queue with workers, starts it and stops it when the test
// ends.
func start(t *testing.T, d *db.DB, opts jobs.Options) *jobs.Queue {
	t.Helper()
	opts.Logger = testLogger()
	if opts.FetchPollInterval == 0 {
		opts.FetchPollInterval = 50 * time.Millisecond
	}
	q, err := jobs.New(d, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return q
}

// enqueue enqueues args in a transaction of its own.
func enqueue(t *testing.T, d *db.DB, q *jobs.Queue, args river.JobArgs, opts *river.InsertOpts) {
	t.Helper()
	ctx := context.Background()
	if err := d.WithTx(ctx, func(tx *db.Tx) error { return q.Enqueue(ctx, tx, args, opts) }); err != nil {
		t.Fatalf("enqueue %s: %v", args.Kind(), err)
	}
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A job enqueued in a transaction exists only if the transaction commits,
// and a committed one is worked.
func TestEnqueueFollowsTransaction(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		createEffects(t, d)
		mustExec(t, d, `CREATE TABLE notes (body text NOT NULL)`)
		workers := river.NewWorkers()
		river.AddWorker(workers, &effectWorker{d: d})
		q := start(t, d, jobs.Options{Workers: workers})

		boom := errors.New("boom")
		err := d.WithTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notes (body) VALUES ('rolled back')`); err != nil {
				return err
			}
			if err := q.Enqueue(ctx, tx, effectArgs{Note: "rolled back"}, nil); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithTx = %v, want boom", err)
		}
		if n := count(t, d, `SELECT count(*) FROM river_job`); n != 0 {
			t.Fatalf("%d jobs after the rollback, want 0", n)
		}

		err = d.WithTx(ctx, func(tx *db.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notes (body) VALUES ('committed')`); err != nil {
				return err
			}
			return q.Enqueue(ctx, tx, effectArgs{Note: "committed"}, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "the committed job to complete", func() bool {
			return count(t, d, `SELECT count(*) FROM river_job WHERE state = 'completed'`) == 1
		})
		var notes []string
		rows, err := d.R.QueryContext(ctx, `SELECT note FROM job_effects`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			notes = append(notes, s)
		}
		rows.Close()
		if len(notes) != 1 || notes[0] != "committed" {
			t.Errorf("effects %q, want only [committed]", notes)
		}
		if n := count(t, d, `SELECT count(*) FROM notes`); n != 1 {
			t.Errorf("%d notes, want 1 (the committed one)", n)
		}
		if n := count(t, d, `SELECT count(*) FROM river_job`); n != 1 {
			t.Errorf("%d jobs, want 1", n)
		}
	})
}

// An insert-only queue enqueues but refuses to work, and Counts reports
// every state, zeros included.
func TestInsertOnlyQueueAndCounts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q, err := jobs.New(d, jobs.Options{Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err == nil {
			t.Error("Start on an insert-only queue succeeded, want an error")
		}
		if err := q.Stop(ctx); err != nil {
			t.Errorf("Stop on a queue never started = %v, want nil", err)
		}
		enqueue(t, d, q, effectArgs{Note: "a"}, nil)
		enqueue(t, d, q, effectArgs{Note: "b"}, nil)
		enqueue(t, d, q, effectArgs{Note: "later"}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
		got, err := q.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"available": 2, "scheduled": 1, "running": 0, "retryable": 0,
			"completed": 0, "discarded": 0, "cancelled": 0, "pending": 0}
		for state, n := range want {
			if c, ok := got[state]; !ok || c != n {
				t.Errorf("Counts()[%q] = %d (present %v), want %d", state, c, ok, n)
			}
		}
		if len(got) != len(want) {
			t.Errorf("Counts() = %v, want exactly the states %v", got, want)
		}
	})
}

// New refuses a rescue delay that would rescue jobs still running.
func TestNewRejectsRescueShorterThanTimeout(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	_, err := jobs.New(d, jobs.Options{Workers: river.NewWorkers(), JobTimeout: time.Minute, RescueAfter: 30 * time.Second})
	if err == nil {
		t.Fatal("New accepted RescueAfter < JobTimeout")
	}
}

// CompleteTx outside a worker reports an error instead of panicking, and
// leaves the job alone.
func TestCompleteTxOutsideWorker(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		q, err := jobs.New(d, jobs.Options{Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		enqueue(t, d, q, effectArgs{Note: "x"}, nil)
		row := &rivertype.JobRow{ID: int64(count(t, d, `SELECT id FROM river_job`)), State: rivertype.JobStateRunning}
		err = d.WithTx(ctx, func(tx *db.Tx) error { return jobs.CompleteTx(ctx, tx, row) })
		if err == nil {
			t.Error("CompleteTx outside a worker succeeded, want an error")
		}
		if n := count(t, d, `SELECT count(*) FROM river_job WHERE state = 'available'`); n != 1 {
			t.Errorf("%d available jobs, want the job untouched", n)
		}
	})
}
