package deal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/record"
	"github.com/rapportcrm/rapport/internal/revision"
	"github.com/rapportcrm/rapport/internal/setting"
)

// Contacts is what deals need of the contact service: a contact the actor
// may see.
type Contacts interface {
	ByID(ctx context.Context, contactID string) (contact.Contact, error)
}

// Companies is what deals need of the company service.
type Companies interface {
	ByID(ctx context.Context, companyID string) (company.Company, error)
}

// Service is the one way pipelines and deals are read and changed.
type Service struct {
	db        *db.DB
	users     record.Users
	contacts  Contacts
	companies Companies
	// OnWon, when set, runs inside the transaction that marks a deal won
	// (orders are placed from the deal's products there); an error rolls
	// the whole change back.
	OnWon func(ctx context.Context, tx *db.Tx, dealID string) error
	// now is the clock; tests move it to measure time in stage.
	now func() time.Time
	// schemas keeps the list schema while no custom field or user changes.
	schemas revision.Cache[*query.Schema]
}

// NewService returns a Service on d.
func NewService(d *db.DB, users record.Users, contacts Contacts, companies Companies) *Service {
	return &Service{db: d, users: users, contacts: contacts, companies: companies, now: db.Now}
}

// SetClock replaces the service's clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// ByID returns a live deal the actor may see.
func (s *Service) ByID(ctx context.Context, dealID string) (Deal, error) {
	if _, err := access.Check(ctx, Deals, access.Read); err != nil {
		return Deal{}, err
	}
	return s.load(ctx, s.db.R, dealID, false)
}

func (s *Service) load(ctx context.Context, q db.Querier, dealID string, forUpdate bool) (Deal, error) {
	d, err := dealByID(ctx, q, dealID, forUpdate)
	if err != nil {
		return d, err
	}
	if err := access.CheckOwner(ctx, q, d.OwnerID, "deal "+d.ID); err != nil {
		return Deal{}, err
	}
	return d, nil
}

// History returns the deal's stays in stages, oldest first, with the time
// spent in each.
func (s *Service) History(ctx context.Context, dealID string) ([]Stay, error) {
	if _, err := s.ByID(ctx, dealID); err != nil {
		return nil, err
	}
	return history(ctx, s.db.R, dealID, s.now())
}

// Create adds a deal. Without a stage it starts in the first stage of its
// pipeline (the first pipeline when none is given); without a currency it
// takes the pipeline's.
func (s *Service) Create(ctx context.Context, in Input) (Deal, error) {
	actor, err := access.Check(ctx, Deals, access.Create)
	if err != nil {
		return Deal{}, err
	}
	d := Deal{Status: Open, Custom: customfield.Values{}, Contacts: []Ref{}}
	var v apperr.Validation
	p, err := s.placeNew(ctx, &d, in, &v)
	if err != nil {
		return d, err
	}
	if in.Currency == nil && p.ID != "" {
		in.Currency = &p.Currency
	}
	contactIDs, err := s.prepare(ctx, &d, in, &v)
	if err != nil {
		return d, err
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		d.ID, d.CreatedAt, d.UpdatedAt, d.StageEnteredAt, d.CreatedBy, d.UpdatedBy = id.New(), now, now, now, actor.UserID, actor.UserID
		d.MovedAt, d.Version, d.MovedVersion = now, 1, 1
		last, err := lastRank(ctx, tx, d.StageID)
		if err != nil {
			return err
		}
		d.Rank = Between(last, "")
		d.Contacts = contactIDs
		if err := insertDeal(ctx, tx, d); err != nil {
			return err
		}
		if err := enterStage(ctx, tx, d, d.StageID, actor.UserID, now); err != nil {
			return err
		}
		return s.emit(ctx, tx, d, actor.UserID, "created", map[string]any{"name": d.Name, "stage": d.StageName,
			"pipeline": d.PipelineName, "amount": d.Amount, "currency": d.Currency})
	})
	if err != nil {
		return d, fmt.Errorf("deal: create: %w", err)
	}
	return d, nil
}

