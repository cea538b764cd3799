package contact

import (
	"context"
	"fmt"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/phone"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/record"
	"github.com/rapportcrm/rapport/internal/revision"
	"github.com/rapportcrm/rapport/internal/search"
	"github.com/rapportcrm/rapport/internal/setting"
	"github.com/rapportcrm/rapport/internal/tag"
)

// Service is the one way contacts are read and changed.
type Service struct {
	db         *db.DB
	users      record.Users
	mergeHooks []MergeHook
	// schemas keeps the list schema while no custom field or user changes.
	schemas revision.Cache[*query.Schema]
}

// NewService returns a Service on d; users checks owners.
func NewService(d *db.DB, users record.Users) *Service {
	return &Service{db: d, users: users}
}

// ByID returns a live contact with everything on its record.
func (s *Service) ByID(ctx context.Context, contactID string) (Contact, error) {
	if _, err := access.Check(ctx, access.Contacts, access.Read); err != nil {
		return Contact{}, err
	}
	return s.load(ctx, s.db.R, contactID)
}

// ByIDTx is ByID reading through q, a transaction that changes the record.
func (s *Service) ByIDTx(ctx context.Context, q db.Querier, contactID string) (Contact, error) {
	if _, err := access.Check(ctx, access.Contacts, access.Read); err != nil {
		return Contact{}, err
	}
	return s.load(ctx, q, contactID)
}

func (s *Service) load(ctx context.Context, q db.Querier, contactID string) (Contact, error) {
	if !id.Valid(contactID) {
		return Contact{}, fmt.Errorf("contact %q: %w", contactID, apperr.ErrNotFound)
	}
	c, err := byID(ctx, q, contactID)
	if err != nil {
		return c, err
	}
	if err := access.CheckOwner(ctx, q, c.OwnerID, "contact "+c.ID); err != nil {
		return Contact{}, err
	}
	if c.Tags, err = record.Tags(ctx, q, record.Contact, c.ID); err != nil {
		return c, err
	}
	c.HasPhoto, err = hasPhoto(ctx, q, c.ID)
	return c, err
}

// Create adds a contact.
func (s *Service) Create(ctx context.Context, in Input) (Contact, error) {
	actor, err := access.Check(ctx, access.Contacts, access.Create)
	if err != nil {
		return Contact{}, err
	}
	c := Contact{Emails: []Email{}, Phones: []Phone{}, Companies: []company.Ref{}, Custom: customfield.Values{}}
	tags, err := s.prepare(ctx, &c, in)
	if err != nil {
		return c, err
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		return createTx(ctx, tx, actor, &c, tags, map[string]any{"name": c.DisplayName})
	})
	if err != nil {
		return c, fmt.Errorf("contact: create: %w", err)
	}
	return c, nil
}

// createTx writes the prepared contact c and its created event (with data).
func createTx(ctx context.Context, tx *db.Tx, actor access.Actor, c *Contact, tags []string, data map[string]any) error {
	now := db.Now()
	c.ID, c.CreatedAt, c.UpdatedAt, c.CreatedBy, c.UpdatedBy = id.New(), now, now, actor.UserID, actor.UserID
	if err := insert(ctx, tx, *c); err != nil {
		return err
	}
	added, err := record.AddTags(ctx, tx, record.Contact, c.ID, tags)
	if err != nil {
		return err
	}
	c.Tags = tags
	if err := index(ctx, tx, *c); err != nil {
		return err
	}
	if err := subject(*c).Emit(ctx, tx, actor.UserID, "created", data); err != nil {
		return err
	}
	return subject(*c).EmitTags(ctx, tx, actor.UserID, added, nil)
}

// Update changes the fields set in in and records what changed.
func (s *Service) Update(ctx context.Context, contactID string, in Input) (Contact, error) {
	var c Contact
	err := s.db.WithTx(ctx, func(tx *db.Tx) error {
		var err error
		c, err = s.UpdateTx(ctx, tx, contactID, in)
		return err
	})
	if err != nil && apperr.AsValidation(err) == nil {
		return c, fmt.Errorf("contact: update: %w", err)
	}
	return c, err
}

