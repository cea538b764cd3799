package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/jobs"
)

// attemptLog records when each job's attempts started.
type attemptLog struct {
	mu sync.Mutex
	at map[int64][]time.Time
}

func (l *attemptLog) add(id int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.at == nil {
		l.at = map[int64][]time.Time{}
	}
	l.at[id] = append(l.at[id], time.Now())
}

func (l *attemptLog) get(id int64) []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.at[id]...)
}

// flakyArgs fails its first Fails attempts. With FastRetry the worker
// overrides NextRetry; without it River's default policy decides.
type flakyArgs struct {
	Fails     int  `json:"fails"`
	FastRetry bool `json:"fast_retry"`
}

func (flakyArgs) Kind() string { return "test_flaky" }

const fastRetry = 200 * time.Millisecond

type flakyWorker struct {
	river.WorkerDefaults[flakyArgs]
	d   *db.DB
	log *attemptLog
}

func (w *flakyWorker) NextRetry(job *river.Job[flakyArgs]) time.Time {
	if job.Args.FastRetry {
		return time.Now().Add(fastRetry)
	}
	return time.Time{} // the client's policy: DefaultClientRetryPolicy
}

func (w *flakyWorker) Work(ctx context.Context, job *river.Job[flakyArgs]) error {
	w.log.add(job.ID)
	if job.Attempt <= job.Args.Fails {
		return fmt.Errorf("attempt %d fails on purpose", job.Attempt)
	}
	return writeEffect(ctx, w.d, job.JobRow, "done")
}