// placeNew sets a new deal's pipeline and stage from in.
func (s *Service) placeNew(ctx context.Context, d *Deal, in Input, v *apperr.Validation) (Pipeline, error) {
	pid := ""
	if in.PipelineID != nil {
		pid = strings.TrimSpace(*in.PipelineID)
	}
	if pid == "" && in.StageID != nil && *in.StageID != "" {
		st, err := stageByID(ctx, s.db.R, *in.StageID)
		if err == nil {
			pid = st.PipelineID
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return Pipeline{}, err
		}
	}
	if pid == "" {
		all, err := pipelines(ctx, s.db.R)
		if err != nil {
			return Pipeline{}, err
		}
		if len(all) == 0 {
			v.Add("pipeline_id", "Create a pipeline first.")
			return Pipeline{}, nil
		}
		pid = all[0].ID
	}
	p, err := pipelineByID(ctx, s.db.R, pid)
	if errors.Is(err, apperr.ErrNotFound) {
		v.Add("pipeline_id", "There is no pipeline with this id.")
		return Pipeline{}, nil
	}
	if err != nil {
		return p, err
	}
	d.PipelineID, d.PipelineName = p.ID, p.Name
	stageID := ""
	if in.StageID != nil {
		stageID = strings.TrimSpace(*in.StageID)
	}
	if stageID == "" && len(p.Stages) > 0 {
		stageID = p.Stages[0].ID
	}
	st, ok := p.Stage(stageID)
	switch {
	case len(p.Stages) == 0:
		v.Add("stage_id", "This pipeline has no stages yet.")
	case !ok:
		v.Add("stage_id", "Choose a stage of the pipeline "+p.Name+".")
	default:
		d.StageID, d.StageName, d.Probability = st.ID, st.Name, st.Probability
	}
	return p, nil
}

// prepare applies in to d and checks everything, returning the contacts to
// link; v already holds the placement's errors.
func (s *Service) prepare(ctx context.Context, d *Deal, in Input, v *apperr.Validation) ([]Ref, error) {
	in.apply(d, v)
	name, err := record.CheckOwner(ctx, s.users, v, d.OwnerID)
	if err != nil {
		return nil, err
	}
	d.OwnerName = name
	if in.CompanyID != nil || d.CompanyID != "" {
		d.CompanyName = ""
		if d.CompanyID != "" {
			c, err := s.companies.ByID(ctx, d.CompanyID)
			switch {
			case errors.Is(err, apperr.ErrNotFound):
				v.Add("company_id", "There is no company with this id.")
			case err != nil:
				return nil, err
			default:
				d.CompanyName = c.Name
			}
		}
	}
	refs := d.Contacts
	if in.ContactIDs != nil {
		refs = []Ref{}
		for _, cid := range *in.ContactIDs {
			cid = strings.TrimSpace(cid)
			if cid == "" || slices.ContainsFunc(refs, func(r Ref) bool { return r.ID == cid }) {
				continue
			}
			c, err := s.contacts.ByID(ctx, cid)
			if errors.Is(err, apperr.ErrNotFound) {
				v.Add("contact_ids", "There is no contact with the id "+cid+".")
				continue
			}
			if err != nil {
				return nil, err
			}
			refs = append(refs, Ref{ID: c.ID, Name: c.DisplayName})
		}
		if len(refs) > 50 {
			v.Add("contact_ids", "Link at most 50 contacts.")
		}
	}
	defs, err := customfield.ListFor(ctx, s.db.R, customfield.ObjectDeal)
	if err != nil {
		return nil, err
	}
	region, err := setting.Region(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	if d.Custom, err = customfield.Apply(defs, d.Custom, in.Custom, region); err != nil {
		v.Merge(err)
	}
	return refs, v.Err()
}

// Update changes the fields set in in. A change of stage is a move to the
// end of the new stage's column. When in.Version is set and someone else
// changed the deal since, the change is refused with a *Conflict.
func (s *Service) Update(ctx context.Context, dealID string, in Input) (Deal, error) {
	actor, err := access.Check(ctx, Deals, access.Update)
	if err != nil {
		return Deal{}, err
	}
	seen, err := s.load(ctx, s.db.R, dealID, false)
	if err != nil {
		return seen, err
	}
	if in.Version != 0 && in.Version != seen.Version {
		return seen, editConflict(seen)
	}
	d := seen
	d.Custom = customfield.Values{}
	for k, x := range seen.Custom {
		d.Custom[k] = x
	}
	var v apperr.Validation
	if err := s.replace(ctx, &d, in, &v); err != nil {
		return d, err
	}
	refs, err := s.prepare(ctx, &d, in, &v)
	if err != nil {
		return d, err
	}
	d.Contacts = refs
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		old, err := s.load(ctx, tx, dealID, true)
		if err != nil {
			return err
		}
		if old.Version != seen.Version {
			return editConflict(old)
		}
		now := s.now()
		d.UpdatedAt = now
		moved := d.StageID != old.StageID
		if moved {
			last, err := lastRank(ctx, tx, d.StageID)
			if err != nil {
				return err
			}
			d.Rank, d.StageEnteredAt = Between(last, ""), now
		}
		if err := updateDeal(ctx, tx, d, old.Version, moved, actor.UserID); err != nil {
			return err
		}
		if in.ContactIDs != nil {
			if err := setContacts(ctx, tx, d.ID, d.ContactIDs()); err != nil {
				return err
			}
		}
		d.Version = old.Version + 1
		if moved {
			if err := s.stageChanged(ctx, tx, old, d, actor.UserID, now); err != nil {
				return err
			}
		}
		changes := record.Diff(old.fields(), d.fields())
		if len(changes) == 0 {
			return nil
		}
		return s.emit(ctx, tx, d, actor.UserID, "updated", map[string]any{"changes": changes})
	})
	if err != nil {
		return d, fmt.Errorf("deal: update: %w", err)
	}
	return d, nil
}

