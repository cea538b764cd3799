package company

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
)

// selectColumns reads a company with its owner's name and contact count.
const selectColumns = `m.id, m.name, COALESCE(m.domain, ''), m.industry, m.size, m.street, m.city, m.region,
	m.postal_code, m.country, m.owner_id, COALESCE(u.name, ''), m.custom, m.created_at, m.updated_at,
	m.created_by, m.updated_by,
	(SELECT COUNT(*) FROM contact_companies cc JOIN contacts c ON c.id = cc.contact_id
	  WHERE cc.company_id = m.id AND c.deleted_at IS NULL)`

const fromCompanies = ` FROM companies m LEFT JOIN users u ON u.id = m.owner_id`

func scanCompany(row interface{ Scan(...any) error }) (Company, error) {
	var c Company
	var owner, createdBy, updatedBy sql.NullString
	var custom string
	var created, updated db.Time
	err := row.Scan(&c.ID, &c.Name, &c.Domain, &c.Industry, &c.Size, &c.Address.Street, &c.Address.City,
		&c.Address.Region, &c.Address.PostalCode, &c.Address.Country, &owner, &c.OwnerName, &custom,
		&created, &updated, &createdBy, &updatedBy, &c.Contacts)
	if err != nil {
		return c, err
	}
	c.OwnerID, c.CreatedBy, c.UpdatedBy = owner.String, createdBy.String, updatedBy.String
	c.CreatedAt, c.UpdatedAt = created.Time, updated.Time
	c.Custom, err = customfield.Decode(custom)
	return c, err
}

func byID(ctx context.Context, q db.Querier, companyID string) (Company, error) {
	c, err := scanCompany(q.QueryRowContext(ctx, `SELECT `+selectColumns+fromCompanies+`
		WHERE m.id = $1 AND m.deleted_at IS NULL`, companyID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("company %s: %w", companyID, apperr.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("company: read %s: %w", companyID, err)
	}
	return c, nil
}

func idByDomain(ctx context.Context, q db.Querier, domain string) (string, error) {
	var found string
	err := q.QueryRowContext(ctx, `SELECT id FROM companies WHERE domain = $1 AND deleted_at IS NULL`, domain).Scan(&found)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return found, err
}

func insert(ctx context.Context, tx *db.Tx, c Company) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO companies (id, name, sort_name, domain, industry, size, street, city,
		region, postal_code, country, owner_id, custom, created_at, updated_at, created_by, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		c.ID, c.Name, SortName(c.Name), db.NullString(c.Domain), c.Industry, c.Size, c.Address.Street, c.Address.City,
		c.Address.Region, c.Address.PostalCode, c.Address.Country, db.NullString(c.OwnerID), c.Custom.Encode(),
		db.T(c.CreatedAt), db.T(c.UpdatedAt), db.NullString(c.CreatedBy), db.NullString(c.UpdatedBy))
	return domainTaken(err)
}

func update(ctx context.Context, tx *db.Tx, c Company) error {
	res, err := tx.ExecContext(ctx, `UPDATE companies SET name = $2, sort_name = $3, domain = $4, industry = $5,
		size = $6, street = $7, city = $8, region = $9, postal_code = $10, country = $11, owner_id = $12,
		custom = $13, updated_at = $14, updated_by = $15 WHERE id = $1 AND deleted_at IS NULL`,
		c.ID, c.Name, SortName(c.Name), db.NullString(c.Domain), c.Industry, c.Size, c.Address.Street, c.Address.City,
		c.Address.Region, c.Address.PostalCode, c.Address.Country, db.NullString(c.OwnerID), c.Custom.Encode(),
		db.T(c.UpdatedAt), db.NullString(c.UpdatedBy))
	if err != nil {
		return domainTaken(err)
	}
	// Deleted since it was read: indexing it again would bring it back to search.
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("company %s: %w", c.ID, apperr.ErrNotFound)
	}
	return nil
}

// domainTaken turns a race on the unique domain index into the same
// message the service's own check gives.
func domainTaken(err error) error {
	if db.IsUniqueViolation(err) {
		v := &apperr.Validation{Conflict: true}
		v.Add("domain", "Another company already has this domain.")
		return v
	}
	return err
}

func softDelete(ctx context.Context, tx *db.Tx, companyID, actorID string) error {
	now := db.T(db.Now())
	_, err := tx.ExecContext(ctx, `UPDATE companies SET deleted_at = $2, updated_at = $2, updated_by = $3
		WHERE id = $1`, companyID, now, db.NullString(actorID))
	if err != nil {
		return fmt.Errorf("company: delete: %w", err)
	}
	return nil
}

// Refs returns the names of the live companies among ids, in the order given;
// unknown or deleted ones are left out.
func Refs(ctx context.Context, q db.Querier, ids []string) ([]Ref, error) {
	var out []Ref
	for _, cid := range ids {
		var r Ref
		err := q.QueryRowContext(ctx, `SELECT id, name, COALESCE(domain, '') FROM companies
			WHERE id = $1 AND deleted_at IS NULL`, cid).Scan(&r.ID, &r.Name, &r.Domain)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("company: refs: %w", err)
		}
		out = append(out, r)
	}
	return out, nil
}
