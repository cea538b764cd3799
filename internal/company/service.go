package company

import (
	"context"
	"fmt"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/record"
	"github.com/rapportcrm/rapport/internal/revision"
	"github.com/rapportcrm/rapport/internal/search"
	"github.com/rapportcrm/rapport/internal/setting"
	"github.com/rapportcrm/rapport/internal/tag"
)

// Service is the one way companies are read and changed.
type Service struct {
	db         *db.DB
	users      record.Users
	mergeHooks []record.MergeHook
	// schemas keeps the list schema while no custom field or user changes.
	schemas revision.Cache[*query.Schema]
}

// OnMerge registers a hook that moves what another domain keeps on merged
// companies to the survivor; domains call it while the app is wired up.
func (s *Service) OnMerge(h record.MergeHook) { s.mergeHooks = append(s.mergeHooks, h) }

// NewService returns a Service on d; users checks owners.
func NewService(d *db.DB, users record.Users) *Service {
	return &Service{db: d, users: users}
}

// ByID returns a live company.
func (s *Service) ByID(ctx context.Context, companyID string) (Company, error) {
	if _, err := access.Check(ctx, access.Companies, access.Read); err != nil {
		return Company{}, err
	}
	return s.load(ctx, s.db.R, companyID)
}

// ByIDTx is ByID reading through q, a transaction that changes the record.
func (s *Service) ByIDTx(ctx context.Context, q db.Querier, companyID string) (Company, error) {
	if _, err := access.Check(ctx, access.Companies, access.Read); err != nil {
		return Company{}, err
	}
	return s.load(ctx, q, companyID)
}

func (s *Service) load(ctx context.Context, q db.Querier, companyID string) (Company, error) {
	if !id.Valid(companyID) {
		return Company{}, fmt.Errorf("company %q: %w", companyID, apperr.ErrNotFound)
	}
	c, err := byID(ctx, q, companyID)
	if err != nil {
		return c, err
	}
	if err := access.CheckOwner(ctx, q, c.OwnerID, "company "+c.ID); err != nil {
		return Company{}, err
	}
	if c.Tags, err = record.Tags(ctx, q, record.Company, c.ID); err != nil {
		return c, err
	}
	return c, nil
}

// Create adds a company.
func (s *Service) Create(ctx context.Context, in Input) (Company, error) {
	actor, err := access.Check(ctx, access.Companies, access.Create)
	if err != nil {
		return Company{}, err
	}
	c := Company{Custom: customfield.Values{}}
	tags, err := s.prepare(ctx, &c, in)
	if err != nil {
		return c, err
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		return s.createTx(ctx, tx, actor, &c, tags, map[string]any{"name": c.Name})
	})
	if err != nil {
		return c, fmt.Errorf("company: create: %w", err)
	}
	return c, nil
}

// createTx writes the prepared company c and its created event (with data).
func (s *Service) createTx(ctx context.Context, tx *db.Tx, actor access.Actor, c *Company, tags []string, data map[string]any) error {
	now := db.Now()
	c.ID, c.CreatedAt, c.UpdatedAt, c.CreatedBy, c.UpdatedBy = id.New(), now, now, actor.UserID, actor.UserID
	if err := insert(ctx, tx, *c); err != nil {
		return err
	}
	added, err := record.AddTags(ctx, tx, record.Company, c.ID, tags)
	if err != nil {
		return err
	}
	c.Tags = tags
	if err := s.index(ctx, tx, *c); err != nil {
		return err
	}
	if err := subject(*c).Emit(ctx, tx, actor.UserID, "created", data); err != nil {
		return err
	}
	return subject(*c).EmitTags(ctx, tx, actor.UserID, added, nil)
}

// Update changes the fields set in in and records what changed.
func (s *Service) Update(ctx context.Context, companyID string, in Input) (Company, error) {
	var c Company
	err := s.db.WithTx(ctx, func(tx *db.Tx) error {
		var err error
		c, err = s.UpdateTx(ctx, tx, companyID, in)
		return err
	})
	if err != nil && apperr.AsValidation(err) == nil {
		return c, fmt.Errorf("company: update: %w", err)
	}
	return c, err
}

