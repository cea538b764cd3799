package company

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/record"
)

// ExportRow is a company as an export writes it: the list row with the
// whole address.
type ExportRow struct {
	Row
	Address record.Address
	// Values are the decoded custom values.
	Values customfield.Values
}

// Stream calls fn with every company matching r's filter, in r's sort
// order (r's cursor and limit are ignored), the way List would page
// through them: the same visibility scope, the same compiled filter. It is
// one query whose rows are read as they arrive, so memory stays the same
// whatever the number of rows; tags come with each row from a correlated
// subquery. It needs the read and export rights on companies. An error
// from fn stops the stream and is returned as it is.
func (s *Service) Stream(ctx context.Context, r query.Request, fn func(ExportRow) error) error {
	if _, err := access.Check(ctx, access.Companies, access.Read); err != nil {
		return err
	}
	if _, err := access.Check(ctx, access.Companies, access.Export); err != nil {
		return err
	}
	schema, err := s.Schema(ctx)
	if err != nil {
		return err
	}
	vis, visArgs := access.Visible(ctx, "m.owner_id", 0)
	if vis != "" {
		vis = " AND " + vis
	}
	r.Cursor, r.Limit = "", 0
	p, err := query.Paginate(query.Options{Engine: s.db.Engine, Schema: schema, Args: visArgs}, r)
	if err != nil {
		return err
	}
	where := ""
	if p.Where != "" {
		where = " AND " + p.Where
	}
	tags := `(SELECT json_group_array(t.name ORDER BY t.name_lower)
		FROM company_tags x JOIN tags t ON t.id = x.tag_id WHERE x.company_id = m.id)`
	if s.db.Engine == db.Postgres {
		tags = `(SELECT json_agg(t.name ORDER BY t.name_lower)::text
			FROM company_tags x JOIN tags t ON t.id = x.tag_id WHERE x.company_id = m.id)`
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT m.id, m.name, m.domain, m.industry, m.size, m.street, m.city,
		m.region, m.postal_code, m.country, m.owner_id, u.name, m.custom, m.created_at, m.updated_at, `+tags+
		listFrom+vis+where+` ORDER BY `+p.OrderBy, p.Args...)
	if err != nil {
		return fmt.Errorf("company: stream: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var x ExportRow
		var domain, owner, ownerName, tagList sql.NullString
		var custom string
		var created, updated db.Time
		if err := rows.Scan(&x.ID, &x.Name, &domain, &x.Industry, &x.Size, &x.Address.Street, &x.Address.City,
			&x.Address.Region, &x.Address.PostalCode, &x.Address.Country, &owner, &ownerName, &custom, &created,
			&updated, &tagList); err != nil {
			return fmt.Errorf("company: stream: %w", err)
		}
		x.Domain, x.OwnerID, x.OwnerName = domain.String, owner.String, ownerName.String
		x.City, x.Country, x.CreatedAt, x.UpdatedAt = x.Address.City, x.Address.Country, created.Time, updated.Time
		x.Custom = customfield.Stored(custom)
		if x.Values, err = x.Custom.Values(); err != nil {
			return err
		}
		x.Tags = []string{}
		if tagList.Valid && tagList.String != "[]" {
			if err := json.Unmarshal([]byte(tagList.String), &x.Tags); err != nil {
				return fmt.Errorf("company: stream: %w", err)
			}
		}
		if err := fn(x); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("company: stream: %w", err)
	}
	return nil
}
