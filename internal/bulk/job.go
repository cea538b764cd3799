package bulk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/query"
)

// ErrNoQueue is returned by Start when the service has no job queue.
var ErrNoQueue = errors.New("bulk: background jobs are not running")

// Start begins applying in to every record matching filter, as a durable
// job, and returns the operation to follow its progress. The filter is
// checked and the matches counted first; records created after Start are
// left alone.
func (s *Service) Start(ctx context.Context, in Input, filter query.Group) (Operation, error) {
	in, t, err := s.check(ctx, in)
	if err != nil {
		return Operation{}, err
	}
	actor, _ := access.ActorFrom(ctx)
	now := db.Now()
	o := Operation{ID: id.New(), Object: in.Object, Action: in.Action, Status: Running,
		Params:    Params{Tag: in.Tag, OwnerID: in.OwnerID, Filter: filter, Before: now},
		CreatedBy: actor.UserID, CreatedAt: now}
	if o.Total, _, err = t.count(ctx, o.Params.filter(), 0); err != nil {
		return Operation{}, err
	}
	if s.queue == nil {
		return Operation{}, ErrNoQueue
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if err := insertOp(ctx, tx, o); err != nil {
			return err
		}
		return s.queue.Enqueue(ctx, tx, Args{OperationID: o.ID}, nil)
	})
	if err != nil {
		return Operation{}, fmt.Errorf("bulk: start: %w", err)
	}
	return o, nil
}

// Args is the job that works through one operation.
type Args struct {
	OperationID string `json:"operation_id"`
}

// Kind implements river.JobArgs.
func (Args) Kind() string { return "bulk.operation" }

// DefaultBudget is how long one run of the job works before it hands the
// rest to a fresh run (river.JobSnooze(0)), well inside the queue's job
// timeout and rescue delay, so a long operation is never taken for a stuck
// one and run twice at once.
const DefaultBudget = 20 * time.Second

// Worker works bulk operations.
type Worker struct {
	river.WorkerDefaults[Args]
	s      *Service
	budget time.Duration
}

// NewWorker returns the worker to register with the job queue; budget 0
// means DefaultBudget.
func NewWorker(s *Service, budget time.Duration) *Worker {
	if budget <= 0 {
		budget = DefaultBudget
	}
	return &Worker{s: s, budget: budget}
}

// Work runs batches until the operation ends or the budget is spent. The
// batch that ends the operation completes the job in its own transaction,
// so the operation's end and the job's completion commit together.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	deadline := time.Now().Add(w.budget)
	complete := func(tx *db.Tx) error { return jobs.CompleteTx(ctx, tx, job.JobRow) }
	for {
		finished, err := w.s.Step(ctx, job.Args.OperationID, complete)
		if err != nil {
			if ctx.Err() != nil {
				return river.JobSnooze(0)
			}
			if job.Attempt >= job.MaxAttempts {
				w.s.fail(context.WithoutCancel(ctx), job.Args.OperationID, "It stopped after repeated errors: "+err.Error(), nil)
			}
			return err
		}
		if finished {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return river.JobSnooze(0)
		}
	}
}

// Step runs the next batch of an operation as the user who started it and
// reports whether the operation has ended. complete, when not nil, runs in
// the transaction that records the end. Running a batch again after a crash
// changes nothing twice: the cursor only moves with a committed batch, and
// a record already as asked is left alone.
func (s *Service) Step(ctx context.Context, opID string, complete func(*db.Tx) error) (finished bool, err error) {
	o, err := loadOp(ctx, s.db.R, opID)
	if errors.Is(err, apperr.ErrNotFound) {
		return true, s.finishJob(ctx, complete)
	}
	if err != nil {
		return false, err
	}
	if o.Finished() {
		return true, s.finishJob(ctx, complete)
	}
	actx, msg, err := s.actAs(ctx, o.CreatedBy)
	if err != nil {
		return false, err
	}
	if msg != "" {
		return true, s.fail(ctx, o.ID, msg, complete)
	}
	t, ok := s.target(o.Object)
	if !ok {
		return true, s.fail(ctx, o.ID, "Unknown kind of record "+o.Object+".", complete)
	}
	items, next, err := t.list(actx, query.Request{Filter: o.Params.filter(), Sort: workSort, Cursor: o.Cursor, Limit: s.batch})
	if v := apperr.AsValidation(err); v != nil {
		return true, s.fail(ctx, o.ID, "The filter no longer works: "+v.Error(), complete)
	}
	if errors.Is(err, apperr.ErrForbidden) {
		return true, s.fail(ctx, o.ID, "Your role no longer allows this.", complete)
	}
	if err != nil {
		return false, err
	}
	var res Result
	in := o.Input()
	for _, it := range items {
		if in.Action == Tag || in.Action == Untag {
			if it.tags, err = s.freshTags(actx, t, it); err != nil {
				return false, err
			}
		}
		if err := s.one(actx, t, in, it, &res); errors.Is(err, apperr.ErrForbidden) {
			return true, s.fail(ctx, o.ID, "Your role no longer allows this.", complete)
		} else if err != nil {
			return false, err
		}
	}
	from := o.Cursor
	o.Cursor = next
	o.Params.Changed += res.Changed
	o.Params.ProblemCount += len(res.Problems)
	for _, p := range res.Problems {
		if len(o.Params.Problems) < maxProblems {
			o.Params.Problems = append(o.Params.Problems, p)
		}
	}
	if next == "" {
		o.Status = Done
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		moved, err := advance(ctx, tx, o, from, len(items))
		if err != nil || !moved || o.Status == Running || complete == nil {
			return err
		}
		return complete(tx)
	})
	if err != nil {
		return false, err
	}
	// When another run recorded this batch first, the next Step reloads
	// the row and carries on from there.
	return false, nil
}

// freshTags rereads a record's tags just before changing them, so a tag
// someone added since the page was read is kept.
func (s *Service) freshTags(ctx context.Context, t target, it item) ([]string, error) {
	x, err := t.load(ctx, it.id)
	if errors.Is(err, apperr.ErrNotFound) {
		return it.tags, nil
	}
	return x.tags, err
}

// actAs returns ctx acting as the user who started the operation, or a
// message saying why the operation cannot go on.
func (s *Service) actAs(ctx context.Context, userID string) (context.Context, string, error) {
	if userID == "" {
		return access.WithActor(ctx, access.SystemActor), "", nil
	}
	u, err := s.users.ByID(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) {
		return ctx, "The user who started this no longer exists.", nil
	}
	if err != nil {
		return ctx, "", err
	}
	if !u.DisabledAt.IsZero() {
		return ctx, "The user who started this has been deactivated.", nil
	}
	return access.WithActor(ctx, u.Actor()), "", nil
}

// fail ends an operation with a message, and completes the job with it.
func (s *Service) fail(ctx context.Context, opID, msg string, complete func(*db.Tx) error) error {
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE bulk_operations SET status = $2, error = $3, finished_at = $4
			WHERE id = $1 AND status = $5`, opID, string(Failed), msg, db.T(db.Now()), string(Running))
		if err != nil || complete == nil {
			return err
		}
		return complete(tx)
	})
}

// finishJob completes the job of an operation that has already ended.
func (s *Service) finishJob(ctx context.Context, complete func(*db.Tx) error) error {
	if complete == nil {
		return nil
	}
	return s.db.WithTx(ctx, complete)
}