// UpdateTx is Update inside tx, for work that changes many records in
// one transaction of its own (undoing an import).
func (s *Service) UpdateTx(ctx context.Context, tx *db.Tx, companyID string, in Input) (Company, error) {
	actor, err := access.Check(ctx, access.Companies, access.Update)
	if err != nil {
		return Company{}, err
	}
	old, err := s.load(ctx, tx, companyID)
	if err != nil {
		return old, err
	}
	c := old
	c.Custom = customfield.Values{}
	for k, x := range old.Custom {
		c.Custom[k] = x
	}
	tags, err := s.prepareIn(ctx, tx, &c, in)
	if err != nil {
		return c, err
	}
	return c, s.updateTx(ctx, tx, actor, old, &c, tags, in.Tags != nil)
}

// updateTx writes c, prepared from old, with its events; setTags replaces
// the tags with tags.
func (s *Service) updateTx(ctx context.Context, tx *db.Tx, actor access.Actor, old Company, c *Company, tags []string, setTags bool) error {
	c.UpdatedAt, c.UpdatedBy = db.Now(), actor.UserID
	if err := update(ctx, tx, *c); err != nil {
		return err
	}
	if setTags {
		added, removed, err := record.SetTags(ctx, tx, record.Company, c.ID, tags)
		if err != nil {
			return err
		}
		if err := subject(*c).EmitTags(ctx, tx, actor.UserID, added, removed); err != nil {
			return err
		}
		c.Tags = tags
	}
	if err := s.index(ctx, tx, *c); err != nil {
		return err
	}
	return subject(*c).EmitChanges(ctx, tx, actor.UserID, record.Owner{ID: old.OwnerID, Name: old.OwnerName},
		record.Owner{ID: c.OwnerID, Name: c.OwnerName}, old.fields(), c.fields())
}

// Delete moves a company to the trash; its contacts stay.
func (s *Service) Delete(ctx context.Context, companyID string) error {
	return s.db.WithTx(ctx, func(tx *db.Tx) error { return s.DeleteTx(ctx, tx, companyID) })
}

// DeleteTx is Delete inside tx.
func (s *Service) DeleteTx(ctx context.Context, tx *db.Tx, companyID string) error {
	actor, err := access.Check(ctx, access.Companies, access.Delete)
	if err != nil {
		return err
	}
	c, err := s.load(ctx, tx, companyID)
	if err != nil {
		return err
	}
	if err := softDelete(ctx, tx, c.ID, actor.UserID); err != nil {
		return err
	}
	if err := search.Remove(ctx, tx, tx.Engine, "company", c.ID); err != nil {
		return err
	}
	return subject(c).Emit(ctx, tx, actor.UserID, "deleted", map[string]any{"name": c.Name})
}

// prepare applies in to c and validates everything, returning the cleaned
// tags to set.
func (s *Service) prepare(ctx context.Context, c *Company, in Input) ([]string, error) {
	return s.prepareIn(ctx, s.db.R, c, in)
}

// prepareIn is prepare reading through q: an import's transaction, so that
// rows earlier in the same batch count.
func (s *Service) prepareIn(ctx context.Context, q db.Querier, c *Company, in Input) ([]string, error) {
	var v apperr.Validation
	in.apply(c, &v)
	name, err := record.CheckOwner(ctx, s.users, &v, c.OwnerID)
	if err != nil {
		return nil, err
	}
	c.OwnerName = name
	var tags []string
	if in.Tags != nil {
		if tags, err = tag.Clean("tags", *in.Tags); err != nil {
			v.Merge(err)
		}
	}
	defs, err := customfield.ListFor(ctx, q, customfield.ObjectCompany)
	if err != nil {
		return nil, err
	}
	region, err := setting.Region(ctx, q)
	if err != nil {
		return nil, err
	}
	if c.Custom, err = customfield.Apply(defs, c.Custom, in.Custom, region); err != nil {
		v.Merge(err)
	}
	if c.Domain != "" && v.For("domain") == "" {
		other, err := idByDomain(ctx, q, c.Domain)
		if err != nil {
			return nil, err
		}
		if other != "" && other != c.ID {
			v.Add("domain", "Another company already has this domain.")
			v.Conflict = true
		}
	}
	return tags, v.Err()
}

func (s *Service) index(ctx context.Context, tx *db.Tx, c Company) error {
	terms := []string{c.Industry, c.Address.City}
	if c.Domain != "" {
		terms = append(terms, c.Domain)
	}
	return search.Index(ctx, tx, tx.Engine, search.Doc{Kind: "company", ID: c.ID, Title: c.Name,
		Subtitle: c.Domain, Terms: terms})
}

func subject(c Company) record.Subject {
	return record.Subject{Kind: record.Company, ID: c.ID, CompanyID: c.ID}
}
