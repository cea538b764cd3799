package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/jobs"
)

// The crash test runs its workers in child processes: this test binary
// re-executed with these variables set.
const (
	// envCrashDB carries the database source; its presence makes
	// TestCrashHelperProcess act as a worker process.
	envCrashDB = "RAPPORT_JOBS_CRASH_DB"
	// envCrashBroken, when "1", makes the workers skip CompleteTx so that
	// River completes jobs after the effect commits. It exists to show that
	// TestCrashEffectsExactlyOnce can fail:
	//
	//	RAPPORT_JOBS_CRASH_BROKEN=1 go test -run TestCrashEffectsExactlyOnce ./internal/jobs/
	//
	// must report jobs whose effect committed twice.
	envCrashBroken = "RAPPORT_JOBS_CRASH_BROKEN"
)

const (
	crashJobs = 600
	// Short enough for the test, and what DESIGN §2a measured with.
	crashJobTimeout  = 5 * time.Second
	crashRescueAfter = 10 * time.Second
)

// crashArgs is one job of the crash test.
type crashArgs struct {
	N int `json:"n"`
}

func (crashArgs) Kind() string { return "test_crash" }

type crashWorker struct {
	river.WorkerDefaults[crashArgs]
	d      *db.DB
	broken bool
}

// Work takes a moment, as real work does, then writes its effect, keyed on
// the job ID, and a line in a log without any key, and completes the job in
// that same transaction. A job whose effect transaction commits twice leaves
// two log lines.
func (w *crashWorker) Work(ctx context.Context, job *river.Job[crashArgs]) error {
	select {
	case <-time.After(time.Duration(50+rand.IntN(200)) * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	return w.d.WithTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO crash_effects (job_id, n) VALUES ($1, $2) ON CONFLICT (job_id) DO NOTHING`, job.ID, job.Args.N)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO crash_log (job_id, attempt, pid) VALUES ($1, $2, $3)`, job.ID, job.Attempt, os.Getpid())
		if err != nil || w.broken {
			return err
		}
		return jobs.CompleteTx(ctx, tx, job.JobRow)
	})
}

// TestCrashHelperProcess is the worker process of TestCrashEffectsExactlyOnce.
// Run by go test directly it returns at once.
func TestCrashHelperProcess(t *testing.T) {
	raw := os.Getenv(envCrashDB)
	if raw == "" {
		return
	}
	err := runCrashWorker(raw, os.Getenv(envCrashBroken) == "1")
	fmt.Fprintf(os.Stderr, "crash worker: %v\n", err)
	os.Exit(3)
}

// runCrashWorker works jobs until the parent kills this process or closes
// its stdin (the parent died), or two minutes pass.
func runCrashWorker(raw string, broken bool) error {
	ctx := context.Background()
	src, err := db.ParseSource(raw)
	if err != nil {
		return err
	}
	d, err := db.Open(ctx, src)
	if err != nil {
		return err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &crashWorker{d: d, broken: broken})
	q, err := jobs.New(d, jobs.Options{
		Workers:           workers,
		Logger:            testLogger(),
		JobTimeout:        crashJobTimeout,
		RescueAfter:       crashRescueAfter,
		FetchPollInterval: 200 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	if err := q.Start(ctx); err != nil {
		return err
	}
	stdinClosed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-stdinClosed:
		return fmt.Errorf("stdin closed")
	case <-time.After(2 * time.Minute):
		return fmt.Errorf("ran for two minutes without being killed")
	}
}

// syncBuffer collects a child's stderr while the child writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// child is a running worker process.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *syncBuffer
	exited chan struct{}
}

func startChild(t *testing.T, source string, broken bool) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$")
	cmd.Env = append(os.Environ(), envCrashDB+"="+source)
	if broken {
		cmd.Env = append(cmd.Env, envCrashBroken+"=1")
	}
	c := &child{cmd: cmd, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = c.stderr
	cmd.Stdout = c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start worker process: %v", err)
	}
	go func() {
		cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.kill()
		if t.Failed() {
			t.Logf("worker process %d output:\n%s", cmd.Process.Pid, c.stderr)
		}
	})
	return c
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *child) kill() {
	c.cmd.Process.Kill()
	<-c.exited
	c.stdin.Close()
}

func (c *child) alive() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// crashStates reads how far the jobs have got.
type crashStates struct {
	effects, running, completed int
}

func readCrashStates(t *testing.T, d *db.DB) crashStates {
	t.Helper()
	var s crashStates
	err := d.R.QueryRowContext(context.Background(), `SELECT
		(SELECT count(*) FROM crash_effects),
		(SELECT count(*) FROM river_job WHERE state = 'running'),
		(SELECT count(*) FROM river_job WHERE state = 'completed')`).Scan(&s.effects, &s.running, &s.completed)
	if err != nil {
		t.Fatalf("read progress: %v", err)
	}
	return s
}

