package backup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
)

// Args is the backup job. The periodic job (Manual false) writes a backup
// when the schedule says one is due; "Back up now" (Manual true) writes one
// unless a backup newer than RequestedAt is there already, so a job that
// runs twice, or two presses of the button, make one backup.
type Args struct {
	Manual      bool      `json:"manual,omitempty"`
	RequestedAt time.Time `json:"requested_at,omitzero"`
}

// Kind implements river.JobArgs.
func (Args) Kind() string { return "backup.run" }

// InsertOpts keeps one periodic check waiting or running at a time, and
// does not retry it: the next check does.
func (a Args) InsertOpts() river.InsertOpts {
	if a.Manual {
		return river.InsertOpts{MaxAttempts: 3}
	}
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

// JobTimeout bounds one backup. Backups take a lock, so a long one that the
// queue takes for stuck and starts again makes the second run skip.
const JobTimeout = 6 * time.Hour

// Worker runs backup jobs.
type Worker struct {
	river.WorkerDefaults[Args]
	s *Service
}

// NewWorker returns the worker to register with the job queue.
func NewWorker(s *Service) *Worker { return &Worker{s: s} }

// Timeout implements river.Worker: a backup may take longer than the
// queue's default job timeout.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration { return JobTimeout }

// Work writes a backup into the folder when due (or when asked for).
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	ctx = access.WithActor(ctx, access.SystemActor)
	var res Result
	var wrote bool
	var err error
	if job.Args.Manual {
		f, ferr := w.s.folder()
		if ferr != nil {
			return ferr
		}
		if len(f.Files) > 0 && !f.Files[0].Time.Before(job.Args.RequestedAt.Truncate(time.Second)) {
			return nil
		}
		res, err = w.s.intoFolder(ctx)
		wrote = err == nil
		if errors.Is(err, ErrBusy) {
			return nil
		}
	} else {
		res, wrote, err = w.s.RunScheduled(ctx, time.Now())
	}
	if err != nil {
		w.s.logger.Error("backup failed", "err", err)
		return err
	}
	if wrote {
		w.s.logger.Info("backup written", "file", res.Path, "bytes", res.Size,
			"duration", res.Duration.Round(time.Millisecond).String())
	}
	return nil
}

// PeriodicJob is the job that checks every CheckEvery whether a scheduled
// backup is due; it runs on the elected leader only.
func PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(CheckEvery),
		func() (river.JobArgs, *river.InsertOpts) { return Args{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// Enqueuer inserts a job inside a transaction; *jobs.Queue is one.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *db.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// Start asks the job queue for a backup into the folder now, recording who
// asked. The backup appears in Files when it is done.
func (s *Service) Start(ctx context.Context, q Enqueuer) error {
	actor, err := access.Check(ctx, access.Settings, access.Update)
	if err != nil {
		return err
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if err := s.requested(ctx, tx, actor); err != nil {
			return err
		}
		return q.Enqueue(ctx, tx, Args{Manual: true, RequestedAt: time.Now().UTC()}, nil)
	})
	if err != nil {
		return fmt.Errorf("backup: start: %w", err)
	}
	return nil
}

// requested records that actor asked for a backup into the folder.
func (s *Service) requested(ctx context.Context, tx *db.Tx, actor access.Actor) error {
	_, err := event.Record(ctx, tx, event.Event{Kind: "backup.requested", ActorID: actor.UserID,
		SubjectType: "setting", SubjectID: settingsSubject, Data: map[string]any{"folder": s.dir}})
	return err
}
