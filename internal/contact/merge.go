package contact

import (
	"context"
	"fmt"
	"slices"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/record"
	"github.com/rapportcrm/rapport/internal/search"
)

// MergeHook moves what another domain keeps on the merged contacts to the
// survivor.
type MergeHook = record.MergeHook

// OnMerge registers a hook; domains call it while the app is wired up.
func (s *Service) OnMerge(h MergeHook) { s.mergeHooks = append(s.mergeHooks, h) }

// MergeFields are the single-valued fields a merge chooses between. Lists
// (emails, phones, companies, tags) are combined instead.
var MergeFields = []struct{ Key, Label string }{
	{"first_name", "First name"}, {"last_name", "Last name"}, {"job_title", "Job title"},
	{"birthday", "Birthday"}, {"source", "Source"}, {"lifecycle_stage", "Lifecycle stage"},
	{"owner_id", "Owner"}, {"address", "Address"},
}

// MergeInput names the survivor, the contacts merged into it and the
// value chosen for each field.
type MergeInput = record.MergeInput

// Merge folds the merged contacts into the survivor. Emails, phones,
// companies and tags are combined; every activity, event and (through
// hooks) deal and task moves to the survivor; the merged contacts are
// deleted and their full data kept in the survivor's merge event.
func (s *Service) Merge(ctx context.Context, in MergeInput) (Contact, error) {
	actor, err := access.Check(ctx, access.Contacts, access.Update)
	if err != nil {
		return Contact{}, err
	}
	if _, err := access.Check(ctx, access.Contacts, access.Delete); err != nil {
		return Contact{}, err
	}
	all, ids, err := record.LoadMerge(ctx, in, "contact", func(ctx context.Context, id string) (Contact, error) {
		return s.load(ctx, s.db.R, id)
	}, func(x Contact) string { return x.ID })
	if err != nil {
		return Contact{}, err
	}
	survivor := all[0]
	merged := combine(all, in.Choices)
	merged.UpdatedAt, merged.UpdatedBy = db.Now(), actor.UserID
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		for _, c := range all[1:] {
			if err := setDeleted(ctx, tx, c.ID, actor.UserID, true); err != nil {
				return err
			}
			if err := search.Remove(ctx, tx, tx.Engine, "contact", c.ID); err != nil {
				return err
			}
		}
		if err := update(ctx, tx, merged); err != nil {
			return err
		}
		if _, _, err := record.SetTags(ctx, tx, record.Contact, merged.ID, merged.Tags); err != nil {
			return err
		}
		if err := moveTimeline(ctx, tx, merged.ID, ids); err != nil {
			return err
		}
		for _, h := range s.mergeHooks {
			if err := h(ctx, tx, merged.ID, ids); err != nil {
				return err
			}
		}
		if err := index(ctx, tx, merged); err != nil {
			return err
		}
		for _, c := range all[1:] {
			if err := subject(c).Emit(ctx, tx, actor.UserID, "merged_into",
				map[string]any{"survivor_id": merged.ID, "name": merged.DisplayName}); err != nil {
				return err
			}
		}
		return subject(merged).Emit(ctx, tx, actor.UserID, "merged", map[string]any{
			"merged": all[1:], "before": survivor, "choices": in.Choices,
		})
	})
	if err != nil {
		return merged, fmt.Errorf("contact: merge: %w", err)
	}
	return merged, nil
}