// waitChild polls until cond holds, failing early if the worker process dies.
func waitChild(t *testing.T, c *child, d *db.DB, timeout time.Duration, what string, cond func(crashStates) bool) crashStates {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := readCrashStates(t, d)
		if cond(s) {
			return s
		}
		if !c.alive() {
			t.Fatalf("worker process exited while waiting for %s (%+v)", what, s)
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s; got %+v", timeout, what, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Jobs survive their worker process being SIGKILLed mid-way: after a new
// process takes over, every job is completed and every effect committed
// exactly once. Needs both the effect keyed on the job ID and CompleteTx in
// the effect's transaction (see envCrashBroken).
func TestCrashEffectsExactlyOnce(t *testing.T) {
	broken := os.Getenv(envCrashBroken) == "1"
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			testCrash(t, e, broken)
		})
	}
}

func testCrash(t *testing.T, e db.Engine, broken bool) {
	ctx := context.Background()
	src := dbtest.Source(t, e)
	d := dbtest.OpenUnmigrated(t, src)
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	mustExec(t, d, `CREATE TABLE crash_effects (job_id bigint PRIMARY KEY, n integer NOT NULL)`)
	mustExec(t, d, `CREATE TABLE crash_log (job_id bigint NOT NULL, attempt integer NOT NULL, pid integer NOT NULL)`)
	q, err := jobs.New(d, jobs.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	begun := time.Now()
	err = d.WithTx(ctx, func(tx *db.Tx) error {
		for i := range crashJobs {
			if err := q.Enqueue(ctx, tx, crashArgs{N: i}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("enqueued %d jobs in %s", crashJobs, time.Since(begun).Round(time.Millisecond))

	source := src.URL
	if e == db.SQLite {
		source = "sqlite:" + src.Path
	}
	begun = time.Now()
	first := startChild(t, source, broken)
	atKill := waitChild(t, first, d, 60*time.Second, "a third of the effects with jobs running",
		func(s crashStates) bool { return s.effects >= crashJobs/3 && s.running >= 3 })
	first.kill()
	killedAt := time.Now()
	after := readCrashStates(t, d)
	t.Logf("SIGKILLed the first worker after %s: %d effects, %d jobs left running",
		killedAt.Sub(begun).Round(time.Millisecond), after.effects, after.running)
	if after.running == 0 || after.effects >= crashJobs {
		t.Fatalf("the kill did not land mid-way (%+v at the last poll, %+v after)", atKill, after)
	}

	second := startChild(t, source, broken)
	waitChild(t, second, d, 90*time.Second, "every job to complete",
		func(s crashStates) bool { return s.completed == crashJobs })
	t.Logf("second worker completed the rest %s after the kill (total %s)",
		time.Since(killedAt).Round(time.Millisecond), time.Since(begun).Round(time.Millisecond))
	second.kill()

	checkExactlyOnce(t, d)
}

// checkExactlyOnce asserts every job has its effect and that no job's
// effect transaction committed more than once.
func checkExactlyOnce(t *testing.T, d *db.DB) {
	t.Helper()
	if n := count(t, d, `SELECT count(*) FROM river_job WHERE state <> 'completed'`); n != 0 {
		t.Errorf("%d jobs not completed", n)
	}
	if n := count(t, d, `SELECT count(*) FROM river_job j LEFT JOIN crash_effects e ON e.job_id = j.id WHERE e.job_id IS NULL`); n != 0 {
		t.Errorf("%d jobs without their effect", n)
	}
	if n := count(t, d, `SELECT count(*) FROM crash_effects`); n != crashJobs {
		t.Errorf("%d effects, want %d", n, crashJobs)
	}
	rows, err := d.R.QueryContext(context.Background(),
		`SELECT job_id, count(*) FROM crash_log GROUP BY job_id HAVING count(*) > 1 ORDER BY job_id`)
	if err != nil {
		t.Fatal(err)
	}
	var dups []string
	for rows.Next() {
		var id int64
		var n int
		rows.Scan(&id, &n)
		dups = append(dups, fmt.Sprintf("job %d ×%d", id, n))
	}
	rows.Close()
	if len(dups) > 0 {
		t.Errorf("%d jobs had their effect committed more than once: %s", len(dups), strings.Join(dups, ", "))
	}
	if n := count(t, d, `SELECT count(*) FROM crash_log`); n != crashJobs {
		t.Errorf("%d effect transactions committed, want exactly %d", n, crashJobs)
	}
	rescued := count(t, d, `SELECT count(*) FROM river_job WHERE attempt > 1`)
	pids := count(t, d, `SELECT count(DISTINCT pid) FROM crash_log`)
	t.Logf("%d jobs were rescued and run again; effects came from %d processes", rescued, pids)
	if rescued == 0 || pids != 2 {
		t.Errorf("rescued %d jobs, effects from %d processes; want some rescued and both processes working", rescued, pids)
	}
}