// replace applies a change of pipeline or stage in in to d.
func (s *Service) replace(ctx context.Context, d *Deal, in Input, v *apperr.Validation) error {
	pid := d.PipelineID
	if in.PipelineID != nil && strings.TrimSpace(*in.PipelineID) != "" {
		pid = strings.TrimSpace(*in.PipelineID)
	}
	if pid == d.PipelineID && (in.StageID == nil || *in.StageID == d.StageID) {
		return nil
	}
	stageID := ""
	if in.StageID != nil {
		stageID = *in.StageID
	}
	if pid != d.PipelineID && stageID == "" {
		// Another pipeline without a stage: its first stage.
		in.StageID = nil
	} else {
		in.StageID = &stageID
	}
	in.PipelineID = &pid
	_, err := s.placeNew(ctx, d, in, v)
	return err
}

func editConflict(now Deal) *Conflict {
	return &Conflict{Current: now, By: now.UpdatedName, What: "changed", At: now.UpdatedAt}
}

// Delete moves a deal to the trash.
func (s *Service) Delete(ctx context.Context, dealID string) error {
	actor, err := access.Check(ctx, Deals, access.Delete)
	if err != nil {
		return err
	}
	d, err := s.load(ctx, s.db.R, dealID, false)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		now := db.T(s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE deals SET deleted_at = $2, updated_at = $2, updated_by = $3,
			version = version + 1 WHERE id = $1`, d.ID, now, db.NullString(actor.UserID)); err != nil {
			return fmt.Errorf("deal: delete: %w", err)
		}
		return s.emit(ctx, tx, d, actor.UserID, "deleted", map[string]any{"name": d.Name})
	})
}

// emit records "deal.<verb>" on the deal's and its company's timelines, and
// one copy per linked contact on that contact's timeline. The timelines
// are queries on events.contact_id and company_id, so a copy per contact is
// what puts the deal on each person's timeline; the copy carries neither
// deal_id nor company_id, so the deal's and company's timelines show the
// event once, and it names the main event (copy_of) for consumers that
// count events. Erasing a contact (GDPR) removes their copies only, never
// the deal's own event.
func (s *Service) emit(ctx context.Context, tx *db.Tx, d Deal, actorID, verb string, data map[string]any) error {
	if _, ok := data["name"]; !ok {
		// Timelines elsewhere name the deal the event is about.
		data["name"] = d.Name
	}
	main, err := recordEvent(ctx, tx, d, actorID, verb, "", d.CompanyID, d.ID, data)
	if err != nil {
		return err
	}
	for _, c := range d.Contacts {
		cp := map[string]any{"copy_of": main}
		for k, x := range data {
			cp[k] = x
		}
		if _, err := recordEvent(ctx, tx, d, actorID, verb, c.ID, "", "", cp); err != nil {
			return err
		}
	}
	return nil
}

// MergeContacts moves the deals of merged contacts to the survivor, inside
// the merge's transaction.
func (s *Service) MergeContacts(ctx context.Context, tx *db.Tx, survivorID string, mergedIDs []string) error {
	for _, m := range mergedIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deal_contacts (deal_id, contact_id, position)
			SELECT deal_id, $1, position FROM deal_contacts WHERE contact_id = $2 ON CONFLICT DO NOTHING`, survivorID, m); err != nil {
			return fmt.Errorf("deal: merge contacts: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM deal_contacts WHERE contact_id = $1`, m); err != nil {
			return fmt.Errorf("deal: merge contacts: %w", err)
		}
	}
	return nil
}

// MergeCompanies moves the deals of merged companies to the survivor.
func (s *Service) MergeCompanies(ctx context.Context, tx *db.Tx, survivorID string, mergedIDs []string) error {
	for _, m := range mergedIDs {
		if _, err := tx.ExecContext(ctx, `UPDATE deals SET company_id = $1 WHERE company_id = $2`, survivorID, m); err != nil {
			return fmt.Errorf("deal: merge companies: %w", err)
		}
	}
	return nil
}