func jobIDs(t *testing.T, d *db.DB, kind string) []int64 {
	t.Helper()
	rows, err := d.R.QueryContext(context.Background(), `SELECT id FROM river_job WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	return ids
}

// A failing job is retried after a backoff and then succeeds, its effect
// written once. One job uses the worker's NextRetry; the other shows that
// River's default policy (1 s after a first failure) is the one in use.
func TestFailedJobIsRetried(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		createEffects(t, d)
		log := &attemptLog{}
		workers := river.NewWorkers()
		river.AddWorker(workers, &flakyWorker{d: d, log: log})
		q := start(t, d, jobs.Options{Workers: workers})
		enqueue(t, d, q, flakyArgs{Fails: 2, FastRetry: true}, nil)
		enqueue(t, d, q, flakyArgs{Fails: 1}, nil)
		ids := jobIDs(t, d, "test_flaky")
		if len(ids) != 2 {
			t.Fatalf("jobs %v, want 2", ids)
		}
		waitFor(t, 15*time.Second, "both flaky jobs to complete", func() bool {
			return count(t, d, `SELECT count(*) FROM river_job WHERE state = 'completed'`) == 2
		})
		cases := []struct {
			name           string
			id             int64
			attempts       int
			minGap, maxGap time.Duration
		}{
			{"NextRetry override", ids[0], 3, fastRetry, 900 * time.Millisecond},
			// DefaultClientRetryPolicy: attempt⁴ s ± 10 %, so 0.9–1.1 s.
			{"default policy", ids[1], 2, 850 * time.Millisecond, 3 * time.Second},
		}
		for _, c := range cases {
			at := log.get(c.id)
			if len(at) != c.attempts {
				t.Errorf("%s: %d attempts, want %d", c.name, len(at), c.attempts)
				continue
			}
			for i := 1; i < len(at); i++ {
				if gap := at[i].Sub(at[i-1]); gap < c.minGap || gap > c.maxGap {
					t.Errorf("%s: attempt %d came %s after the previous one, want %s to %s",
						c.name, i+1, gap, c.minGap, c.maxGap)
				}
			}
			if n := count(t, d, `SELECT attempt FROM river_job WHERE id = $1`, c.id); n != c.attempts {
				t.Errorf("%s: river_job.attempt = %d, want %d", c.name, n, c.attempts)
			}
			if n := count(t, d, `SELECT count(*) FROM job_effects WHERE job_id = $1`, c.id); n != 1 {
				t.Errorf("%s: %d effects, want 1", c.name, n)
			}
		}
	})
}

// tickArgs is inserted by the periodic scheduler.
type tickArgs struct{}

func (tickArgs) Kind() string { return "test_tick" }

type tickWorker struct {
	river.WorkerDefaults[tickArgs]
	d   *db.DB
	log *attemptLog
}

func (w *tickWorker) Work(ctx context.Context, job *river.Job[tickArgs]) error {
	w.log.add(0)
	return writeEffect(ctx, w.d, job.JobRow, "tick")
}

// A periodic job is inserted and worked on its schedule, not faster.
func TestPeriodicJobRuns(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		createEffects(t, d)
		log := &attemptLog{}
		workers := river.NewWorkers()
		river.AddWorker(workers, &tickWorker{d: d, log: log})
		period := time.Second
		start(t, d, jobs.Options{
			Workers: workers,
			Periodic: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(period),
				func() (river.JobArgs, *river.InsertOpts) { return tickArgs{}, nil }, nil)},
		})
		waitFor(t, 20*time.Second, "three ticks", func() bool {
			return count(t, d, `SELECT count(*) FROM job_effects WHERE note = 'tick'`) >= 3
		})
		at := log.get(0)
		for i := 1; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap < period*7/10 {
				t.Errorf("tick %d came %s after the previous one, want about %s", i+1, gap, period)
			}
		}
	})
}

// blockArgs makes blockWorker wait Hold (or, if zero, until its context is
// cancelled) before writing its effect.
type blockArgs struct {
	Hold time.Duration `json:"hold"`
}

func (blockArgs) Kind() string { return "test_block" }

type blockWorker struct {
	river.WorkerDefaults[blockArgs]
	d         *db.DB
	started   chan struct{}
	cancelled chan struct{}
}

func (w *blockWorker) Work(ctx context.Context, job *river.Job[blockArgs]) error {
	close(w.started)
	var hold <-chan time.Time
	if job.Args.Hold > 0 {
		hold = time.After(job.Args.Hold)
	}
	select {
	case <-hold:
	case <-ctx.Done():
		close(w.cancelled)
		return ctx.Err()
	}
	return writeEffect(ctx, w.d, job.JobRow, "held")
}

func newBlockWorker(d *db.DB) (*river.Workers, *blockWorker) {
	w := &blockWorker{d: d, started: make(chan struct{}), cancelled: make(chan struct{})}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	return workers, w
}

func waitStarted(t *testing.T, w *blockWorker) {
	t.Helper()
	select {
	case <-w.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not start within 10 s")
	}
}

// Stop lets a running job finish, and records its completion, before it
// returns.
func TestStopWaitsForRunningJob(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		createEffects(t, d)
		workers, w := newBlockWorker(d)
		q := start(t, d, jobs.Options{Workers: workers})
		hold := 700 * time.Millisecond
		enqueue(t, d, q, blockArgs{Hold: hold}, nil)
		waitStarted(t, w)
		begun := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Fatalf("Stop = %v, want nil", err)
		}
		if took := time.Since(begun); took < hold/2 {
			t.Errorf("Stop returned after %s, before the job could have finished", took)
		}
		select {
		case <-w.cancelled:
			t.Error("the running job was cancelled; Stop should have let it finish")
		default:
		}
		if n := count(t, d, `SELECT count(*) FROM job_effects`); n != 1 {
			t.Errorf("%d effects after Stop, want 1", n)
		}
		if n := count(t, d, `SELECT count(*) FROM river_job WHERE state = 'completed'`); n != 1 {
			t.Errorf("%d completed jobs after Stop, want 1", n)
		}
	})
}

// When Stop's context ends first, running jobs are cancelled, Stop says so
// and the job stays in the queue to be retried.
func TestStopCancelsJobsAtDeadline(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		createEffects(t, d)
		workers, w := newBlockWorker(d)
		q := start(t, d, jobs.Options{Workers: workers})
		enqueue(t, d, q, blockArgs{}, nil) // holds until cancelled
		waitStarted(t, w)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		begun := time.Now()
		err := q.Stop(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Stop = %v, want an error wrapping context.DeadlineExceeded", err)
		}
		if took := time.Since(begun); took > 3*time.Second {
			t.Errorf("Stop took %s after its deadline of 300ms", took)
		}
		select {
		case <-w.cancelled:
		default:
			t.Error("the running job's context was not cancelled")
		}
		if n := count(t, d, `SELECT count(*) FROM river_job WHERE state IN ('available', 'retryable')`); n != 1 {
			t.Errorf("%d jobs waiting for a retry, want the cancelled one", n)
		}
	})
}
