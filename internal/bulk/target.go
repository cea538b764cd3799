package bulk

import (
	"context"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/record"
)

// item is what an action needs to know about one record.
type item struct {
	id, name, ownerID string
	tags              []string
}

// target is one object's services seen through the few calls bulk
// actions make, so the rest of the package does not care which it is.
type target struct {
	kind record.Kind
	perm string
	// load reads one record (ErrNotFound when it is gone).
	load func(ctx context.Context, id string) (item, error)
	// list reads one keyset page and returns the next page's cursor.
	list     func(ctx context.Context, r query.Request) ([]item, string, error)
	count    func(ctx context.Context, f query.Group, limit int) (int, bool, error)
	setTags  func(ctx context.Context, id string, tags []string) error
	setOwner func(ctx context.Context, id, ownerID string) error
	delete   func(ctx context.Context, id string) error
}

func (s *Service) target(object string) (target, bool) {
	switch object {
	case ObjectContact:
		c := s.contacts
		return target{
			kind: record.Contact, perm: access.Contacts,
			load: func(ctx context.Context, id string) (item, error) {
				x, err := c.ByID(ctx, id)
				return item{x.ID, x.DisplayName, x.OwnerID, x.Tags}, err
			},
			list: func(ctx context.Context, r query.Request) ([]item, string, error) {
				p, err := c.List(ctx, r)
				out := make([]item, len(p.Rows))
				for i, x := range p.Rows {
					out[i] = item{x.ID, x.DisplayName, x.OwnerID, x.Tags}
				}
				return out, p.Cursors.Next, err
			},
			count: c.Count,
			setTags: func(ctx context.Context, id string, tags []string) error {
				_, err := c.Update(ctx, id, contact.Input{Tags: &tags})
				return err
			},
			setOwner: func(ctx context.Context, id, ownerID string) error {
				_, err := c.Update(ctx, id, contact.Input{OwnerID: &ownerID})
				return err
			},
			delete: c.Delete,
		}, c != nil
	case ObjectCompany:
		c := s.companies
		return target{
			kind: record.Company, perm: access.Companies,
			load: func(ctx context.Context, id string) (item, error) {
				x, err := c.ByID(ctx, id)
				return item{x.ID, x.Name, x.OwnerID, x.Tags}, err
			},
			list: func(ctx context.Context, r query.Request) ([]item, string, error) {
				p, err := c.List(ctx, r)
				out := make([]item, len(p.Rows))
				for i, x := range p.Rows {
					out[i] = item{x.ID, x.Name, x.OwnerID, x.Tags}
				}
				return out, p.Cursors.Next, err
			},
			count: c.Count,
			setTags: func(ctx context.Context, id string, tags []string) error {
				_, err := c.Update(ctx, id, company.Input{Tags: &tags})
				return err
			},
			setOwner: func(ctx context.Context, id, ownerID string) error {
				_, err := c.Update(ctx, id, company.Input{OwnerID: &ownerID})
				return err
			},
			delete: c.Delete,
		}, c != nil
	}
	return target{}, false
}
