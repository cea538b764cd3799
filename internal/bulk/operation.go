package bulk

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/query"
)

// Status is where an operation stands.
type Status string

// The statuses.
const (
	Running Status = "running" // queued or being worked
	Done    Status = "done"
	Failed  Status = "failed"
)

// Operation is one bulk action on everything a filter matched, as stored
// in bulk_operations.
type Operation struct {
	ID     string
	Object string
	Action Action
	Params Params
	Status Status
	// Total is how many records matched when the operation started; Done
	// how many have been handled (changed, already as asked, or refused).
	Total, Done int
	// Cursor is the keyset cursor after the last finished batch.
	Cursor     string
	Error      string
	CreatedBy  string
	CreatedAt  time.Time
	FinishedAt time.Time
}

// Params are the operation's input and its running tallies, stored as JSON.
type Params struct {
	Tag     string      `json:"tag,omitempty"`
	OwnerID string      `json:"owner_id,omitempty"`
	Filter  query.Group `json:"filter"`
	// Before bounds the operation to records created before it started,
	// so records added meanwhile do not grow it without end.
	Before time.Time `json:"before"`
	// Changed counts records the action changed.
	Changed int `json:"changed"`
	// Problems are the first records that could not be changed;
	// ProblemCount counts all of them.
	Problems     []Problem `json:"problems,omitempty"`
	ProblemCount int       `json:"problem_count,omitempty"`
}

// Finished reports whether the operation has stopped, done or failed.
func (o Operation) Finished() bool { return o.Status != Running }

// Input returns what the operation does.
func (o Operation) Input() Input {
	return Input{Object: o.Object, Action: o.Action, Tag: o.Params.Tag, OwnerID: o.Params.OwnerID}
}

// filter is the user's filter limited to records created before the start.
func (p Params) filter() query.Group {
	bound := query.Condition{Field: "created_at", Op: query.LT,
		Value: p.Before.Add(time.Microsecond).UTC().Format(time.RFC3339Nano)}
	f := p.Filter
	if f.Match == query.Any {
		return query.Group{Conditions: []query.Condition{bound}, Groups: []query.Group{f}}
	}
	f.Conditions = append(append([]query.Condition(nil), f.Conditions...), bound)
	return f
}

// workSort is the order jobs go through records: by creation, which no
// action changes, so a record never moves behind the cursor.
var workSort = query.Sort{Field: "created_at"}

const opColumns = `id, object, action, params, status, total, done, cursor, error, created_by, created_at, finished_at`

func scanOp(row interface{ Scan(...any) error }) (Operation, error) {
	var o Operation
	var params string
	var createdBy sql.NullString
	var created db.Time
	var finished sql.Null[db.Time]
	if err := row.Scan(&o.ID, &o.Object, &o.Action, &params, &o.Status, &o.Total, &o.Done, &o.Cursor,
		&o.Error, &createdBy, &created, &finished); err != nil {
		return o, err
	}
	o.CreatedBy, o.CreatedAt, o.FinishedAt = createdBy.String, created.Time, finished.V.Time
	if err := json.Unmarshal([]byte(params), &o.Params); err != nil {
		return o, fmt.Errorf("bulk: operation %s params: %w", o.ID, err)
	}
	return o, nil
}

func loadOp(ctx context.Context, q db.Querier, opID string) (Operation, error) {
	o, err := scanOp(q.QueryRowContext(ctx, `SELECT `+opColumns+` FROM bulk_operations WHERE id = $1`, opID))
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("bulk operation %s: %w", opID, apperr.ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("bulk: load operation: %w", err)
	}
	return o, nil
}

func insertOp(ctx context.Context, tx *db.Tx, o Operation) error {
	params, err := json.Marshal(o.Params)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO bulk_operations (id, object, action, params, status, total, done,
		cursor, error, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, '', '', $7, $8)`,
		o.ID, o.Object, string(o.Action), string(params), string(o.Status), o.Total, db.NullString(o.CreatedBy), db.T(o.CreatedAt))
	if err != nil {
		return fmt.Errorf("bulk: insert operation: %w", err)
	}
	return nil
}

// advance records a finished batch: the new cursor, the records handled
// and the tallies, and the end when status is no longer Running. It
// changes nothing and returns false when the row has moved on from cursor
// from (another run of the same job recorded this batch already).
func advance(ctx context.Context, tx *db.Tx, o Operation, from string, handled int) (bool, error) {
	params, err := json.Marshal(o.Params)
	if err != nil {
		return false, err
	}
	var finished any
	if o.Status != Running {
		finished = db.T(db.Now())
	}
	res, err := tx.ExecContext(ctx, `UPDATE bulk_operations SET cursor = $3, done = done + $4, params = $5,
		status = $6, error = $7, finished_at = $8 WHERE id = $1 AND cursor = $2 AND status = $9`,
		o.ID, from, o.Cursor, handled, string(params), string(o.Status), o.Error, finished, string(Running))
	if err != nil {
		return false, fmt.Errorf("bulk: record progress: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ByID returns an operation started by the actor (owners and admins see
// every one); anyone else gets ErrNotFound.
func (s *Service) ByID(ctx context.Context, opID string) (Operation, error) {
	actor, ok := access.ActorFrom(ctx)
	if !ok {
		return Operation{}, fmt.Errorf("bulk: no actor: %w", apperr.ErrForbidden)
	}
	if !id.Valid(opID) {
		return Operation{}, fmt.Errorf("bulk operation %q: %w", opID, apperr.ErrNotFound)
	}
	o, err := loadOp(ctx, s.db.R, opID)
	if err != nil {
		return o, err
	}
	if o.CreatedBy != actor.UserID && !actor.System && actor.Role != "owner" && actor.Role != "admin" {
		return Operation{}, fmt.Errorf("bulk operation %s: %w", opID, apperr.ErrNotFound)
	}
	return o, nil
}