// UpdateTx is Update inside tx, for work that changes many records in
// one transaction of its own (undoing an import).
func (s *Service) UpdateTx(ctx context.Context, tx *db.Tx, contactID string, in Input) (Contact, error) {
	actor, err := access.Check(ctx, access.Contacts, access.Update)
	if err != nil {
		return Contact{}, err
	}
	old, err := s.load(ctx, tx, contactID)
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
	return c, updateTx(ctx, tx, actor, old, &c, tags, in.Tags != nil)
}

// updateTx writes c, prepared from old, with its events; setTags replaces
// the tags with tags.
func updateTx(ctx context.Context, tx *db.Tx, actor access.Actor, old Contact, c *Contact, tags []string, setTags bool) error {
	c.UpdatedAt, c.UpdatedBy = db.Now(), actor.UserID
	if err := update(ctx, tx, *c); err != nil {
		return err
	}
	if setTags {
		added, removed, err := record.SetTags(ctx, tx, record.Contact, c.ID, tags)
		if err != nil {
			return err
		}
		if err := subject(*c).EmitTags(ctx, tx, actor.UserID, added, removed); err != nil {
			return err
		}
		c.Tags = tags
	}
	if err := index(ctx, tx, *c); err != nil {
		return err
	}
	return subject(*c).EmitChanges(ctx, tx, actor.UserID, record.Owner{ID: old.OwnerID, Name: old.OwnerName},
		record.Owner{ID: c.OwnerID, Name: c.OwnerName}, old.fields(), c.fields())
}

// Delete moves a contact to the trash: it leaves lists, search and
// duplicate checks, and its emails become free for other contacts.
func (s *Service) Delete(ctx context.Context, contactID string) error {
	return s.db.WithTx(ctx, func(tx *db.Tx) error { return s.DeleteTx(ctx, tx, contactID) })
}

// DeleteTx is Delete inside tx.
func (s *Service) DeleteTx(ctx context.Context, tx *db.Tx, contactID string) error {
	actor, err := access.Check(ctx, access.Contacts, access.Delete)
	if err != nil {
		return err
	}
	c, err := s.load(ctx, tx, contactID)
	if err != nil {
		return err
	}
	if err := setDeleted(ctx, tx, c.ID, actor.UserID, true); err != nil {
		return err
	}
	if err := search.Remove(ctx, tx, tx.Engine, "contact", c.ID); err != nil {
		return err
	}
	return subject(c).Emit(ctx, tx, actor.UserID, "deleted", map[string]any{"name": c.DisplayName})
}

// prepare applies in to c and validates everything, returning the cleaned
// tags to set.
func (s *Service) prepare(ctx context.Context, c *Contact, in Input) ([]string, error) {
	return s.prepareIn(ctx, s.db.R, c, in)
}

// prepareIn is prepare reading through q: an import's transaction, so that
// rows earlier in the same batch count.
func (s *Service) prepareIn(ctx context.Context, q db.Querier, c *Contact, in Input) ([]string, error) {
	env, err := s.newPrepEnv(ctx, q)
	if err != nil {
		return nil, err
	}
	var v apperr.Validation
	tags, err := s.prepareWith(ctx, env, c, in, &v)
	if err != nil {
		return nil, err
	}
	taken, err := takenEmails(ctx, q, c.ID, c.Emails)
	if err != nil {
		return nil, err
	}
	for i := range c.Emails {
		if _, ok := taken[i]; ok {
			v.Add(fmt.Sprintf("emails[%d]", i), c.Emails[i].Address+" belongs to another contact.")
			v.Conflict = true
		}
	}
	return tags, v.Err()
}

// prepEnv is what validating a contact reads from the database: the phone
// region, the custom field definitions, owners and companies. One form
// reads it once; an import batch reads it once for all its rows.
type prepEnv struct {
	region string
	defs   []customfield.Field
	users  record.Users
	refs   func(ctx context.Context, ids []string) ([]company.Ref, error)
}

