// Package bulk applies one action (tag, untag, change owner, delete) to
// many contacts or companies at once, always through their services so that
// every record gets its own events and the same rules as a single edit.
//
// A selection of at most MaxSelection records runs at once, in the request
// (Apply). Everything a filter matches runs as a durable job (Start): a
// bulk_operations row holds the status, the total, how many are done and the
// keyset cursor of the last finished batch, and a River worker works through
// the matches in batches, in creation order, so it resumes after a crash
// where it stopped and never meets a record twice because the action changed
// it.
package bulk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/tag"
	"github.com/rapportcrm/rapport/internal/user"
)

// Action is what a bulk operation does to each record.
type Action string

// The actions.
const (
	Tag    Action = "tag"
	Untag  Action = "untag"
	Owner  Action = "owner" // change the owner
	Delete Action = "delete"
)

// Actions lists the actions in menu order.
var Actions = []Action{Tag, Untag, Owner, Delete}

// Objects a bulk action applies to.
const (
	ObjectContact = "contact"
	ObjectCompany = "company"
)

// Limits.
const (
	// MaxSelection is the most records Apply changes in one request.
	MaxSelection = 200
	// DefaultBatch is how many records a job handles per batch.
	DefaultBatch = 200
	// maxProblems is how many per-record problems an operation keeps.
	maxProblems = 5
)

// Input says what to do.
type Input struct {
	Object string `json:"object"`
	Action Action `json:"action"`
	// Tag is the tag to add or remove.
	Tag string `json:"tag,omitempty"`
	// OwnerID is the new owner; "" removes the owner.
	OwnerID string `json:"owner_id,omitempty"`
}

// Result is what Apply did.
type Result struct {
	// Changed counts the records the action changed.
	Changed int
	// Unchanged counts records that already were as asked (or were gone).
	Unchanged int
	// Problems are the records that could not be changed, with the reason.
	Problems []Problem
}

// Problem is a record the action could not change.
type Problem struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Name + ": " + p.Message }

// Users is what the service needs to know about users.
type Users interface {
	ByID(ctx context.Context, userID string) (user.User, error)
}

// Enqueuer inserts a job inside a transaction; *jobs.Queue is one.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *db.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// Options are the service's dependencies.
type Options struct {
	DB        *db.DB
	Contacts  *contact.Service
	Companies *company.Service
	Users     Users
	// Queue starts jobs; nil makes Start refuse (Apply still works).
	Queue Enqueuer
	// Batch is the batch size of jobs; 0 means DefaultBatch.
	Batch int
}

// Service runs bulk actions.
type Service struct {
	db        *db.DB
	contacts  *contact.Service
	companies *company.Service
	users     Users
	queue     Enqueuer
	batch     int
}

// NewService returns a Service.
func NewService(o Options) *Service {
	b := o.Batch
	if b <= 0 {
		b = DefaultBatch
	}
	return &Service{db: o.DB, contacts: o.Contacts, companies: o.Companies, users: o.Users, queue: o.Queue, batch: b}
}

// check validates in against the actor's rights and returns the cleaned
// input and the object's target. A viewer is refused with ErrForbidden.
func (s *Service) check(ctx context.Context, in Input) (Input, target, error) {
	t, ok := s.target(in.Object)
	if !ok {
		return in, t, &apperr.Validation{Fields: []apperr.FieldError{{Field: "object", Message: "Choose contacts or companies."}}}
	}
	need := access.Update
	if in.Action == Delete {
		need = access.Delete
	}
	if _, err := access.Check(ctx, t.perm, need); err != nil {
		return in, t, err
	}
	var v apperr.Validation
	switch in.Action {
	case Tag, Untag:
		names, err := tag.Clean("tag", []string{in.Tag})
		switch {
		case err != nil:
			v.Merge(err)
		case len(names) == 0:
			v.Add("tag", "Enter a tag.")
		default:
			in.Tag = names[0]
		}
	case Owner:
		in.OwnerID = strings.TrimSpace(in.OwnerID)
		if in.OwnerID != "" {
			u, err := s.users.ByID(ctx, in.OwnerID)
			switch {
			case errors.Is(err, apperr.ErrNotFound):
				v.Add("owner_id", "Choose an owner from the list of users.")
			case err != nil:
				return in, t, err
			case !u.DisabledAt.IsZero():
				v.Add("owner_id", u.Name+" is deactivated; choose an active user.")
			}
		}
	case Delete:
	default:
		v.Add("action", "Choose tag, remove tag, change owner or delete.")
	}
	return in, t, v.Err()
}