// combine builds the survivor's new state from all (survivor first).
func combine(all []Contact, choices map[string]string) Contact {
	out := all[0]
	pick := func(field string, empty func(Contact) bool) Contact {
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
	str := func(field string, get func(Contact) string) string {
		return get(pick(field, func(c Contact) bool { return get(c) == "" }))
	}
	out.FirstName = str("first_name", func(c Contact) string { return c.FirstName })
	out.LastName = str("last_name", func(c Contact) string { return c.LastName })
	out.JobTitle = str("job_title", func(c Contact) string { return c.JobTitle })
	out.Birthday = str("birthday", func(c Contact) string { return c.Birthday })
	out.Source = str("source", func(c Contact) string { return c.Source })
	out.Stage = str("lifecycle_stage", func(c Contact) string { return c.Stage })
	owner := pick("owner_id", func(c Contact) bool { return c.OwnerID == "" })
	out.OwnerID, out.OwnerName = owner.OwnerID, owner.OwnerName
	out.Address = pick("address", func(c Contact) bool { return c.Address == record.Address{} }).Address
	out.DisplayName = joinName(out.FirstName, out.LastName)

	// The chosen primary email, phone and company go first.
	first := func(field string) Contact { return pick(field, func(Contact) bool { return false }) }
	out.Emails, out.Phones, out.Companies, out.Tags = nil, nil, nil, nil
	for _, c := range append([]Contact{first("emails")}, all...) {
		for _, e := range c.Emails {
			if !slices.ContainsFunc(out.Emails, func(o Email) bool { return equalFold(o.Address, e.Address) }) {
				out.Emails = append(out.Emails, e)
			}
		}
	}
	for _, c := range append([]Contact{first("phones")}, all...) {
		for _, p := range c.Phones {
			if !slices.ContainsFunc(out.Phones, func(o Phone) bool { return o.E164 == p.E164 }) {
				out.Phones = append(out.Phones, p)
			}
		}
	}
	for _, c := range append([]Contact{first("companies")}, all...) {
		for _, r := range c.Companies {
			if !slices.ContainsFunc(out.Companies, func(o company.Ref) bool { return o.ID == r.ID }) {
				out.Companies = append(out.Companies, r)
			}
		}
		for _, t := range c.Tags {
			if !slices.ContainsFunc(out.Tags, func(o string) bool { return equalFold(o, t) }) {
				out.Tags = append(out.Tags, t)
			}
		}
	}
	out.Emails = nonNilSlice(out.Emails)
	out.Phones = nonNilSlice(out.Phones)
	out.Companies = nonNilSlice(out.Companies)
	out.Tags = nonNilSlice(out.Tags)

	out.Custom = customfield.Values{}
	keys := map[string]bool{}
	for _, c := range all {
		for k := range c.Custom {
			keys[k] = true
		}
	}
	for k := range keys {
		c := pick(customfield.FieldName(k), func(c Contact) bool { _, ok := c.Custom[k]; return !ok })
		if x, ok := c.Custom[k]; ok {
			out.Custom[k] = x
		}
	}
	return out
}

func moveTimeline(ctx context.Context, tx *db.Tx, survivorID string, mergedIDs []string) error {
	for _, mid := range mergedIDs {
		for _, stmt := range []string{
			`UPDATE activities SET contact_id = $1 WHERE contact_id = $2`,
			`UPDATE events SET contact_id = $1 WHERE contact_id = $2`,
		} {
			if _, err := tx.ExecContext(ctx, stmt, survivorID, mid); err != nil {
				return fmt.Errorf("contact: move timeline: %w", err)
			}
		}
	}
	return nil
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ReindexCompany refreshes the search entries of the contacts now linked
// to a company that absorbed others in a merge, whose entries still name
// the merged companies. It is a company merge hook; the app registers it.
func (s *Service) ReindexCompany(ctx context.Context, tx *db.Tx, survivorID string, _ []string) error {
	rows, err := tx.QueryContext(ctx, `SELECT cc.contact_id FROM contact_companies cc JOIN contacts c ON c.id = cc.contact_id
		WHERE cc.company_id = $1 AND c.deleted_at IS NULL`, survivorID)
	if err != nil {
		return fmt.Errorf("contact: reindex company: %w", err)
	}
	var ids []string
	for rows.Next() {
		var cid string
		if err := rows.Scan(&cid); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, cid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, cid := range ids {
		c, err := s.load(ctx, tx, cid)
		if err != nil {
			return err
		}
		if err := index(ctx, tx, c); err != nil {
			return err
		}
	}
	return nil
}