func (s *Service) newPrepEnv(ctx context.Context, q db.Querier) (*prepEnv, error) {
	region, err := setting.Region(ctx, q)
	if err != nil {
		return nil, err
	}
	defs, err := customfield.ListFor(ctx, q, customfield.ObjectContact)
	if err != nil {
		return nil, err
	}
	return &prepEnv{region: region, defs: defs, users: s.users,
		refs: func(ctx context.Context, ids []string) ([]company.Ref, error) { return company.Refs(ctx, q, ids) }}, nil
}

// prepareWith applies in to c and adds every problem but email uniqueness
// to v, returning the cleaned tags to set; err is for database failures.
func (s *Service) prepareWith(ctx context.Context, env *prepEnv, c *Contact, in Input, v *apperr.Validation) ([]string, error) {
	in.apply(c, v, env.region, db.Now())
	var err error
	if c.OwnerName, err = record.CheckOwner(ctx, env.users, v, c.OwnerID); err != nil {
		return nil, err
	}
	if in.CompanyIDs != nil {
		if err := companies(ctx, env, c, *in.CompanyIDs, v); err != nil {
			return nil, err
		}
	}
	var tags []string
	if in.Tags != nil {
		if tags, err = tag.Clean("tags", *in.Tags); err != nil {
			v.Merge(err)
		}
	}
	if c.Custom, err = customfield.Apply(env.defs, c.Custom, in.Custom, env.region); err != nil {
		v.Merge(err)
	}
	return tags, nil
}

func companies(ctx context.Context, env *prepEnv, c *Contact, ids []string, v *apperr.Validation) error {
	var clean []string
	for i, cid := range ids {
		cid = strings.TrimSpace(cid)
		if cid == "" {
			continue
		}
		if !id.Valid(cid) {
			v.Add(fmt.Sprintf("company_ids[%d]", i), "Choose a company from the list.")
			continue
		}
		clean = append(clean, cid)
	}
	refs, err := env.refs(ctx, clean)
	if err != nil {
		return err
	}
	if len(refs) < len(clean) {
		for i, cid := range clean {
			found := false
			for _, r := range refs {
				found = found || r.ID == cid
			}
			if !found {
				v.Add(fmt.Sprintf("company_ids[%d]", i), "There is no company with this id.")
			}
		}
	}
	c.Companies = dedupe(refs)
	return nil
}

func dedupe(refs []company.Ref) []company.Ref {
	out := []company.Ref{}
	seen := map[string]bool{}
	for _, r := range refs {
		if !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	return out
}

func index(ctx context.Context, tx *db.Tx, c Contact) error {
	return search.Index(ctx, tx, tx.Engine, searchDoc(c))
}

// searchDoc is what global search knows of c.
func searchDoc(c Contact) search.Doc {
	doc := search.Doc{Kind: "contact", ID: c.ID, Title: c.DisplayName, Subtitle: c.PrimaryEmail()}
	for _, e := range c.Emails {
		doc.Terms = append(doc.Terms, e.Address)
	}
	for _, p := range c.Phones {
		doc.Terms = append(doc.Terms, phone.SearchTerms(p.E164)...)
	}
	for _, r := range c.Companies {
		doc.Terms = append(doc.Terms, r.Name)
	}
	if c.JobTitle != "" {
		doc.Terms = append(doc.Terms, c.JobTitle)
	}
	if doc.Subtitle == "" {
		doc.Subtitle = strings.TrimSpace(strings.Join([]string{c.JobTitle, c.PrimaryCompany().Name}, " · "))
		doc.Subtitle = strings.Trim(doc.Subtitle, " ·")
	}
	return doc
}

func subject(c Contact) record.Subject {
	return record.Subject{Kind: record.Contact, ID: c.ID, ContactID: c.ID, CompanyID: c.PrimaryCompany().ID}
}