// Apply runs in on the records ids (at most MaxSelection) now, one service
// call per record. Records that are gone or already as asked are counted as
// unchanged; records the service refuses are reported as problems.
func (s *Service) Apply(ctx context.Context, in Input, ids []string) (Result, error) {
	in, t, err := s.check(ctx, in)
	if err != nil {
		return Result{}, err
	}
	var v apperr.Validation
	switch {
	case len(ids) == 0:
		v.Add("ids", "Select at least one record.")
	case len(ids) > MaxSelection:
		v.Add("ids", fmt.Sprintf("Select at most %d records, or choose all records matching the filter.", MaxSelection))
	}
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	var res Result
	seen := map[string]bool{}
	for _, rid := range ids {
		rid = strings.ToLower(strings.TrimSpace(rid))
		if seen[rid] {
			continue
		}
		seen[rid] = true
		if !id.Valid(rid) {
			res.Unchanged++
			continue
		}
		it, err := t.load(ctx, rid)
		if errors.Is(err, apperr.ErrNotFound) {
			res.Unchanged++
			continue
		}
		if err != nil {
			return res, err
		}
		if err := s.one(ctx, t, in, it, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// one applies in to one record and counts the outcome in res. It returns
// an error only for what should stop the whole operation: a refusal
// (ErrForbidden) or a failure of the database.
func (s *Service) one(ctx context.Context, t target, in Input, it item, res *Result) error {
	changed, err := s.act(ctx, t, in, it)
	switch {
	case err == nil && changed:
		res.Changed++
	case err == nil, errors.Is(err, apperr.ErrNotFound):
		res.Unchanged++
	case errors.Is(err, apperr.ErrForbidden):
		return err
	default:
		v := apperr.AsValidation(err)
		if v == nil {
			return err
		}
		msg := "It could not be changed."
		if len(v.Fields) > 0 {
			msg = v.Fields[0].Message
		}
		res.Problems = append(res.Problems, Problem{ID: it.id, Name: it.name, Message: msg})
	}
	return nil
}

// act applies in to one record unless it already is as asked, so that
// running an action twice on a record changes it (and records events) once.
func (s *Service) act(ctx context.Context, t target, in Input, it item) (bool, error) {
	switch in.Action {
	case Tag:
		if hasTag(it.tags, in.Tag) {
			return false, nil
		}
		return true, t.setTags(ctx, it.id, append(slices.Clip(it.tags), in.Tag))
	case Untag:
		if !hasTag(it.tags, in.Tag) {
			return false, nil
		}
		keep := slices.DeleteFunc(slices.Clone(it.tags), func(x string) bool { return strings.EqualFold(x, in.Tag) })
		return true, t.setTags(ctx, it.id, keep)
	case Owner:
		if it.ownerID == in.OwnerID {
			return false, nil
		}
		return true, t.setOwner(ctx, it.id, in.OwnerID)
	case Delete:
		return true, t.delete(ctx, it.id)
	}
	return false, fmt.Errorf("bulk: unknown action %q", in.Action)
}

func hasTag(tags []string, name string) bool {
	return slices.ContainsFunc(tags, func(x string) bool { return strings.EqualFold(x, name) })
}

// Check reports what is wrong with in for the actor (ErrForbidden for a
// viewer, a Validation for bad input) without changing anything, so a page
// can ask for confirmation of something that will run.
func (s *Service) Check(ctx context.Context, in Input) error {
	_, _, err := s.check(ctx, in)
	return err
}
