package contact

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/phone"
)

// selectColumns reads a contact row with its owner's name.
const selectColumns = `c.id, c.first_name, c.last_name, c.display_name, c.job_title, c.street, c.city, c.region,
	c.postal_code, c.country, c.birthday, c.source, c.lifecycle_stage, c.owner_id, COALESCE(u.name, ''),
	c.custom, c.created_at, c.updated_at, c.created_by, c.updated_by`

const fromContacts = ` FROM contacts c LEFT JOIN users u ON u.id = c.owner_id`

func scanContact(row interface{ Scan(...any) error }) (Contact, error) {
	var c Contact
	var owner, createdBy, updatedBy sql.NullString
	var birthday db.Date
	var custom string
	var created, updated db.Time
	err := row.Scan(&c.ID, &c.FirstName, &c.LastName, &c.DisplayName, &c.JobTitle, &c.Address.Street,
		&c.Address.City, &c.Address.Region, &c.Address.PostalCode, &c.Address.Country, &birthday, &c.Source,
		&c.Stage, &owner, &c.OwnerName, &custom, &created, &updated, &createdBy, &updatedBy)
	if err != nil {
		return c, err
	}
	c.Birthday = string(birthday)
	c.OwnerID, c.CreatedBy, c.UpdatedBy = owner.String, createdBy.String, updatedBy.String
	c.CreatedAt, c.UpdatedAt = created.Time, updated.Time
	c.Custom, err = customfield.Decode(custom)
	return c, err
}

// byID reads a live contact with its emails, phones and companies (tags
// are read by the service).
func byID(ctx context.Context, q db.Querier, contactID string) (Contact, error) {
	c, err := scanContact(q.QueryRowContext(ctx, `SELECT `+selectColumns+fromContacts+`
		WHERE c.id = $1 AND c.deleted_at IS NULL`, contactID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("contact %s: %w", contactID, apperr.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("contact: read %s: %w", contactID, err)
	}
	return c, loadChildren(ctx, q, &c)
}

func loadChildren(ctx context.Context, q db.Querier, c *Contact) error {
	rows, err := q.QueryContext(ctx, `SELECT address, label FROM contact_emails WHERE contact_id = $1 ORDER BY position`, c.ID)
	if err != nil {
		return fmt.Errorf("contact: emails: %w", err)
	}
	c.Emails = []Email{}
	for rows.Next() {
		var e Email
		if err := rows.Scan(&e.Address, &e.Label); err != nil {
			rows.Close()
			return err
		}
		c.Emails = append(c.Emails, e)
	}
	rows.Close()
	if rows, err = q.QueryContext(ctx, `SELECT e164, original, label FROM contact_phones WHERE contact_id = $1 ORDER BY position`, c.ID); err != nil {
		return fmt.Errorf("contact: phones: %w", err)
	}
	c.Phones = []Phone{}
	for rows.Next() {
		var p Phone
		if err := rows.Scan(&p.E164, &p.Original, &p.Label); err != nil {
			rows.Close()
			return err
		}
		c.Phones = append(c.Phones, p)
	}
	rows.Close()
	if rows, err = q.QueryContext(ctx, `SELECT m.id, m.name, COALESCE(m.domain, '') FROM contact_companies cc
		JOIN companies m ON m.id = cc.company_id WHERE cc.contact_id = $1 AND m.deleted_at IS NULL
		ORDER BY cc.position`, c.ID); err != nil {
		return fmt.Errorf("contact: companies: %w", err)
	}
	defer rows.Close()
	c.Companies = []company.Ref{}
	for rows.Next() {
		var r company.Ref
		if err := rows.Scan(&r.ID, &r.Name, &r.Domain); err != nil {
			return err
		}
		c.Companies = append(c.Companies, r)
	}
	return rows.Err()
}

// SortName is the key contacts sort by: the display name in lower case.
func SortName(c Contact) string { return strings.ToLower(c.DisplayName) }

func insert(ctx context.Context, tx *db.Tx, c Contact) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO contacts (id, first_name, last_name, display_name, sort_name, email,
		phone, job_title, company_id, street, city, region, postal_code, country, birthday, source, lifecycle_stage,
		owner_id, custom, created_at, updated_at, created_by, updated_by, lists)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`,
		c.ID, c.FirstName, c.LastName, c.DisplayName, SortName(c), db.NullString(strings.ToLower(c.PrimaryEmail())),
		db.NullString(c.PrimaryPhone()), c.JobTitle, db.NullString(c.PrimaryCompany().ID), c.Address.Street,
		c.Address.City, c.Address.Region, c.Address.PostalCode, c.Address.Country, db.Date(c.Birthday), c.Source,
		c.Stage, db.NullString(c.OwnerID), c.Custom.Encode(), db.T(c.CreatedAt), db.T(c.UpdatedAt),
		db.NullString(c.CreatedBy), db.NullString(c.UpdatedBy), listsOf(c))
	if err != nil {
		return fmt.Errorf("contact: insert: %w", err)
	}
	return writeChildren(ctx, tx, c)
}

func update(ctx context.Context, tx *db.Tx, c Contact) error {
	res, err := tx.ExecContext(ctx, `UPDATE contacts SET first_name = $2, last_name = $3, display_name = $4,
		sort_name = $5, email = $6, phone = $7, job_title = $8, company_id = $9, street = $10, city = $11,
		region = $12, postal_code = $13, country = $14, birthday = $15, source = $16, lifecycle_stage = $17,
		owner_id = $18, custom = $19, updated_at = $20, updated_by = $21, lists = $22 WHERE id = $1 AND deleted_at IS NULL`,
		c.ID, c.FirstName, c.LastName, c.DisplayName, SortName(c), db.NullString(strings.ToLower(c.PrimaryEmail())),
		db.NullString(c.PrimaryPhone()), c.JobTitle, db.NullString(c.PrimaryCompany().ID), c.Address.Street,
		c.Address.City, c.Address.Region, c.Address.PostalCode, c.Address.Country, db.Date(c.Birthday), c.Source,
		c.Stage, db.NullString(c.OwnerID), c.Custom.Encode(), db.T(c.UpdatedAt), db.NullString(c.UpdatedBy), listsOf(c))
	if err != nil {
		return fmt.Errorf("contact: update: %w", err)
	}
	// Deleted since it was read: rewriting its emails would make them live.
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("contact: update: %w", err)
	} else if n == 0 {
		return fmt.Errorf("contact %s: %w", c.ID, apperr.ErrNotFound)
	}
	for _, table := range []string{"contact_emails", "contact_phones", "contact_companies"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE contact_id = $1`, c.ID); err != nil {
			return fmt.Errorf("contact: update %s: %w", table, err)
		}
	}
	return writeChildren(ctx, tx, c)
}

