package company

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/record"
	"github.com/rapportcrm/rapport/internal/search"
)

// MergeFields are the single-valued fields a merge chooses between. Tags
// are combined instead, and every contact of a merged company moves over.
var MergeFields = []struct{ Key, Label string }{
	{"name", "Name"}, {"domain", "Domain"}, {"industry", "Industry"}, {"size", "Size"},
	{"owner_id", "Owner"}, {"address", "Address"},
}

// MergeInput names the survivor, the companys merged into it and the
// value chosen for each field.
type MergeInput = record.MergeInput

// Merge folds the merged companies into the survivor. Tags are combined;
// the merged companies' contacts (links and primary company), activities
// and events move to the survivor; the merged companies are deleted and
// their full data kept in the survivor's company.merged event.
func (s *Service) Merge(ctx context.Context, in MergeInput) (Company, error) {
	actor, err := access.Check(ctx, access.Companies, access.Update)
	if err != nil {
		return Company{}, err
	}
	if _, err := access.Check(ctx, access.Companies, access.Delete); err != nil {
		return Company{}, err
	}
	all, ids, err := record.LoadMerge(ctx, in, "company", func(ctx context.Context, id string) (Company, error) {
		return s.load(ctx, s.db.R, id)
	}, func(x Company) string { return x.ID })
	if err != nil {
		return Company{}, err
	}
	survivor := all[0]
	merged := combine(all, in.Choices)
	merged.UpdatedAt, merged.UpdatedBy = db.Now(), actor.UserID
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		// The merged companies go first so the survivor may take a domain.
		for _, c := range all[1:] {
			if err := softDelete(ctx, tx, c.ID, actor.UserID); err != nil {
				return err
			}
			if err := search.Remove(ctx, tx, tx.Engine, "company", c.ID); err != nil {
				return err
			}
		}
		if err := update(ctx, tx, merged); err != nil {
			return err
		}
		if _, _, err := record.SetTags(ctx, tx, record.Company, merged.ID, merged.Tags); err != nil {
			return err
		}
		if err := moveToSurvivor(ctx, tx, merged.ID, ids); err != nil {
			return err
		}
		for _, h := range s.mergeHooks {
			if err := h(ctx, tx, merged.ID, ids); err != nil {
				return err
			}
		}
		if err := s.index(ctx, tx, merged); err != nil {
			return err
		}
		for _, c := range all[1:] {
			if err := subject(c).Emit(ctx, tx, actor.UserID, "merged_into",
				map[string]any{"survivor_id": merged.ID, "name": merged.Name}); err != nil {
				return err
			}
		}
		return subject(merged).Emit(ctx, tx, actor.UserID, "merged", map[string]any{
			"merged": all[1:], "before": survivor, "choices": in.Choices,
		})
	})
	if err != nil {
		return merged, fmt.Errorf("company: merge: %w", err)
	}
	// Read back for the new contact count.
	return s.load(ctx, s.db.R, merged.ID)
}

// combine builds the survivor's new state from all (survivor first).
func combine(all []Company, choices map[string]string) Company {
	out := all[0]
	pick := func(field string, empty func(Company) bool) Company {
		if from, ok := choices[field]; ok {
			for _, c := range all {
				if c.ID == from {
					return c
				}
			}
		}
		if !empty(all[0]) {
			return all[0]
		}
		for _, c := range all[1:] {
			if !empty(c) {
				return c
			}
		}
		return all[0]
	}
	str := func(field string, get func(Company) string) string {
		return get(pick(field, func(c Company) bool { return get(c) == "" }))
	}
	out.Name = str("name", func(c Company) string { return c.Name })
	out.Domain = str("domain", func(c Company) string { return c.Domain })
	out.Industry = str("industry", func(c Company) string { return c.Industry })
	out.Size = str("size", func(c Company) string { return c.Size })
	owner := pick("owner_id", func(c Company) bool { return c.OwnerID == "" })
	out.OwnerID, out.OwnerName = owner.OwnerID, owner.OwnerName
	out.Address = pick("address", func(c Company) bool { return c.Address == record.Address{} }).Address

	out.Tags = []string{}
	for _, c := range all {
		for _, t := range c.Tags {
			if !slices.ContainsFunc(out.Tags, func(o string) bool { return strings.EqualFold(o, t) }) {
				out.Tags = append(out.Tags, t)
			}
		}
	}
	out.Custom = customfield.Values{}
	keys := map[string]bool{}
	for _, c := range all {
		for k := range c.Custom {
			keys[k] = true
		}
	}
	for k := range keys {
		c := pick(customfield.FieldName(k), func(c Company) bool { _, ok := c.Custom[k]; return !ok })
		if x, ok := c.Custom[k]; ok {
			out.Custom[k] = x
		}
	}
	return out
}

// moveToSurvivor points everything that names a merged company at the
// survivor: contact links (a contact linked to both keeps one link),
// contacts' primary company, activities and timeline events.
func moveToSurvivor(ctx context.Context, tx *db.Tx, survivorID string, mergedIDs []string) error {
	for _, mid := range mergedIDs {
		for _, stmt := range []string{
			`DELETE FROM contact_companies WHERE company_id = $2
				AND contact_id IN (SELECT contact_id FROM contact_companies WHERE company_id = $1)`,
			`UPDATE contact_companies SET company_id = $1 WHERE company_id = $2`,
			`UPDATE contacts SET company_id = $1 WHERE company_id = $2`,
			`UPDATE activities SET company_id = $1 WHERE company_id = $2`,
			`UPDATE events SET company_id = $1 WHERE company_id = $2`,
		} {
			if _, err := tx.ExecContext(ctx, stmt, survivorID, mid); err != nil {
				return fmt.Errorf("company: move to survivor: %w", err)
			}
		}
	}
	return nil
}
