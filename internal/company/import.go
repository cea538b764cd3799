package company

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/record"
)

// ImportResult is what happened to one imported row.
type ImportResult = record.ImportResult[Company]

// ImportSource names the import in the created company's timeline event.
type ImportSource = record.ImportSource

// ImportTx applies one imported row inside tx: it matches a live company
// the actor may see by domain, then by name (ignoring case), and creates
// it, or skips, fills empty fields (fill) or sets every field of the row
// (overwrite), per mode.
func (s *Service) ImportTx(ctx context.Context, tx *db.Tx, in Input, mode record.ImportMode, src ImportSource) (ImportResult, error) {
	actor, err := access.Check(ctx, access.Companies, access.Create)
	if err != nil {
		return ImportResult{}, err
	}
	match, err := importMatch(ctx, tx, in)
	if err != nil {
		return ImportResult{}, err
	}
	if match == "" {
		c := Company{Custom: customfield.Values{}}
		tags, err := s.prepareIn(ctx, tx, &c, in)
		if v := apperr.AsValidation(err); v != nil {
			return ImportResult{Outcome: record.Rejected, Problem: v}, nil
		}
		if err != nil {
			return ImportResult{}, err
		}
		if err := s.createTx(ctx, tx, actor, &c, tags, map[string]any{"name": c.Name, "import": src}); err != nil {
			return ImportResult{}, err
		}
		return ImportResult{Outcome: record.Created, ID: c.ID}, nil
	}
	old, err := s.load(ctx, tx, match)
	if errors.Is(err, access.ErrOutOfScope) {
		v := &apperr.Validation{}
		v.Add("name", "This row matches a company you may not see.")
		return ImportResult{Outcome: record.Rejected, Problem: v}, nil
	}
	if err != nil {
		return ImportResult{}, err
	}
	if mode == record.ImportSkip {
		return ImportResult{Outcome: record.Skipped, ID: old.ID}, nil
	}
	if !access.Allowed(actor, access.Companies, access.Update) {
		v := &apperr.Validation{}
		v.Add("name", "This row matches an existing company and your role may not change companies.")
		return ImportResult{Outcome: record.Rejected, Problem: v}, nil
	}
	if mode == record.ImportFill {
		in = fillOnly(in, old)
	}
	c := old
	c.Custom = customfield.Values{}
	for k, x := range old.Custom {
		c.Custom[k] = x
	}
	tags, err := s.prepareIn(ctx, tx, &c, in)
	if v := apperr.AsValidation(err); v != nil {
		return ImportResult{Outcome: record.Rejected, ID: old.ID, Problem: v}, nil
	}
	if err != nil {
		return ImportResult{}, err
	}
	if in.Tags != nil {
		for _, t := range old.Tags {
			if !contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	if err := s.updateTx(ctx, tx, actor, old, &c, tags, in.Tags != nil); err != nil {
		return ImportResult{}, err
	}
	return ImportResult{Outcome: record.Updated, ID: c.ID, Before: &old}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// importMatch finds the live company a row is about: by domain, then by name.
func importMatch(ctx context.Context, tx *db.Tx, in Input) (string, error) {
	if in.Domain != nil {
		if d, ok := NormaliseDomain(*in.Domain); ok && d != "" {
			found, err := idByDomain(ctx, tx, d)
			if err != nil || found != "" {
				return found, err
			}
		}
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return "", nil
	}
	return idByName(ctx, tx, *in.Name)
}

// idByName returns the oldest live company called name, ignoring case.
func idByName(ctx context.Context, q db.Querier, name string) (string, error) {
	var found string
	err := q.QueryRowContext(ctx, `SELECT id FROM companies WHERE sort_name = $1 AND deleted_at IS NULL ORDER BY id LIMIT 1`,
		SortName(strings.TrimSpace(name))).Scan(&found)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("company: by name: %w", err)
	}
	return found, nil
}

// ForImportTx returns the id of the company called name, creating it when
// there is none, for a contact import's company column. It reports
// whether it created one.
func (s *Service) ForImportTx(ctx context.Context, tx *db.Tx, name string, src ImportSource) (string, bool, error) {
	found, err := idByName(ctx, tx, name)
	if err != nil || found != "" {
		if found != "" {
			// A company the actor may not see is not one to link to.
			if _, err := s.load(ctx, tx, found); err != nil {
				if errors.Is(err, access.ErrOutOfScope) {
					v := &apperr.Validation{}
					v.Add("company", "A company of this name exists that you may not see.")
					return "", false, v
				}
				return "", false, err
			}
		}
		return found, false, err
	}
	r, err := s.ImportTx(ctx, tx, Input{Name: &name}, record.ImportSkip, src)
	if err != nil {
		return "", false, err
	}
	if r.Outcome == record.Rejected {
		return "", false, r.Problem
	}
	return r.ID, r.Outcome == record.Created, nil
}

// fillOnly keeps of in what old has empty (and every tag).
func fillOnly(in Input, old Company) Input {
	keep := func(p *string, have string) *string {
		if p == nil || have != "" {
			return nil
		}
		return p
	}
	out := Input{Domain: keep(in.Domain, old.Domain), Industry: keep(in.Industry, old.Industry),
		Size: keep(in.Size, old.Size), OwnerID: keep(in.OwnerID, old.OwnerID), Tags: in.Tags}
	if in.Address != nil && old.Address.Street == "" && old.Address.City == "" && old.Address.PostalCode == "" && old.Address.Country == "" {
		out.Address = in.Address
	}
	if in.Custom != nil {
		out.Custom = map[string]any{}
		for k, v := range in.Custom {
			if x, ok := old.Custom[k]; !ok || x == nil || x == "" {
				out.Custom[k] = v
			}
		}
	}
	return out
}

// RestoreInput is the input that puts cur back to was: every field of was,
// and custom values was did not have cleared. Undoing an import uses it.
func RestoreInput(was, cur Company) Input {
	tags := append([]string{}, was.Tags...)
	addr := was.Address
	custom := map[string]any{}
	for k, v := range was.Custom {
		custom[k] = v
	}
	for k := range cur.Custom {
		if _, ok := was.Custom[k]; !ok {
			custom[k] = nil
		}
	}
	return Input{Name: &was.Name, Domain: &was.Domain, Industry: &was.Industry, Size: &was.Size, Address: &addr,
		OwnerID: &was.OwnerID, Tags: &tags, Custom: custom}
}