func writeChildren(ctx context.Context, tx *db.Tx, c Contact) error {
	for i, e := range c.Emails {
		_, err := tx.ExecContext(ctx, `INSERT INTO contact_emails (contact_id, position, address, address_key, label)
			VALUES ($1, $2, $3, $4, $5)`, c.ID, i, e.Address, strings.ToLower(e.Address), e.Label)
		if db.IsUniqueViolation(err) {
			return emailTaken(i, e.Address)
		}
		if err != nil {
			return fmt.Errorf("contact: email: %w", err)
		}
	}
	for i, p := range c.Phones {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contact_phones (contact_id, position, e164, original, label, international)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, i, p.E164, p.Original, p.Label, phone.International(p.E164)); err != nil {
			return fmt.Errorf("contact: phone: %w", err)
		}
	}
	for i, r := range c.Companies {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contact_companies (contact_id, company_id, position)
			VALUES ($1, $2, $3)`, c.ID, r.ID, i); err != nil {
			return fmt.Errorf("contact: company: %w", err)
		}
	}
	return nil
}

func emailTaken(i int, addr string) error {
	v := &apperr.Validation{Conflict: true}
	v.Add(fmt.Sprintf("emails[%d]", i), addr+" belongs to another contact.")
	return v
}

// takenEmails returns, for each of addrs used by another live contact than
// self, that contact's id.
func takenEmails(ctx context.Context, q db.Querier, self string, addrs []Email) (map[int]string, error) {
	out := map[int]string{}
	for i, e := range addrs {
		var owner string
		err := q.QueryRowContext(ctx, `SELECT contact_id FROM contact_emails WHERE address_key = $1 AND live = $2`,
			strings.ToLower(e.Address), true).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("contact: check email: %w", err)
		}
		if owner != self {
			out[i] = owner
		}
	}
	return out, nil
}

// setLive marks a contact deleted (live = false) or restored.
func setDeleted(ctx context.Context, tx *db.Tx, contactID, actorID string, deleted bool) error {
	now := db.T(db.Now())
	var at any
	if deleted {
		at = now
	}
	if _, err := tx.ExecContext(ctx, `UPDATE contacts SET deleted_at = $2, updated_at = $3, updated_by = $4
		WHERE id = $1`, contactID, at, now, db.NullString(actorID)); err != nil {
		return fmt.Errorf("contact: delete: %w", err)
	}
	_, err := tx.ExecContext(ctx, `UPDATE contact_emails SET live = $2 WHERE contact_id = $1`, contactID, !deleted)
	if db.IsUniqueViolation(err) {
		return emailTaken(0, "An email of this contact")
	}
	if err != nil {
		return fmt.Errorf("contact: delete emails: %w", err)
	}
	return nil
}
